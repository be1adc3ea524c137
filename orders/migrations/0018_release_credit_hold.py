from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0017_line_price_list'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='order',
            options={'ordering': ['-id'], 'permissions': [('transition_order', 'Can move orders through their lifecycle'), ('cancel_order', 'Can cancel orders'), ('release_hold', 'Can place and release order holds'), ('release_credit_hold', 'Can release credit-limit holds'), ('create_phone_order', 'Can take phone orders')]},
        ),
    ]
