from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo supplier: its one table is the marker that a database was seeded by it."""

    name = "vool.usecases.demo"
    label = "demo"
    verbose_name = _("Demo")
