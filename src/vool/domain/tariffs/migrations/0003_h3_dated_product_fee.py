"""The product's monthly fee becomes dated like its other prices.

``Product.monthly_fee_amount`` (one undated value: changing it repriced past months on a
rebill) moves into every ``ProductPrice`` version of the product; a product without prices
gets one version from its first day on sale holding only the fee. A product may name its
time-band scheme. Going back puts the latest version's fee on the product.
"""

import django.db.models.deletion
from django.db import migrations, models


def fee_into_prices(apps, schema_editor):
    Product = apps.get_model("tariffs", "Product")
    ProductPrice = apps.get_model("tariffs", "ProductPrice")
    for product in Product.objects.all():
        prices = ProductPrice.objects.filter(product=product)
        if prices.exists():
            prices.update(monthly_fee_amount=product.monthly_fee_amount)
        elif product.monthly_fee_amount:
            ProductPrice.objects.create(
                product=product,
                valid_from=product.on_sale_from,
                monthly_fee_amount=product.monthly_fee_amount,
            )


def fee_back_to_product(apps, schema_editor):
    Product = apps.get_model("tariffs", "Product")
    ProductPrice = apps.get_model("tariffs", "ProductPrice")
    for product in Product.objects.all():
        latest = ProductPrice.objects.filter(product=product).order_by("-valid_from").first()
        if latest is not None:
            product.monthly_fee_amount = latest.monthly_fee_amount
            product.save(update_fields=["monthly_fee_amount"])


class Migration(migrations.Migration):

    dependencies = [
        ('tariffs', '0002_dated_tariff_data'),
    ]

    operations = [
        migrations.AddField(
            model_name='product',
            name='band_scheme',
            field=models.ForeignKey(blank=True, help_text='The day and night bands of a day/night product; empty: the standard day/night scheme (EE_DAY_NIGHT).', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tariffs.bandscheme', verbose_name='time bands'),
        ),
        migrations.AddField(
            model_name='productprice',
            name='monthly_fee_amount',
            field=models.DecimalField(decimal_places=2, default=0, max_digits=10, verbose_name='monthly fee (EUR, excl. VAT)'),
        ),
        migrations.AddConstraint(
            model_name='productprice',
            constraint=models.CheckConstraint(condition=models.Q(('monthly_fee_amount__gte', 0)), name='product_price_fee_non_negative'),
        ),
        migrations.RunPython(fee_into_prices, fee_back_to_product),
        migrations.RemoveConstraint(
            model_name='product',
            name='product_monthly_fee_non_negative',
        ),
        migrations.RemoveField(
            model_name='product',
            name='monthly_fee_amount',
        ),
        migrations.AlterField(
            model_name='bandrule',
            name='verified',
            field=models.BooleanField(default=False, help_text="Checked against the sources named (see docs/architecture.md, tariffs); unverified values await a check against the issuer's own publication.", verbose_name='verified'),
        ),
        migrations.AlterField(
            model_name='bandrule',
            name='windows',
            field=models.JSONField(default=list, help_text='e.g. [{"band": "DAY", "start": "07:00", "end": "22:00", "day_type": "WORKDAY"}]; day_type ANY/WORKDAY/REST_DAY/WEEKDAY (Monday to Friday, holidays included), optional months [11, 12, 1], season ANY/SUMMER_TIME/STANDARD_TIME.', verbose_name='windows'),
        ),
        migrations.AlterField(
            model_name='levyrate',
            name='verified',
            field=models.BooleanField(default=False, help_text="Checked against the sources named (see docs/architecture.md, tariffs); unverified values await a check against the issuer's own publication.", verbose_name='verified'),
        ),
        migrations.AlterField(
            model_name='networkmonthlyfee',
            name='verified',
            field=models.BooleanField(default=False, help_text="Checked against the sources named (see docs/architecture.md, tariffs); unverified values await a check against the issuer's own publication.", verbose_name='verified'),
        ),
        migrations.AlterField(
            model_name='networkprice',
            name='verified',
            field=models.BooleanField(default=False, help_text="Checked against the sources named (see docs/architecture.md, tariffs); unverified values await a check against the issuer's own publication.", verbose_name='verified'),
        ),
        migrations.AlterField(
            model_name='vatrate',
            name='verified',
            field=models.BooleanField(default=False, help_text="Checked against the sources named (see docs/architecture.md, tariffs); unverified values await a check against the issuer's own publication.", verbose_name='verified'),
        ),
    ]
