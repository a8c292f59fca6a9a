"""The audit log: one row per write a person made through the back office (or any other
interface that records it). Append-only at the database (``vool.domain.integrity``): a row is
never changed or deleted.

The audit app is low in the domain layers and imports no other domain app: what a row
concerns is named by ``object_type`` (``app_label.Model``) and ``object_id``, and the customer
it belongs to by ``customer_id``, so the log outlives and never blocks the rows it names.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_entries",
    )
    username = models.CharField(
        _("user name"), max_length=150, help_text=_("as it was when the action was taken")
    )
    happened_at = models.DateTimeField(_("happened at"))
    action = models.CharField(_("action"), max_length=64)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64)
    customer_id = models.BigIntegerField(_("customer id"), null=True, blank=True)
    reason = models.TextField(_("reason"))
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True, default="")
    source_address = models.GenericIPAddressField(
        _("from address"),
        null=True,
        blank=True,
        help_text=_("the IP address the action came from (portal actions)"),
    )

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        default_permissions = ("view",)
        permissions = [
            ("credit_above_limit", _("Can credit an invoice above the agent's credit limit")),
        ]
        indexes = [
            models.Index(fields=["customer_id", "happened_at"], name="audit_customer_time"),
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
        ]
        constraints = [
            models.CheckConstraint(condition=~models.Q(reason=""), name="audit_reason_not_empty"),
            models.CheckConstraint(condition=~models.Q(action=""), name="audit_action_not_empty"),
        ]

    def __str__(self) -> str:
        target = f"{self.object_type}#{self.object_id}"
        return f"{self.happened_at:%Y-%m-%d %H:%M} {self.username} {self.action} {target}"
