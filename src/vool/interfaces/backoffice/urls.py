from django.contrib.admin.views.decorators import staff_member_required
from django.urls import path

from vool.interfaces.backoffice import views

app_name = "backoffice"
urlpatterns = [
    path("bill-runs/start/", staff_member_required(views.start_bill_run), name="start_bill_run"),
]
