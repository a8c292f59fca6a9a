from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "vool.domain.cases"
    label = "cases"
    verbose_name = _("Customer requests")
