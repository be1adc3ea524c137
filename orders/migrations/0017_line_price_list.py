import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0007_price_list_scope'),
        ('orders', '0016_channel_handling_days'),
    ]

    operations = [
        migrations.AddField(
            model_name='orderline',
            name='price_break',
            field=models.PositiveIntegerField(blank=True, help_text="The list's quantity break the price came from.", null=True),
        ),
        migrations.AddField(
            model_name='orderline',
            name='price_list',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='customers.pricelist'),
        ),
    ]
