"""Market prices are versioned: a changed price is a new current row, the old one is kept."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tariffs', '0004_h3_no_overlap'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='marketprice',
            options={'ordering': ['area', 'start_at', 'version'], 'verbose_name': 'market price', 'verbose_name_plural': 'market prices'},
        ),
        migrations.RemoveConstraint(
            model_name='marketprice',
            name='market_price_unique',
        ),
        migrations.AddField(
            model_name='marketprice',
            name='is_current',
            field=models.BooleanField(db_default=True, default=True, verbose_name='current'),
        ),
        migrations.AddField(
            model_name='marketprice',
            name='superseded_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='superseded at'),
        ),
        migrations.AddField(
            model_name='marketprice',
            name='version',
            field=models.PositiveIntegerField(db_default=1, default=1, verbose_name='version'),
        ),
        migrations.AddConstraint(
            model_name='marketprice',
            constraint=models.UniqueConstraint(fields=('area', 'start_at', 'version'), name='market_price_version_unique'),
        ),
        migrations.AddConstraint(
            model_name='marketprice',
            constraint=models.UniqueConstraint(condition=models.Q(('is_current', True)), fields=('area', 'start_at'), name='market_price_one_current'),
        ),
    ]
