"""The back-office roles: Django groups and the permissions each holds. The operations check
these permissions (``usecases.backoffice_actions``, ``usecases.case_work``), not only the
pages. Created and kept equal to this list after every ``migrate``
(:mod:`vool.domain.cases.role_sync`, a post_migrate receiver); an administrator puts users
in the groups in the admin (staff status lets them in)."""

from __future__ import annotations

AGENT = "agent"
BILLING_SPECIALIST = "billing specialist"
FINANCE = "finance"
SUPERVISOR = "supervisor"
ADMINISTRATOR = "administrator"

_SEE = (
    "customers.view_customer",
    "customers.view_billingaccount",
    "billing.view_invoice",
    "metering.view_reading",
    "contracts.view_supplycontract",
    "receivables.view_dunninghold",
    "receivables.view_payment",
    "documents.view_delivery",
    "cases.view_case",
    "cases.add_case",
    "cases.work_case",
)
#: crediting within VOOL_BACKOFFICE_CREDIT_LIMIT; moves, package changes and letters
#: (``usecases.customer_actions``); retrying failed deliveries (``usecases.case_work``)
_AGENT = (
    *_SEE,
    "billing.change_invoice",
    "contracts.add_supplycontract",
    "contracts.change_supplycontract",
    "documents.add_letter",
    "documents.change_delivery",  # retry a failed delivery once the address is mended
)
_BILLING = (
    *_AGENT,
    "metering.add_reading",
    "metering.change_reading",
    "billing.view_billrun",
    "billing.add_billrun",
    "billing.add_invoice",
    "hub.view_networkbilldifference",  # the network bill differences queue
    "hub.change_networkbilldifference",  # explain one
)
_FINANCE = (
    *_SEE,
    "receivables.change_payment",
    "receivables.add_dunninghold",
    "receivables.change_dunninghold",
)
_SUPERVISOR = tuple(
    sorted(
        {
            *_BILLING,
            *_FINANCE,
            "audit.credit_above_limit",
            "audit.view_auditentry",
            "cases.change_case",
        }
    )
)
_ADMINISTRATOR = (
    *_SUPERVISOR,
    "cases.switch_freeze",
    "cases.add_servicelevel",
    "cases.change_servicelevel",
    "cases.view_servicelevel",
    "auth.view_user",
    "auth.change_user",
)

ROLES: dict[str, tuple[str, ...]] = {
    AGENT: _AGENT,
    BILLING_SPECIALIST: _BILLING,
    FINANCE: _FINANCE,
    SUPERVISOR: _SUPERVISOR,
    ADMINISTRATOR: _ADMINISTRATOR,
}
