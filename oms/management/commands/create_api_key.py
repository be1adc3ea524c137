from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError

from oms.models import API_SCOPE_NAMES, ApiKey, Integration


class Command(BaseCommand):
    help = (
        "Create an API key and print it once (only its hash is stored). The key alone goes to stdout, "
        "so `KEY=$(manage.py create_api_key shop)` captures it; the notes go to stderr."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="Who uses the key, e.g. the shop or the integration; unique.")
        parser.add_argument(
            "--scopes",
            nargs="+",
            default=[],
            metavar="SCOPE",
            help=f"Scopes the key grants (default: all). One or more of: {', '.join(API_SCOPE_NAMES)}.",
        )
        parser.add_argument(
            "--integration", metavar="CODE", default=None,
            help="The code of the integration that uses the key (it must exist; create it in the admin).",
        )

    def handle(self, *args, name, scopes, integration=None, **options):
        name = name.strip()
        if not name:
            raise CommandError("Give the key a name.")
        unknown = sorted(set(scopes) - set(API_SCOPE_NAMES))
        if unknown:
            raise CommandError(f"Unknown scope(s): {', '.join(unknown)}. Choose from: {', '.join(API_SCOPE_NAMES)}.")
        owner = None
        if integration is not None:
            owner = Integration.objects.filter(code=integration).first()
            if owner is None:
                known = ", ".join(Integration.objects.order_by("code").values_list("code", flat=True)) or "none yet"
                raise CommandError(f"No integration with code {integration!r} (known: {known}); create it in the admin first.")
        taken = CommandError(f"An API key named {name!r} exists already; pick another name, or revoke that key in the admin.")
        if ApiKey.objects.filter(name=name).exists():
            raise taken
        try:
            key, raw_key = ApiKey.generate(name=name, scopes=sorted(set(scopes)), integration=owner)
        except IntegrityError:
            raise taken from None
        granted = ", ".join(key.scopes) if key.scopes else "all scopes"
        belongs = f" for {owner.name}" if owner else ""
        self.stderr.write(f"API key {name!r} created{belongs} ({granted}). Store it now: it is not shown again.")
        self.stdout.write(raw_key)
