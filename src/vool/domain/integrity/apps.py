from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate


def _remove_before_migrate(sender: Any, using: str, **kwargs: Any) -> None:
    from django.db import connections

    from vool.domain.integrity import operations

    if connections[using].vendor == "sqlite":
        operations.remove_guards(using=using)


def _install_after_migrate(sender: Any, using: str, **kwargs: Any) -> None:
    from vool.domain.integrity import operations

    operations.install_guards(using=using)


class IntegrityConfig(AppConfig):
    name = "vool.domain.integrity"
    label = "integrity"
    verbose_name = "Integrity guards"

    def ready(self) -> None:
        from vool.domain.integrity import checks  # noqa: F401  (registers the system check)

        pre_migrate.connect(_remove_before_migrate, sender=self, dispatch_uid="vool-integrity-pre")
        post_migrate.connect(
            _install_after_migrate, sender=self, dispatch_uid="vool-integrity-post"
        )
