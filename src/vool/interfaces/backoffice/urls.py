from django.contrib.admin.views.decorators import staff_member_required
from django.urls import path

from vool.interfaces.backoffice import views

app_name = "backoffice"
urlpatterns = [
    path("", staff_member_required(views.search), name="search"),
    path("customers/<int:customer_id>/", staff_member_required(views.customer), name="customer"),
    path("invoices/<int:number>/", staff_member_required(views.invoice), name="invoice"),
    path(
        "invoices/<int:number>/pdf/", staff_member_required(views.invoice_pdf), name="invoice_pdf"
    ),
    path(
        "readings/<int:reading_id>/review/",
        staff_member_required(views.review_reading),
        name="review_reading",
    ),
    path("bill-runs/start/", staff_member_required(views.start_bill_run), name="start_bill_run"),
]
