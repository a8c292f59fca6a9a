"""The demo's marker: a row per ``vool demo seed`` into this database. The demo changes
log-ins and links customers to them only in a database that has this marker."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DemoSeed(models.Model):
    seed = models.IntegerField(_("seed"))
    customers = models.IntegerField(_("customers"))
    history_until = models.DateField(_("history until"))
    seeded_at = models.DateTimeField(_("seeded at"))

    class Meta:
        verbose_name = _("demo seed")
        verbose_name_plural = _("demo seeds")

    def __str__(self) -> str:
        return f"Demo seed {self.seed} ({self.customers} customers)"
