"""The configuration audit trail: one writer for every app (:class:`oms.models.ConfigChange`).

Services that change catalogue or configuration call :func:`config_change_record` in their
transaction; the console does it through :class:`oms.admin.ConfigAuditAdmin`.
"""

import json
import re

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from .actors import Actor, actor_fields
from .models import ConfigChange

# Fields whose values never go into the trail (only that they changed, and their last characters,
# as the pages that set them show).
SECRET_FIELD = re.compile(r"secret|password|token|api_key|credential", re.IGNORECASE)


def config_values(instance: models.Model) -> dict:
    """The instance's stored fields as JSON values (foreign keys by id), keyed by field name."""
    values = {
        field.name: field.value_from_object(instance)
        for field in instance._meta.concrete_fields
        # Timestamps every save moves would say nothing about what changed.
        if not field.primary_key and not getattr(field, "auto_now", False)
    }
    return json.loads(json.dumps(values, cls=DjangoJSONEncoder))


def config_changes_between(before: dict, after: dict) -> dict:
    """``{field: [old, new]}`` for the fields whose values differ (a missing side is None)."""
    return {name: [before.get(name), after.get(name)] for name in {**before, **after} if before.get(name) != after.get(name)}


def _masked(value):
    return f"••••{str(value)[-4:]}" if value else value


def config_change_record(*, instance: models.Model, action: str, changes: dict, actor: Actor) -> ConfigChange | None:
    """Record one change of ``instance`` (none when an update changed nothing)."""
    if action == ConfigChange.Action.UPDATE and not changes:
        return None
    changes = {name: [_masked(v) for v in values] if SECRET_FIELD.search(name) else values for name, values in changes.items()}
    return ConfigChange.objects.create(
        model=instance._meta.label, object_id=str(instance.pk), object_repr=str(instance)[:200], action=action,
        changes=json.loads(json.dumps(changes, cls=DjangoJSONEncoder)), **actor_fields(actor),
    )


def config_history(instance: models.Model, *, limit: int = 20) -> list[ConfigChange]:
    """The latest recorded changes of ``instance``, newest first."""
    return list(ConfigChange.objects.filter(model=instance._meta.label, object_id=str(instance.pk)).select_related("actor")[:limit])
