import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("shipping", "0005_shipment_direction"),
    ]

    operations = [
        migrations.AddField(
            model_name="zonerule",
            name="origin_postal_from",
            field=models.CharField(
                blank=True, help_text="Blank: from anywhere in the origin country (needs an origin country).", max_length=10,
                validators=[django.core.validators.RegexValidator("^[A-Z0-9]*$", "Capital letters and digits only, no spaces or dashes (e.g. 10001, SW1A).")],
            ),
        ),
        migrations.AddField(
            model_name="zonerule",
            name="origin_postal_to",
            field=models.CharField(
                blank=True, max_length=10,
                validators=[django.core.validators.RegexValidator("^[A-Z0-9]*$", "Capital letters and digits only, no spaces or dashes (e.g. 10001, SW1A).")],
            ),
        ),
        migrations.AddConstraint(
            model_name="zonerule",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("origin_postal_from", ""), ("origin_postal_to", "")),
                    models.Q(models.Q(("origin_postal_from", ""), _negated=True), models.Q(("origin_country", ""), _negated=True), ("origin_postal_from__lte", models.F("origin_postal_to"))),
                    _connector="OR",
                ),
                name="zone_rule_origin_postal_range_ordered",
            ),
        ),
    ]
