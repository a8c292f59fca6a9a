"""An invoice line's unit price carries up to 9 decimals, so that quantity x unit price
rounds to the amount even on a line of more than 10 MWh (see ``rating.Line``)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("billing", "0003_time_model")]

    operations = [
        migrations.AlterField(
            model_name="invoiceline",
            name="unit_price",
            field=models.DecimalField(
                blank=True, decimal_places=9, max_digits=15, null=True, verbose_name="unit price"
            ),
        ),
    ]
