"""What is audited and how: auditlog registrations and the account-event signal handlers.

Called once from PortalConfig.ready(). Models of other apps that may not exist yet
(cameras.ConnectionStandard, reports.DailySnapshot) are registered when present.

Secrets: camera user names and passwords (Fernet-encrypted fields) and user password hashes are
fully redacted - an entry says they changed, never what to or from. auditlog's default mask keeps
half of the value, which is not enough.

Noise: what the checks write about a camera lives in its own model (cameras.CameraState), which is
never registered; a save that touches only excluded fields (a login writing last_login) skips
auditlog's read of the previous state altogether.
"""

from auditlog.conf import settings as auditlog_settings
from auditlog.models import LogEntry
from auditlog.receivers import _create_log_entry, check_disable, log_update
from auditlog.registry import auditlog
from auditlog.signals import pre_log
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.core.exceptions import ImproperlyConfigured
from django.db.models.signals import post_migrate, post_save, pre_save

from portal import audit

REDACT_CALLABLE = "portal.auditlog_setup.redact"
# Per model: the fields whose change alone never makes an entry (names and attnames), and the
# columns the previous state is read with (the audited ones: the diff reads nothing else).
QUIET_FIELDS = {}
TRACKED_COLUMNS = {}


def redact(value):
    """auditlog mask callable: nothing of the value survives, not even its length."""
    return audit.REDACTED


def _field_names(model):
    return {f.name for f in model._meta.concrete_fields}


def _optional_model(label):
    try:
        return apps.get_model(label)
    except LookupError:
        return None


def audited_models():
    """(model, options) for every model a person changes; missing optional models left out."""
    User = get_user_model()
    specs = [
        ("facilities.Province", {}),
        ("facilities.Facility", {}),
        ("cameras.Camera", {"redact": ["username", "password"]}),
        ("facilities.ProvinceUserObjectPermission", {}),
        ("facilities.ProvinceGroupObjectPermission", {}),
        ("facilities.FacilityUserObjectPermission", {}),
        ("facilities.FacilityGroupObjectPermission", {}),
        ("cameras.ConnectionStandard", {}),
        ("reports.DailySnapshot", {}),
    ]
    result = []
    for label, options in specs:
        model = _optional_model(label)
        if model is not None:
            result.append((model, {"exclude": ["updated_at"], **options}))
    result.append(
        (
            User,
            {
                "exclude": ["last_login"],
                "redact": ["password"],
                "m2m": ["groups", "user_permissions"],
            },
        )
    )
    result.append((Group, {"m2m": ["permissions"]}))
    return result


def register(model, *, exclude=(), redact=(), m2m=()):
    names = _field_names(model)
    exclude = [n for n in exclude if n in names]
    # Reverse relations (a facility's cameras...) would appear in every creation entry as
    # "cameras.Camera.None": they are the other model's business.
    reverse = [f.name for f in model._meta.get_fields() if f.auto_created and not f.concrete]
    auditlog.register(
        model,
        exclude_fields=list(exclude) + reverse,
        mask_fields=[n for n in redact if n in names],
        mask_callable=REDACT_CALLABLE,
        m2m_fields=set(m2m),
    )
    quiet = set(exclude)
    quiet |= {model._meta.get_field(n).attname for n in exclude}
    QUIET_FIELDS[model] = frozenset(quiet)
    columns = [f.name for f in model._meta.concrete_fields if f.name not in exclude]
    route = audit._province_route(model)
    if route is not None and route[0] == "via":
        columns.append(f"{route[1]}__province")
    TRACKED_COLUMNS[model] = columns
    # Our update receiver instead of auditlog's (see _log_update).
    stock = auditlog._dispatch_uid(pre_save, log_update)
    if not pre_save.disconnect(sender=model, dispatch_uid=stock):
        raise ImproperlyConfigured("auditlog's update receiver was not found: check its version")
    pre_save.connect(
        _log_update, sender=model, dispatch_uid=f"portal.audit.update.{model._meta.label}"
    )
    if not hasattr(model, "get_additional_data"):
        # auditlog's hook for extra data: the province, which scopes the entry in the admin.
        model.get_additional_data = audit.additional_data


@check_disable
def _log_update(sender, instance, raw=False, update_fields=None, **kwargs):
    """auditlog's log_update, without its cost when nothing audited can have changed.

    - a save limited to excluded fields (a login's last_login) reads nothing and logs nothing;
    - the previous state is read by primary key without the model's default ordering (Camera's
      would join facility and province for nothing), with the audited columns only, and with the
      facility when the province is reached through it, so storing the province costs no query.
    """
    if instance._state.adding or instance.pk is None:
        return
    if update_fields is not None and set(update_fields) <= QUIET_FIELDS.get(sender, frozenset()):
        return
    manager = sender._base_manager if auditlog_settings.AUDITLOG_USE_BASE_MANAGER else (
        sender._default_manager
    )
    queryset = manager.filter(pk=instance.pk).order_by()
    route = audit._province_route(sender)
    if route is not None and route[0] == "via":
        queryset = queryset.select_related(route[1])
    if sender in TRACKED_COLUMNS:
        queryset = queryset.only(*TRACKED_COLUMNS[sender])
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
    from portal.models import ImmutableRecordError

    if kwargs.get("raw"):
        # Loading fixtures or a serialized test database: rows come back as they were recorded.
        return
    if not instance._state.adding:
        raise ImmutableRecordError("audit entries are never changed")
    context = audit.current_context()
    if instance.actor_id is None:
        actor = audit.current_actor()
        if actor is not None:
            instance.actor = actor
            instance.actor_email = getattr(actor, "email", None) or None
    if context is not None:
        instance.remote_addr = instance.remote_addr or context.remote_addr
        instance.cid = instance.cid or context.request_id


def _snapshot_by_hand_only(sender, instance, action, **kwargs):
    """Daily snapshots are audited when a person regenerates them, not when the schedule does."""
    actor = audit.current_actor(fallback_to_system=False)
    return actor is not None and not audit.is_system(actor)


# --- Account events ----------------------------------------------------------------------------


def _on_login(sender, request, user, **kwargs):
    audit.record_event("login", request, actor=user)


def _on_logout(sender, request, user, **kwargs):
    if user is not None and user.is_authenticated:
        audit.record_event("logout", request, actor=user)


def _on_login_failed(sender, credentials, request=None, **kwargs):
    # Django has already replaced the password in `credentials` by stars; only the name is kept.
    User = get_user_model()
    name = credentials.get(User.USERNAME_FIELD) or credentials.get("username") or ""
    audit.record_event("login_failed", request, username=str(name))


def _on_locked_out(sender, request=None, username=None, **kwargs):
    audit.record_event("locked_out", request, username=str(username or ""))


def _on_user_saved(sender, instance, created=False, raw=False, **kwargs):
    # set_password() leaves the new raw password in _password until save() returns; a hash
    # upgrade at login clears it before saving, so it is not mistaken for a change.
    if created or raw or getattr(instance, "_password", None) is None:
        return
    audit.record_event("password_changed", target=instance)


def _ensure_retention_schedule(sender, using="default", **kwargs):
    audit.ensure_retention_schedule(using=using)


def setup(app_config):
    """Register the audited models and connect the account-event handlers (idempotent)."""
    for model, options in audited_models():
        if not auditlog.contains(model):
            register(model, **options)
    pre_save.connect(_fill_entry, sender=LogEntry, dispatch_uid="portal.audit.fill_entry")
    snapshot = _optional_model("reports.DailySnapshot")
    if snapshot is not None:
        pre_log.connect(_snapshot_by_hand_only, sender=snapshot, dispatch_uid="portal.audit.snap")
    user_logged_in.connect(_on_login, dispatch_uid="portal.audit.login")
    user_logged_out.connect(_on_logout, dispatch_uid="portal.audit.logout")
    user_login_failed.connect(_on_login_failed, dispatch_uid="portal.audit.login_failed")
    post_save.connect(_on_user_saved, sender=get_user_model(), dispatch_uid="portal.audit.pw")
    if apps.is_installed("axes"):
        # django-axes (added by the CSV-import work) announces lock-outs with its own signal.
        from axes.signals import user_locked_out

        user_locked_out.connect(_on_locked_out, dispatch_uid="portal.audit.locked_out")
    post_migrate.connect(
        _ensure_retention_schedule, sender=app_config, dispatch_uid="portal.audit.retention"
    )
