"""Audit entries for writes that bypass save(): QuerySet.update(), bulk_update(), bulk_create().

They send no model signals, so auditlog never sees them; whoever must use them on an audited
model calls `log_bulk_change` in the same transaction.
"""

import copy

from auditlog.diff import model_instance_diff
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.encoding import smart_str

from portal.actor import entry_context
from portal.audit_provinces import province_ids_of

ACTIONS = {
    "create": LogEntry.Action.CREATE,
    "update": LogEntry.Action.UPDATE,
    "delete": LogEntry.Action.DELETE,
}


def log_bulk_change(objects, changes=None, actor=None, *, action="update"):
    """One audit entry per object for a write that sent no model signals.

    - action "update": `objects` as they were before, `changes` {field name: new value}, or a
      list of such dicts, one per object (each object changed its own way);
    - action "create": `objects` as created (with their primary keys);
    - action "delete": `objects` as they were.
    The actor defaults to the current one (request user, `acting_as`, else the system). Excluded
    fields are left out and secret fields redacted exactly as for a save(). Returns the entries.
    """
    objects = list(objects)
    if not objects:
        return []
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if action == "update" and not changes:
        return []
    if isinstance(changes, dict) or changes is None:
        per_object = [changes] * len(objects)
    else:
        per_object = list(changes)
        if len(per_object) != len(objects):
            raise ValueError("one dict of changes per object")
    base = entry_context(actor)
    provinces = province_ids_of(objects)
    now = timezone.now()
    entries = []
    for obj, obj_changes in zip(objects, per_object, strict=True):
        model = type(obj)
        if not auditlog.contains(model):
            raise ValueError(f"{model._meta.label} is not audited")
        if action == "update":
            if not obj_changes:
                continue
            after = copy.copy(obj)
            for name, value in obj_changes.items():
                setattr(after, name, value)
            diff = model_instance_diff(obj, after, fields_to_check=list(obj_changes))
        elif action == "create":
            diff = model_instance_diff(None, obj)
        else:
            diff = model_instance_diff(obj, None)
        if action == "update" and not diff:
            continue
        province = provinces.get(id(obj))
        entries.append(
            LogEntry(
                content_type=ContentType.objects.get_for_model(model),
                object_pk=smart_str(obj.pk),
                object_id=obj.pk if isinstance(obj.pk, int) else None,
                object_repr=smart_str(obj),
                action=ACTIONS[action],
                changes=diff or {},
                additional_data={"province": province} if province is not None else None,
                timestamp=now,
                **base,
            )
        )
    return LogEntry.objects.bulk_create(entries)
