"""Two versions of one price are never valid on the same day.

On PostgreSQL an exclusion constraint over ``daterange(valid_from, valid_to, '[)')`` per
thing versioned (a product's prices, a band scheme's rules, a package's kWh prices, a
package's monthly fee per apartment/fuse size, a levy's rates, the VAT rate), like the
contracts' ``contract_no_overlap_per_point``. On every database ``operations.check_version``
runs the same check in the operations, the admin and the default-data loader.

Before adding the constraints the migration looks for overlapping rows already saved and
stops with a list of them (end one of each pair in the admin, then migrate again), instead
of failing on a bare constraint error.
"""

from django.db import migrations

from vool.domain.migration_ops import PostgresOnlySQL

# (model, table, scope columns as SQL expressions, the same as attribute names)
NO_OVERLAP = (
    ("ProductPrice", "tariffs_productprice", ("product_id",), ("product_id",)),
    ("BandRule", "tariffs_bandrule", ("scheme_id",), ("scheme_id",)),
    ("NetworkPrice", "tariffs_networkprice", ("package_id",), ("package_id",)),
    (
        "NetworkMonthlyFee",
        "tariffs_networkmonthlyfee",
        ("package_id", "is_apartment", "coalesce(max_fuse_a, -1)"),
        ("package_id", "is_apartment", "max_fuse_a"),
    ),
    ("LevyRate", "tariffs_levyrate", ("levy_id",), ("levy_id",)),
    ("VatRate", "tariffs_vatrate", (), ()),
)


def constraint_name(table: str) -> str:
    return f"{table.removeprefix('tariffs_')}_no_overlap"


def refuse_existing_overlaps(apps, schema_editor):
    found = []
    for model_name, _table, _sql, attributes in NO_OVERLAP:
        model = apps.get_model("tariffs", model_name)
        groups: dict[tuple, list] = {}
        for row in model.objects.order_by("valid_from"):
            groups.setdefault(tuple(getattr(row, a) for a in attributes), []).append(row)
        for rows in groups.values():
            for earlier, later in zip(rows, rows[1:], strict=False):
                if earlier.valid_to is None or earlier.valid_to > later.valid_from:
                    found.append(
                        f"{model_name} {earlier.pk} ({earlier.valid_from} to "
                        f"{earlier.valid_to or 'open end'}) and {later.pk} "
                        f"({later.valid_from} to {later.valid_to or 'open end'})"
                    )
    if found:
        raise RuntimeError(
            "These tariff versions overlap (two prices for one day); end one of each pair in "
            "the admin and migrate again: " + "; ".join(found)
        )


def _exclude(table: str, scope_sql: tuple[str, ...]) -> str:
    parts = [f"{column} WITH =" for column in scope_sql]
    parts.append("daterange(valid_from, valid_to, '[)') WITH &&")
    return (
        f"ALTER TABLE {table} ADD CONSTRAINT {constraint_name(table)} "
        f"EXCLUDE USING gist ({', '.join(parts)})"
    )


class Migration(migrations.Migration):
    dependencies = [("tariffs", "0003_h3_dated_product_fee")]

    operations = [
        migrations.RunPython(refuse_existing_overlaps, migrations.RunPython.noop),
        PostgresOnlySQL(
            sql=[
                "CREATE EXTENSION IF NOT EXISTS btree_gist",
                *(_exclude(table, scope) for _m, table, scope, _a in NO_OVERLAP),
            ],
            reverse_sql=[
                f"ALTER TABLE {table} DROP CONSTRAINT {constraint_name(table)}"
                for _m, table, _s, _a in NO_OVERLAP
            ],
        ),
    ]
