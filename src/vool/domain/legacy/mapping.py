"""How the old system's codes map to Vool's. Pure: no Django.

``OLD_PRODUCTS``: old product code → (its name on the old bills, day/night, energy prices
(EUR/kWh without VAT: (single,) or (day, night); ``None`` for exchange price), monthly fee,
the Vool product it becomes). A code missing here is refused by the validation
(``UNKNOWN_PRODUCT``): a person decides where those customers go.
"""

from __future__ import annotations

from decimal import Decimal

OLD_PRODUCTS: dict[str, tuple[str, bool, tuple[Decimal, ...] | None, Decimal, str]] = {
    "EL-KODU-1": ("Kodu Kindel", False, (Decimal("0.1390"),), Decimal("2.99"), "KODU-FIX"),
    "EL-KODU-2T": (
        "Kodu Päev/Öö",
        True,
        (Decimal("0.1490"), Decimal("0.0990")),
        Decimal("2.99"),
        "KODU-PN",
    ),
    "EL-BORS": ("Kodu Börs", False, None, Decimal("1.99"), "KODU-BORS"),
    "EL-ARI-1": ("Äri Kindel", False, (Decimal("0.1190"),), Decimal("9.90"), "ARI-FIX"),
    "EL-ARI-BORS": ("Äri Börs", False, None, Decimal("9.90"), "ARI-BORS"),
}

#: the old system's grid-operator codes → Vool's ``GridOperator.code``
GRID_OPERATORS = {"EL": "ELEKTRILEVI"}

#: the old invoice channels → ``BillingAccount.InvoiceChannel``
CHANNELS = {"E-POST": "EMAIL", "E-ARVE": "E_INVOICE", "PABER": "PAPER", "PORTAAL": "PORTAL"}

#: the old agreement kinds → (``PaymentAgreement.Kind``, ``BillingAccount.PaymentMethod``)
AGREEMENTS = {
    "OTSEKORRALDUS": ("DIRECT_DEBIT", "DIRECT_DEBIT"),
    "E-ARVE": ("E_INVOICE_STANDING_ORDER", "E_INVOICE_STANDING_ORDER"),
}

LANGUAGES = {"EST": "et", "RUS": "ru", "ENG": "en"}

#: OBIS code of a register → ``Register.Kind``
REGISTERS = {"1.8.0": "SINGLE", "1.8.1": "DAY", "1.8.2": "NIGHT"}

#: the banks a file of old → new reference numbers is written for (BIC → name)
BANKS = {
    "HABAEE2X": "Swedbank",
    "EEUHEE2X": "SEB",
    "LHVBEE22": "LHV",
    "RIKOEE22": "Luminor",
}
