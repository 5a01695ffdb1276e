"""Admin classes that show and change only what the user's grants allow (facilities/access.py).

guardian's GuardedModelAdmin narrows only the list; here every path is scoped: the list, the object
pages (change, delete, history), foreign-key choices and autocomplete, actions and the admin index.
Staff accounts need no model-wide permissions: their province grants are enough. Deleting stays
with national administrators (a province decommissions instead, so history is kept).
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from facilities import access
from portal.text import CleanTextModelForm, nfc


def _memo(request, key, compute):
    """Per-request cache: the admin asks the same permission question many times per page."""
    cache = request.__dict__.setdefault("_scope_cache", {})
    if key not in cache:
        cache[key] = compute()
    return cache[key]


def has_scope(request, action):
    user = request.user
    if not (user.is_active and user.is_staff):
        return False
    return _memo(request, ("any", action), lambda: access.has_any_scope(user, action))


def can(request, action, obj):
    if obj is None:
        return has_scope(request, action)
    key = (action, obj._meta.label, obj.pk)
    return _memo(request, key, lambda: access.can(request.user, action, obj))


class ScopedAdmin(admin.ModelAdmin):
    """A ModelAdmin whose every path goes through `Model.objects.restrict(user, action)`.

    `edit_action` is the scope needed to add or change (province admins: "change").
    `fk_scopes` maps a foreign-key field to the (model, action) whose restricted queryset are the
    allowed choices, so a facility of another province can neither be chosen nor submitted.
    A subclass that declares its own `form` derives it from CleanTextModelForm too (NFC text, no
    invisible characters: portal/text.py); tests/test_input_safety.py checks every admin.
    """

    form = CleanTextModelForm
    edit_action = access.CHANGE
    fk_scopes = {}
    out_of_scope_message = _("Choose an item within the provinces and facilities you manage.")

    def get_queryset(self, request):
        return super().get_queryset(request).restrict(request.user, access.VIEW)

    def has_module_permission(self, request):
        return has_scope(request, access.VIEW)

    def has_view_permission(self, request, obj=None):
        return can(request, access.VIEW, obj)

    def has_add_permission(self, request):
        return has_scope(request, self.edit_action)

    def has_change_permission(self, request, obj=None):
        return can(request, self.edit_action, obj)

    def has_delete_permission(self, request, obj=None):
        return access.is_national_admin(request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.fk_scopes:
            model, action = self.fk_scopes[db_field.name]
            kwargs["queryset"] = model.objects.restrict(request.user, action)
            field = super().formfield_for_foreignkey(db_field, request, **kwargs)
            field.error_messages["invalid_choice"] = self.out_of_scope_message
            return field
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not access.is_national_admin(request.user):
            actions.pop("delete_selected", None)
        return actions

    def get_search_results(self, request, queryset, search_term):
        # Names are stored in NFC: a search typed with decomposed accents finds them too.
        search_term = nfc(search_term)
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        # Autocomplete of a foreign key offers only what the asking form may submit.
        field = request.GET.get("field_name")
        if request.GET.get("app_label") and field:
            source = _autocomplete_source(request)
            if source is not None and field in source.fk_scopes:
                model, action = source.fk_scopes[field]
                if model is self.model:
                    queryset = queryset & model.objects.restrict(request.user, action)
        return queryset, may_have_duplicates


def _autocomplete_source(request):
    from django.apps import apps

    try:
        model = apps.get_model(request.GET["app_label"], request.GET["model_name"])
    except (KeyError, LookupError):
        return None
    source = admin.site._registry.get(model)
    return source if isinstance(source, ScopedAdmin) else None


def _national_admin_only(request, obj=None):
    return access.is_national_admin(request.user)


def national_admin_only(site, app_labels=("auth", "django_q", "axes")):
    """Third-party admin pages (accounts, task queue, lock-outs) are for national administrators.

    Their stock permission checks load every model permission of the account on each admin
    page (two queries) only to answer "no" for everyone else; a superuser check answers alike.
    """
    for model, model_admin in site._registry.items():
        if model._meta.app_label in app_labels:
            for name in (
                "has_module_permission",
                "has_view_permission",
                "has_add_permission",
                "has_change_permission",
                "has_delete_permission",
            ):
                setattr(model_admin, name, _national_admin_only)


class ScopedProvinceFilter(admin.RelatedFieldListFilter):
    """The province filter offers only the provinces the user may read (one query, as before)."""

    def field_choices(self, field, request, model_admin):
        from facilities.models import Province

        provinces = Province.objects.restrict(request.user, access.VIEW).order_by("code")
        return [(province.pk, str(province)) for province in provinces]
