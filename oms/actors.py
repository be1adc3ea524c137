"""Who did it: every service takes an ``actor``, a user or a label such as ``api:shop`` or ``job:beat``."""

from django.contrib.auth.models import AbstractBaseUser

Actor = AbstractBaseUser | str | None


def actor_fields(actor: Actor) -> dict:
    """The ``actor`` / ``actor_label`` pair stored on audit rows."""
    if actor is None:
        return {"actor": None, "actor_label": "system"}
    if isinstance(actor, str):
        return {"actor": None, "actor_label": actor[:120]}
    return {"actor": actor, "actor_label": actor.get_username()[:120]}
