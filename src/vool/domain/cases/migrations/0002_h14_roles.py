"""The service levels in force from the start. (It also made the back-office role groups; they
are now kept by a post_migrate receiver, ``vool.domain.cases.role_sync``, after every migrate.)"""

import datetime as dt

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


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0001_h14_cases"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("audit", "0001_initial"),
        # pinned to what was latest when this was written: "__latest__" would make every
        # later migration of these apps a dependency applied after it (an inconsistent history)
        ("customers", "0004_former_reference_numbers"),
        ("billing", "0005_w6_dunning"),
        ("metering", "0005_w1_reading_known_at"),
        ("contracts", "0003_contract_green_energy"),
        ("receivables", "0003_w6_dunning"),
        ("documents", "0003_w5_einvoice_channel"),
    ]

    operations = [
        migrations.RunPython(add_service_levels, migrations.RunPython.noop),
    ]
