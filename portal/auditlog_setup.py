"""How changes are audited: auditlog registrations and the account-event signal handlers.

`setup` is called once from PortalConfig.ready(); every app then declares its audited models in
its own AppConfig.ready() with `register`, naming the fields left out (`exclude`) and the secret
ones (`redact`) explicitly. Accounts and groups are declared here: they are the portal's.

Two records, both read-only in the admin (portal/admin.py), with nothing secret in them:
- changes to the registry, grants, accounts and hand-made report snapshots are auditlog LogEntry
  rows, written by auditlog's model signals (and portal/audit_bulk.py for bulk writes);
- account events are AccountEvent rows written by portal/account_events.py.
Each knows its actor (portal/actor.py) and the province it is about (portal/audit_provinces.py).

Secrets: camera user names and passwords (Fernet-encrypted fields) and user password hashes are
fully redacted - an entry says they changed, never what to or from. auditlog's default mask keeps
half of the value, which is not enough.

Noise: a save that touches only excluded fields (a login writing last_login) skips auditlog's read
of the previous state altogether.
"""

from auditlog.conf import settings as auditlog_settings
from auditlog.models import LogEntry
from auditlog.receivers import _create_log_entry, check_disable, log_update
from auditlog.registry import auditlog
from auditlog.signals import pre_log
from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db.models.signals import post_migrate, post_save, pre_save

from portal import audit_provinces
from portal.account_events import REDACTED, WRONG_CODE_MARK, record_event
from portal.actor import current_actor, current_context, is_system
from portal.audit_retention import ensure_retention_schedule
from portal.models import ImmutableRecordError
from portal.search import SearchTextField

REDACT_CALLABLE = "portal.auditlog_setup.redact"
# Per model: the fields whose change alone never makes an entry (names and attnames), and the
# columns the previous state is read with (the audited ones: the diff reads nothing else).
QUIET_FIELDS = {}
TRACKED_COLUMNS = {}


def redact(value):
    """auditlog mask callable: nothing of the value survives, not even its length."""
    return REDACTED


def _fields(model, names, what):
    """The fields `names` of `model`; a declaration naming a field that is not there is an error."""
    try:
        return [model._meta.get_field(name) for name in names]
    except FieldDoesNotExist as exc:
        raise ImproperlyConfigured(f"audit of {model._meta.label}: {what} {exc}") from exc


def register(model, *, exclude=(), redact=(), m2m=(), people_only=False):
    """Audit every change of `model` (idempotent); called from the model's AppConfig.ready().

    exclude:     fields whose changes are not recorded (machine-written state, timestamps);
                 search texts (portal/search.py) never are;
    redact:      fields recorded as changed without their values (secrets);
    m2m:         many-to-many fields whose additions and removals are recorded;
    people_only: record only what a person does, not the system account nor nobody (a snapshot
                 the schedule regenerates every day is not news; one a person regenerates is).
    """
    if auditlog.contains(model):
        return
    # Derived from audited fields (portal/search.py): it changes with them, never alone.
    exclude = [
        *exclude,
        *(f.name for f in model._meta.concrete_fields if isinstance(f, SearchTextField)),
    ]
    excluded = _fields(model, exclude, "excludes")
    masked = _fields(model, redact, "redacts")
    # Reverse relations (a facility's cameras...) would appear in every creation entry as
    # "cameras.Camera.None": they are the other model's business.
    reverse = [f.name for f in model._meta.get_fields() if f.auto_created and not f.concrete]
    auditlog.register(
        model,
        exclude_fields=list(exclude) + reverse,
        mask_fields=[f.name for f in masked],
        mask_callable=REDACT_CALLABLE,
        m2m_fields=set(m2m),
    )
    QUIET_FIELDS[model] = frozenset({f.name for f in excluded} | {f.attname for f in excluded})
    TRACKED_COLUMNS[model] = [
        f.name for f in model._meta.concrete_fields if f.name not in set(exclude)
    ]
    # Our update receiver instead of auditlog's (see _log_update).
    stock = auditlog._dispatch_uid(pre_save, log_update)
    if not pre_save.disconnect(sender=model, dispatch_uid=stock):
        raise ImproperlyConfigured("auditlog's update receiver was not found: check its version")
    pre_save.connect(
        _log_update, sender=model, dispatch_uid=f"portal.audit.update.{model._meta.label}"
    )
    if not hasattr(model, "get_additional_data"):
        # auditlog's hook for extra data: the province, which scopes the entry in the admin.
        model.get_additional_data = audit_provinces.additional_data
    if people_only:
        pre_log.connect(
            _by_a_person, sender=model, dispatch_uid=f"portal.audit.people.{model._meta.label}"
        )


@check_disable
def _log_update(sender, instance, raw=False, update_fields=None, **kwargs):
    """auditlog's log_update, without its cost when nothing audited can have changed.

    - a save limited to excluded fields (a login's last_login) reads nothing and logs nothing;
    - the previous state is read by primary key without the model's default ordering (Camera's
      would join facility and province for nothing), with the audited columns only, and with
      the relations the province is found through (portal/audit_provinces.py), so storing the
      province costs no query.
    """
    if instance._state.adding or instance.pk is None:
        return
    if update_fields is not None and set(update_fields) <= QUIET_FIELDS.get(sender, frozenset()):
        return
    manager = sender._base_manager if auditlog_settings.AUDITLOG_USE_BASE_MANAGER else (
        sender._default_manager
    )
    queryset = manager.filter(pk=instance.pk).order_by()
    related = audit_provinces.loaded_with(sender)
    if related:
        queryset = queryset.select_related(*related)
    if sender in TRACKED_COLUMNS:
        queryset = queryset.only(
            *TRACKED_COLUMNS[sender],
            *(f"{relation}__{name}" for relation, names in related.items() for name in names),
        )
    old = next(iter(queryset), None)
    instance._audit_old = old
    _create_log_entry(
        action=LogEntry.Action.UPDATE,
        instance=instance,
        sender=sender,
        diff_old=old,
        diff_new=instance,
        fields_to_check=update_fields,
        use_json_for_changes=auditlog_settings.AUDITLOG_STORE_JSON_CHANGES,
    )


def _fill_entry(sender, instance, **kwargs):
    """Every LogEntry: refuse edits; add actor, client address and request id from the context."""
    if kwargs.get("raw"):
        # Loading fixtures or a serialized test database: rows come back as they were recorded.
        return
    if not instance._state.adding:
        raise ImmutableRecordError("audit entries are never changed")
    context = current_context()
    if instance.actor_id is None:
        actor = current_actor()
        if actor is not None:
            instance.actor = actor
            instance.actor_email = getattr(actor, "email", None) or None
    if context is not None:
        instance.remote_addr = instance.remote_addr or context.remote_addr
        instance.cid = instance.cid or context.request_id


def _by_a_person(sender, instance, action, **kwargs):
    actor = current_actor(fallback_to_system=False)
    return actor is not None and not is_system(actor)


# --- Account events ----------------------------------------------------------------------------


def _on_login(sender, request, user, **kwargs):
    record_event("login", request, actor=user)


def _on_logout(sender, request, user, **kwargs):
    if user is not None and user.is_authenticated:
        record_event("logout", request, actor=user)


def _on_login_failed(sender, credentials, request=None, **kwargs):
    # Django has already replaced the password in `credentials` by stars; only the name is kept.
    User = get_user_model()
    name = credentials.get(User.USERNAME_FIELD) or credentials.get("username") or ""
    if credentials.get(WRONG_CODE_MARK):
        # A wrong code after the right password (portal/twofactor.py): the session's account.
        record_event("otp_failed", request, username=str(name))
        return
    record_event("login_failed", request, username=str(name))


def _on_locked_out(sender, request=None, username=None, **kwargs):
    # django-axes announces lock-outs with its own signal (portal/axes_hooks.py).
    record_event("locked_out", request, username=str(username or ""))


def _on_user_saved(sender, instance, created=False, raw=False, **kwargs):
    # set_password() leaves the new raw password in _password until save() returns; a hash
    # upgrade at login clears it before saving, so it is not mistaken for a change.
    if created or raw or getattr(instance, "_password", None) is None:
        return
    record_event("password_changed", target=instance)


def _ensure_retention_schedule(sender, using="default", **kwargs):
    ensure_retention_schedule(using=using)


def setup(app_config):
    """Audit accounts and groups and connect the account-event handlers (idempotent)."""
    User = get_user_model()
    register(User, exclude=["last_login"], redact=["password"], m2m=["groups", "user_permissions"])
    register(Group, m2m=["permissions"])
    pre_save.connect(_fill_entry, sender=LogEntry, dispatch_uid="portal.audit.fill_entry")
    user_logged_in.connect(_on_login, dispatch_uid="portal.audit.login")
    user_logged_out.connect(_on_logout, dispatch_uid="portal.audit.logout")
    user_login_failed.connect(_on_login_failed, dispatch_uid="portal.audit.login_failed")
    user_locked_out.connect(_on_locked_out, dispatch_uid="portal.audit.locked_out")
    post_save.connect(_on_user_saved, sender=User, dispatch_uid="portal.audit.pw")
    post_migrate.connect(
        _ensure_retention_schedule, sender=app_config, dispatch_uid="portal.audit.retention"
    )
