from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "vool.domain.cases"
    label = "cases"
    verbose_name = _("Customer requests")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from vool.domain.cases.role_sync import on_post_migrate

        post_migrate.connect(on_post_migrate, sender=self, dispatch_uid="vool.cases.roles")

        from vool.domain.cases.models import Freeze
        from vool.domain.cases.queries import freeze_shown
        from vool.domain.short_lived import forget_on_change

        forget_on_change(freeze_shown, Freeze, "vool.cases.freeze_shown")
