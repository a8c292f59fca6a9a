from django.urls import path

from vool.interfaces.portal import (
    contract_views,
    interval_views,
    letter_views,
    oidc,
    requests,
    security_views,
    views,
)

app_name = "portal"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("invoices/", views.invoices, name="invoices"),
    path("invoices/<int:invoice_id>/", views.invoice, name="invoice"),
    path("invoices/<int:invoice_id>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path("readings/", views.readings, name="readings"),
    path("readings/<int:point_id>/", views.submit_reading, name="submit_reading"),
    path("consumption/", views.consumption_points, name="consumption_points"),
    path("consumption/<int:point_id>/", views.consumption, name="consumption"),
    path("consumption/<int:point_id>/csv/", views.consumption_csv, name="consumption_csv"),
    path("login/", views.sign_in, name="login"),
    path("logout/", views.sign_out, name="logout"),
    path("customer/", views.switch_customer, name="switch_customer"),
    path("password-reset/", views.password_reset, name="password_reset"),
    path("password-reset/sent/", views.password_reset_done, name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        views.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("password-reset/done/", views.password_reset_complete, name="password_reset_complete"),
    # the customer's requests (issue 14 part 2)
    path("requests/", requests.requests_list, name="requests"),
    path("requests/new/", requests.request_new, name="request_new"),
    path("requests/<int:case_id>/", requests.request_detail, name="request"),
]

# contracts, packages, moving, profile (issue 13 part 2)
urlpatterns += [
    path("contracts/", contract_views.contracts_page, name="contracts"),
    path("contracts/move-in/", contract_views.move_in, name="move_in"),
    path("contracts/<int:contract_id>/packages/", contract_views.packages, name="packages"),
    path("contracts/<int:contract_id>/move-out/", contract_views.move_out, name="move_out"),
    path("contracts/<int:contract_id>/withdraw/", contract_views.withdraw, name="withdraw"),
    path("profile/", contract_views.profile, name="profile"),
    path(
        "profile/accounts/<int:account_id>/channel/",
        contract_views.invoice_channel,
        name="invoice_channel",
    ),
    path("profile/consents/", contract_views.consents, name="consents"),
]

# two-step sign-in (TOTP, issue 13 part 2)
urlpatterns += [
    path("login/code/", security_views.sign_in_code, name="sign_in_code"),
    path("profile/two-step/", security_views.two_step, name="two_step"),
    path("profile/two-step/new/", security_views.two_step_begin, name="two_step_begin"),
]

# consumption of a day by hour / quarter hour (issue 13 part 2)
urlpatterns += [
    path(
        "consumption/<int:point_id>/day/",
        interval_views.consumption_day,
        name="consumption_day",
    ),
]

# OpenID Connect sign-in through an eID broker (off unless VOOL_OIDC_ENABLED)
urlpatterns += [
    path("oidc/start/", oidc.start, name="oidc_start"),
    path("oidc/callback/", oidc.callback, name="oidc_callback"),
]

# the letters sent to the customer (issue 11 §5)
urlpatterns += [
    path("letters/", letter_views.letters, name="letters"),
    path("letters/<int:letter_id>/pdf/", letter_views.letter_pdf, name="letter_pdf"),
]
