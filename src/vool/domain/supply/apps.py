from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupplyConfig(AppConfig):
    name = "vool.domain.supply"
    label = "supply"
    verbose_name = _("Supply")
