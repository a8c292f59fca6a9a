"""The legacy migration: load runs, staged rows, the validation report, the mapping of old
keys to Vool's, and the history Vool keeps from the old system (bills, interval totals,
payment agreements)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from vool.domain.customers.models import BillingAccount
from vool.domain.legacy import extract_format as fmt
from vool.domain.supply.models import MeteringPoint


class LoadRun(models.Model):
    """One ``vool legacy load`` of an extract directory."""

    directory = models.CharField(_("extract directory"), max_length=500)
    kind = models.CharField(_("extract kind"), max_length=5)  # full | delta
    dry_run = models.BooleanField(_("dry run"), default=False)
    as_of = models.DateTimeField(_("as of"))
    reason = models.TextField(_("reason"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    counts = models.JSONField(_("counts"), default=dict)

    class Meta:
        verbose_name = _("legacy load run")
        verbose_name_plural = _("legacy load runs")

    def __str__(self) -> str:
        return f"{self.directory} ({self.kind}, {self.as_of:%Y-%m-%d %H:%M})"


class StagedRow(models.Model):
    """A row of an extract file as read, before validation (staging, written with COPY), one
    to a database row for the rows read back one by one (the customers and the readings; the
    others are in a :class:`StagedBlock`): its fields joined by the unit separator (U+001F,
    refused inside a field); ``lookup`` is a customer's personal or registry code (a later
    delta checks its codes against them)."""

    SEPARATOR = fmt.UNIT_SEPARATOR
    ENTITIES = ("customers", "readings")  # the others are staged in blocks

    # No constraint in the database: every staged row refers to its run, created in the same
    # transaction, and a deferred check per row (~240k rows at 2,000 customers, all to one
    # run) was most of the load's commit; Django still deletes the rows with their run.
    run = models.ForeignKey(
        LoadRun,
        on_delete=models.CASCADE,
        related_name="staged_rows",
        db_constraint=False,
        db_index=False,  # never searched by run alone: one index less to keep per row
    )
    entity = models.CharField(max_length=20)
    line = models.PositiveIntegerField()
    fields = models.TextField()
    lookup = models.CharField(max_length=20, blank=True, default="")

    class Meta:
        indexes = [
            # only the readings are read back by line (history_sql): the other rows, nine in
            # ten of a load's, keep no index of their own
            models.Index(
                fields=["run", "line"],
                condition=models.Q(entity="readings"),
                name="legacy_staged_readings",
            ),
            models.Index(
                fields=["lookup"], condition=~models.Q(lookup=""), name="legacy_staged_lookup"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.entity} line {self.line}"

    @classmethod
    def join(cls, values: Sequence[str]) -> str:
        """A row's fields as staged."""
        return cls.SEPARATOR.join(values)

    @classmethod
    def split(cls, fields: str) -> tuple[str, ...]:
        """A staged row's fields, as :meth:`join` was given them."""
        return tuple(fields.split(cls.SEPARATOR))


class StagedBlock(models.Model):
    """Rows of one extract file as read, many to a database row (staging, written with COPY):
    the rows nobody reads back one by one, nine in ten of an extract's. Each row is its line
    number and its fields joined by the unit separator (U+001F), the rows are joined by the
    record separator (U+001E); both are refused inside a field. A block is closed at ``CHARS``
    characters: most stay below the size PostgreSQL would compress and move out of the row
    (TOAST, about 2 kB)."""

    ROW_SEPARATOR = fmt.RECORD_SEPARATOR
    CHARS = 1800  # a block is closed when its text reaches this

    run = models.ForeignKey(  # no constraint, no index of its own: as StagedRow's
        LoadRun,
        on_delete=models.CASCADE,
        related_name="staged_blocks",
        db_constraint=False,
        db_index=False,
    )
    entity = models.CharField(max_length=20)
    first_line = models.PositiveIntegerField()
    rows = models.TextField()

    def __str__(self) -> str:
        return f"{self.entity} from line {self.first_line}"

    @classmethod
    def pack(cls, rows: Iterable[tuple[int, Sequence[str]]]) -> Iterator[tuple[int, str]]:
        """Rows (line, fields) in blocks: each block's first line and its text."""
        field, join, limit = StagedRow.SEPARATOR, cls.ROW_SEPARATOR.join, cls.CHARS
        fields = StagedRow.join
        block: list[str] = []
        size = first = 0
        for line, values in rows:
            if not block:
                first = line
            text = f"{line}{field}{fields(values)}"
            block.append(text)
            size += len(text) + 1
            if size >= limit:
                yield first, join(block)
                block, size = [], 0
        if block:
            yield first, join(block)

    @classmethod
    def unpack(cls, text: str) -> Iterator[tuple[int, tuple[str, ...]]]:
        """A block's rows (line, fields), as :meth:`pack` was given them."""
        for row in text.split(cls.ROW_SEPARATOR):
            line, _, fields = row.partition(StagedRow.SEPARATOR)
            yield int(line), StagedRow.split(fields)


class Issue(models.Model):
    """One line of the validation report."""

    class Severity(models.TextChoices):
        ERROR = "ERROR", _("Error")
        WARNING = "WARNING", _("Warning")

    run = models.ForeignKey(
        LoadRun,
        on_delete=models.CASCADE,
        related_name="issues",
        db_index=False,  # the index (run, rule) serves it
    )
    severity = models.CharField(_("severity"), max_length=7, choices=Severity.choices)
    file_name = models.CharField(_("file"), max_length=40)
    line = models.PositiveIntegerField(_("line"))
    field = models.CharField(_("field"), max_length=40)
    rule = models.CharField(_("rule"), max_length=40)
    value = models.CharField(_("value"), max_length=200)
    account_key = models.CharField(_("old account"), max_length=40, blank=True, default="")
    message = models.TextField(_("message"))

    class Meta:
        verbose_name = _("validation issue")
        verbose_name_plural = _("validation issues")
        indexes = [models.Index(fields=["run", "rule"])]

    def __str__(self) -> str:
        return f"{self.severity} {self.file_name}:{self.line} {self.field} {self.rule}"


class KeyMap(models.Model):
    """Old key → Vool key of one loaded legacy row; ``fingerprint`` tells a changed row."""

    entity = models.CharField(_("entity"), max_length=20)
    old_key = models.CharField(_("old key"), max_length=60)
    new_id = models.BigIntegerField(_("Vool id"))
    account_key = models.CharField(_("old account"), max_length=40, blank=True, default="")
    fingerprint = models.CharField(_("fingerprint"), max_length=40)
    # No constraint in the database (as :class:`StagedRow`): one row per loaded row, all
    # written with the run that creates them; Django still protects the run from deletion.
    run = models.ForeignKey(
        LoadRun,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,  # never searched by run: one index less to keep per row
    )

    class Meta:
        verbose_name = _("old key")
        verbose_name_plural = _("old keys")
        constraints = [
            models.UniqueConstraint(fields=["entity", "old_key"], name="legacy_key_once"),
        ]
        indexes = [
            # Vool id → old key, asked of customers, accounts, points and bills, never of a
            # reading: the readings, half the map's rows, are left out of this index
            models.Index(
                fields=["entity", "new_id"],
                condition=~models.Q(entity="readings"),
                name="legacy_keymap_new_id",
            )
        ]

    def __str__(self) -> str:
        return f"{self.entity} {self.old_key} → {self.new_id}"


class HistoricBill(models.Model):
    """A bill the old system issued (one of the last 13), kept as history."""

    billing_account = models.ForeignKey(
        BillingAccount,
        on_delete=models.PROTECT,
        related_name="historic_bills",
        db_index=False,  # the index (billing_account, period) serves it
    )
    number = models.CharField(_("old bill number"), max_length=40)
    period = models.CharField(_("billing month"), max_length=7)
    issue_date = models.DateField(_("issued on"))
    due_date = models.DateField(_("due on"))
    consumption_kwh = models.DecimalField(_("consumption (kWh)"), max_digits=14, decimal_places=3)
    net_amount = models.DecimalField(_("amount without VAT"), max_digits=12, decimal_places=2)
    vat_amount = models.DecimalField(_("VAT"), max_digits=12, decimal_places=2)
    total_amount = models.DecimalField(_("total"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("legacy bill")
        verbose_name_plural = _("legacy bills")
        indexes = [models.Index(fields=["billing_account", "period"])]
        # a constraint, not ``unique=True``: that would add a second index on PostgreSQL, for
        # LIKE, which nothing asks of an old bill number
        constraints = [models.UniqueConstraint(fields=["number"], name="legacy_bill_number_once")]

    def __str__(self) -> str:
        return f"{self.number} {self.period} {self.total_amount}"


class HistoricBillLine(models.Model):
    bill = models.ForeignKey(
        HistoricBill,
        on_delete=models.PROTECT,
        related_name="lines",
        db_index=False,  # the unique (bill, position) serves it
    )
    position = models.PositiveSmallIntegerField(_("line"))
    description = models.CharField(_("description"), max_length=200)
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)
    unit = models.CharField(_("unit"), max_length=10)
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=6)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bill", "position"], name="legacy_bill_line_once"),
        ]

    def __str__(self) -> str:
        return f"{self.bill_id}/{self.position} {self.amount}"


class HistoricIntervalTotal(models.Model):
    """A month's total of a remote-read point's interval data in the old system."""

    metering_point = models.ForeignKey(
        MeteringPoint,
        on_delete=models.PROTECT,
        related_name="historic_interval_totals",
        db_index=False,  # the unique (metering_point, period) serves it
    )
    period = models.CharField(_("month"), max_length=7)
    consumption_kwh = models.DecimalField(_("consumption (kWh)"), max_digits=14, decimal_places=3)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["metering_point", "period"], name="legacy_interval_total_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metering_point_id} {self.period} {self.consumption_kwh} kWh"


class PaymentAgreement(models.Model):
    """A direct-debit or e-invoice standing-order agreement the customer has at a bank,
    carried over so the bank can move it to the new reference number."""

    class Kind(models.TextChoices):
        DIRECT_DEBIT = "DIRECT_DEBIT", _("Direct debit")
        E_INVOICE_STANDING_ORDER = "E_INVOICE_STANDING_ORDER", _("E-invoice standing order")

    billing_account = models.ForeignKey(
        BillingAccount, on_delete=models.PROTECT, related_name="payment_agreements"
    )
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    old_agreement_id = models.CharField(_("old agreement"), max_length=40, unique=True)
    bank_bic = models.CharField(_("bank (BIC)"), max_length=11)
    payer_iban = models.CharField(_("payer IBAN"), max_length=34)
    valid_from = models.DateField(_("valid from"))

    class Meta:
        verbose_name = _("payment agreement")
        verbose_name_plural = _("payment agreements")

    def __str__(self) -> str:
        return f"{self.old_agreement_id} {self.kind} {self.bank_bic}"
