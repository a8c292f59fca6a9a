from django.contrib.admin.views.decorators import staff_member_required
from django.urls import path

from vool.interfaces.backoffice import contracts, customer_pages, views, work

app_name = "backoffice"
urlpatterns = [
    path("", staff_member_required(views.search), name="search"),
    path("customers/<int:customer_id>/", staff_member_required(views.customer), name="customer"),
    path(
        "customers/<int:customer_id>/contracts/new/",
        staff_member_required(contracts.conclude),
        name="contract_new",
    ),
    path(
        "customers/<int:customer_id>/contracts/<int:contract_id>/withdraw/",
        staff_member_required(contracts.withdraw),
        name="contract_withdraw",
    ),
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
    # customer requests, work queues, the freeze (issue 14 part 2)
    path("cases/", staff_member_required(work.cases_list), name="cases"),
    path(
        "customers/<int:customer_id>/cases/new/",
        staff_member_required(work.case_new),
        name="case_new",
    ),
    path("cases/<int:case_id>/", staff_member_required(work.case_detail), name="case"),
    path(
        "cases/<int:case_id>/attachments/<int:attachment_id>/",
        staff_member_required(work.case_attachment),
        name="case_attachment",
    ),
    path("queues/", staff_member_required(work.queues), name="queues"),
    path("queues/readings/", staff_member_required(work.queue_readings), name="queue_readings"),
    path(
        "queues/exceptions/",
        staff_member_required(work.queue_exceptions),
        name="queue_exceptions",
    ),
    path("queues/suspense/", staff_member_required(work.queue_suspense), name="queue_suspense"),
    path(
        "queues/deliveries/",
        staff_member_required(work.queue_deliveries),
        name="queue_deliveries",
    ),
    path("queues/holds/", staff_member_required(work.queue_holds), name="queue_holds"),
    path(
        "queues/frozen-readings/",
        staff_member_required(work.queue_frozen_readings),
        name="queue_frozen_readings",
    ),
    path(
        "queues/network-bills/",
        staff_member_required(work.queue_network_bills),
        name="queue_network_bills",
    ),
    path("freeze/", staff_member_required(work.freeze_page), name="freeze"),
    path("invoices/<int:number>/rebill/", staff_member_required(work.rebill_page), name="rebill"),
    # moves, package changes and letters (issue 14 part 3)
    path(
        "customers/<int:customer_id>/contracts/<int:contract_id>/move-out/",
        staff_member_required(customer_pages.move_out),
        name="move_out",
    ),
    path(
        "customers/<int:customer_id>/move-in/",
        staff_member_required(customer_pages.move_in),
        name="move_in",
    ),
    path(
        "customers/<int:customer_id>/contracts/<int:contract_id>/package/",
        staff_member_required(customer_pages.change_package),
        name="change_package",
    ),
    path(
        "customers/<int:customer_id>/letters/",
        staff_member_required(customer_pages.send_letter),
        name="send_letter",
    ),
]
