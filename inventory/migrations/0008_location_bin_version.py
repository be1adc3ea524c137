from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("inventory", "0007_location_daily_order_capacity")]

    operations = [
        migrations.AddField(model_name="location", name="version", field=models.PositiveIntegerField(default=1)),
        migrations.AddField(model_name="bin", name="version", field=models.PositiveIntegerField(default=1)),
    ]
