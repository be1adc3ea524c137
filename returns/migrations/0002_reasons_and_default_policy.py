"""The reasons customers give, and a default policy, so returns work from the first request."""

from django.db import migrations

REASONS = [
    # code, label, needs text, fee %, who pays the label
    ("damaged", "Arrived damaged", False, 0, "merchant"),
    ("wrong_item", "Wrong item sent", False, 0, "merchant"),
    ("too_small", "Too small", False, 0, "customer"),
    ("too_large", "Too large", False, 0, "customer"),
    ("not_as_described", "Not as described", False, 0, "merchant"),
    ("changed_mind", "Changed my mind", False, 0, "customer"),
    ("other", "Other (please say)", True, 0, "customer"),
]


def seed(apps, schema_editor):
    ReturnReason = apps.get_model("returns", "ReturnReason")
    ReturnPolicy = apps.get_model("returns", "ReturnPolicy")
    for position, (code, label, needs_text, fee, paid_by) in enumerate(REASONS, start=1):
        ReturnReason.objects.get_or_create(
            code=code,
            defaults={"label": label, "needs_text": needs_text, "restocking_fee_percent": fee, "shipping_paid_by": paid_by, "position": position * 10},
        )
    if not ReturnPolicy.objects.filter(channel__isnull=True).exists():
        ReturnPolicy.objects.create(name="Standard returns", channel=None)


class Migration(migrations.Migration):
    dependencies = [("returns", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
