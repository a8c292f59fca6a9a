"""The service levels in force from the start, and the back-office role groups
(``vool.domain.cases.roles``) with their permissions."""

import datetime as dt

from django.contrib.auth.management import create_permissions
from django.db import migrations

#: calendar days to resolve each type (editable, dated data in the admin)
SERVICE_DAYS = {
    "QUESTION": 5,
    "BILL_DISPUTE": 14,
    "READING_PROBLEM": 5,
    "MOVING": 10,
    "CONTRACT_CHANGE": 10,
    "GRID_FAULT": 2,
}


def add_service_levels(apps, schema_editor):
    ServiceLevel = apps.get_model("cases", "ServiceLevel")
    for case_type, days in SERVICE_DAYS.items():
        ServiceLevel.objects.get_or_create(
            case_type=case_type, valid_from=dt.date(2000, 1, 1), defaults={"days": days}
        )


def add_roles(apps, schema_editor):
    from vool.domain.cases.roles import ROLES

    # the permissions exist only after post_migrate on a new database: create them now
    for config in apps.get_app_configs():
        config.models_module = True
        create_permissions(config, verbosity=0)
        config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codes in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = []
        for code in codes:
            app_label, codename = code.split(".")
            permission = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if permission is None:
                raise RuntimeError(f"Role {name}: no permission {code}.")
            wanted.append(permission)
        group.permissions.set(wanted)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0001_h14_cases"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("audit", "0001_initial"),
        ("customers", "__latest__"),
        ("billing", "__latest__"),
        ("metering", "__latest__"),
        ("contracts", "__latest__"),
        ("receivables", "__latest__"),
        ("documents", "__latest__"),
    ]

    operations = [
        migrations.RunPython(add_service_levels, migrations.RunPython.noop),
        migrations.RunPython(add_roles, migrations.RunPython.noop),
    ]
