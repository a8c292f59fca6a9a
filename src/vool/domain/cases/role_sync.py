"""The back-office role groups kept equal to :data:`vool.domain.cases.roles.ROLES` after every
``migrate`` (a ``post_migrate`` receiver, connected in :class:`CasesConfig.ready`).

A data migration cannot do this: it would read today's role list against the database of its
own time (a permission of a model added later does not exist yet there), and it would have to
run after the latest migration of every app it names, which ties it to them for good. After
``migrate`` every model's permissions exist, so each group is set to its current list."""

from __future__ import annotations

from typing import Any

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission

from vool.domain.cases.roles import ROLES


class MissingPermission(RuntimeError):
    """A role names a permission no installed model has."""


def sync_role_groups(*, using: str = "default") -> None:
    """Create the role groups that are missing and set each one's permissions to its list."""
    for config in global_apps.get_app_configs():
        if config.models_module is not None:
            create_permissions(config, verbosity=0, using=using)
    for name, codes in ROLES.items():
        wanted = []
        for code in codes:
            app_label, codename = code.split(".")
            permission = (
                Permission.objects.using(using)
                .filter(content_type__app_label=app_label, codename=codename)
                .first()
            )
            if permission is None:
                raise MissingPermission(f"Role {name}: no permission {code}.")
            wanted.append(permission)
        group, _ = Group.objects.using(using).get_or_create(name=name)
        group.permissions.set(wanted)


def on_post_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """``post_migrate`` of the cases app (also after a test database is flushed): the role
    groups as the code lists them."""
    sync_role_groups(using=using)
