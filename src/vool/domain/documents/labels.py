"""The words on a bill, translated (gettext): labels, component, band and unit names."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

# Every word has the context "bill", so it is translated for the bill whatever the same
# English word means elsewhere in the application.

LABELS: dict[str, Promise] = {
    "invoice": pgettext_lazy("bill", "Invoice"),
    "credit_note": pgettext_lazy("bill", "Credit note"),
    "invoice_number": pgettext_lazy("bill", "Invoice number"),
    "corrects_invoice": pgettext_lazy("bill", "Corrects invoice"),
    "issue_date": pgettext_lazy("bill", "Issue date"),
    "due_date": pgettext_lazy("bill", "Due date"),
    "period": pgettext_lazy("bill", "Period"),
    "supplier": pgettext_lazy("bill", "Supplier"),
    "customer": pgettext_lazy("bill", "Customer"),
    "billing_account": pgettext_lazy("bill", "Billing account"),
    "registry_code": pgettext_lazy("bill", "Registry code"),
    "vat_number": pgettext_lazy("bill", "VAT number"),
    "consumption": pgettext_lazy("bill", "Consumption"),
    "this_period": pgettext_lazy("bill", "This period"),
    "same_month_last_year": pgettext_lazy("bill", "Same month last year"),
    "consumption_13_months": pgettext_lazy("bill", "Consumption over 13 months, kWh"),
    "amount_due": pgettext_lazy("bill", "Amount due"),
    "invoice_total": pgettext_lazy("bill", "Total of this invoice"),
    "balance_carried": pgettext_lazy("bill", "Balance carried from earlier bills"),
    "credit_applied": pgettext_lazy("bill", "Credit balance applied"),
    "payments_received": pgettext_lazy("bill", "Payments received since the last bill"),
    "total_to_pay": pgettext_lazy("bill", "Total to pay"),
    "nothing_to_pay": pgettext_lazy(
        "bill", "Nothing to pay: the amount is credited to your account."
    ),
    "how_to_pay": pgettext_lazy("bill", "How to pay"),
    "recipient": pgettext_lazy("bill", "Recipient"),
    "iban": pgettext_lazy("bill", "IBAN"),
    "reference_number": pgettext_lazy("bill", "Reference number"),
    "scan_to_pay": pgettext_lazy("bill", "Scan with your banking app to pay"),
    "automatic_payment": pgettext_lazy("bill", "Paid automatically: you need not pay by hand."),
    "detail": pgettext_lazy("bill", "Detail"),
    "metering_point": pgettext_lazy("bill", "Metering point"),
    "address": pgettext_lazy("bill", "Address"),
    "readings": pgettext_lazy("bill", "Readings used"),
    "register": pgettext_lazy("bill", "Register"),
    "start": pgettext_lazy("bill", "Start"),
    "end": pgettext_lazy("bill", "End"),
    "actual": pgettext_lazy("bill", "actual"),
    "estimated": pgettext_lazy("bill", "estimated"),
    "estimated_bill": pgettext_lazy(
        "bill",
        "This bill is estimated: a reading was missing and was estimated. "
        "The next actual reading trues it up.",
    ),
    "interval_data": pgettext_lazy("bill", "Remote-read interval data"),
    "intervals_flagged": pgettext_lazy("bill", "intervals estimated or missing"),
    "component": pgettext_lazy("bill", "Component"),
    "quantity": pgettext_lazy("bill", "Quantity"),
    "unit": pgettext_lazy("bill", "Unit"),
    "unit_price": pgettext_lazy("bill", "Unit price"),
    "amount": pgettext_lazy("bill", "Amount"),
    "vat": pgettext_lazy("bill", "VAT"),
    "vat_rate": pgettext_lazy("bill", "VAT rate"),
    "taxable": pgettext_lazy("bill", "Taxable amount"),
    "net_total": pgettext_lazy("bill", "Total excl. VAT"),
    "gross_total": pgettext_lazy("bill", "Total incl. VAT"),
    "levies": pgettext_lazy("bill", "Levies and fees"),
    "true_up": pgettext_lazy("bill", "true-up"),
    "other_lines": pgettext_lazy("bill", "Other lines"),
    "page": pgettext_lazy("bill", "Page"),
    "kwh": pgettext_lazy("bill", "kWh"),
}

COMPONENTS: dict[str, Promise] = {
    "ENERGY": pgettext_lazy("bill", "Electricity"),
    "MARGIN": pgettext_lazy("bill", "Exchange price margin"),
    "GREEN": pgettext_lazy("bill", "Green energy"),
    "PRODUCT_FEE": pgettext_lazy("bill", "Monthly fee"),
    "NETWORK_ENERGY": pgettext_lazy("bill", "Network fee (transmission)"),
    "NETWORK_FEE": pgettext_lazy("bill", "Network monthly fee"),
    "RENEWABLE_FEE": pgettext_lazy("bill", "Renewable energy fee"),
    "BALANCING_CAPACITY_FEE": pgettext_lazy("bill", "Balancing capacity fee"),
    "SECURITY_OF_SUPPLY_FEE": pgettext_lazy("bill", "Security of supply fee"),
    "EXCISE": pgettext_lazy("bill", "Electricity excise"),
    "PRODUCTION": pgettext_lazy("bill", "Surplus fed into the grid (credit)"),
    "LATE_INTEREST": pgettext_lazy("bill", "Late-payment interest"),
    "DUNNING_FEE": pgettext_lazy("bill", "Payment reminder fee"),
}
LEVIES = frozenset({"RENEWABLE_FEE", "BALANCING_CAPACITY_FEE", "SECURITY_OF_SUPPLY_FEE", "EXCISE"})

BANDS: dict[str, Promise] = {
    "DAY": pgettext_lazy("bill", "day"),
    "NIGHT": pgettext_lazy("bill", "night"),
}

UNITS: dict[str, Promise] = {
    "KWH": pgettext_lazy("bill", "kWh"),
    "DAY": pgettext_lazy("bill", "days"),
    "PCS": pgettext_lazy("bill", "pcs"),
}
PER_UNIT: dict[str, Promise] = {
    "KWH": pgettext_lazy("bill", "kWh"),
    "DAY": pgettext_lazy("bill", "day"),
    "PCS": pgettext_lazy("bill", "pcs"),
}

PER_MONTH = pgettext_lazy("bill", "month")

ESTIMATE_METHODS: dict[str, Promise] = {
    "SAME_MONTH_LAST_YEAR": pgettext_lazy("bill", "estimated from the same month last year"),
    "AVERAGE_DAILY": pgettext_lazy("bill", "estimated from your recent daily average"),
    "LOAD_PROFILE": pgettext_lazy("bill", "estimated from a standard load profile"),
}

PAYMENT_METHODS: dict[str, Promise] = {
    "E_INVOICE_STANDING_ORDER": pgettext_lazy("bill", "Paid by e-invoice standing order"),
    "DIRECT_DEBIT": pgettext_lazy("bill", "Paid by direct debit"),
}
