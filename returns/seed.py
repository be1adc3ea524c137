"""The reasons customers give and a default policy, so returns work from the first request.

Written by the data migration and again after every ``migrate`` and test-database flush
(``post_migrate``, like the staff roles); existing rows are left as operators edited them.
"""

# code, label, needs text, who pays the return label
REASONS = (
    ("damaged", "Arrived damaged", False, "merchant"),
    ("wrong_item", "Wrong item sent", False, "merchant"),
    ("too_small", "Too small", False, "customer"),
    ("too_large", "Too large", False, "customer"),
    ("not_as_described", "Not as described", False, "merchant"),
    ("changed_mind", "Changed my mind", False, "customer"),
    ("other", "Other (please say)", True, "customer"),
)


def return_defaults_seed(reason_model, policy_model) -> None:
    """Create the missing reasons and, when there is none, the default policy (idempotent)."""
    existing = set(reason_model.objects.values_list("code", flat=True))
    reason_model.objects.bulk_create(
        reason_model(code=code, label=label, needs_text=needs_text, shipping_paid_by=paid_by, position=position * 10)
        for position, (code, label, needs_text, paid_by) in enumerate(REASONS, start=1)
        if code not in existing
    )
    if not policy_model.objects.filter(channel__isnull=True).exists():
        policy_model.objects.create(name="Standard returns", channel=None)


def return_defaults_seed_after_migrate(sender, **kwargs) -> None:
    from .models import ReturnPolicy, ReturnReason

    return_defaults_seed(ReturnReason, ReturnPolicy)
