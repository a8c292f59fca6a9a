"""The role groups again, now that agents (and the roles above them) move customers in and
out, change packages and send letters (``vool.domain.cases.roles``): the same sync as
``0002_h14_roles``, which sets each group's permissions to the current list."""

import importlib

from django.db import migrations

add_roles = importlib.import_module("vool.domain.cases.migrations.0002_h14_roles").add_roles


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_h14_roles")]

    operations = [migrations.RunPython(add_roles, migrations.RunPython.noop)]
