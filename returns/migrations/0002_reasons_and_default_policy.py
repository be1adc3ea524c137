"""The reasons customers give, and a default policy, so returns work from the first request."""

from django.db import migrations


def seed(apps, schema_editor):
    from returns.seed import return_defaults_seed

    return_defaults_seed(apps.get_model("returns", "ReturnReason"), apps.get_model("returns", "ReturnPolicy"))


class Migration(migrations.Migration):
    dependencies = [("returns", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
