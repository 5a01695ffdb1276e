"""Admin classes that show and change only what the user's grants allow (facilities/access.py).

guardian's GuardedModelAdmin narrows only the list; here every path is scoped: the list, the object
pages (change, delete, history), foreign-key choices and autocomplete, actions and the admin index.
Staff accounts need no model-wide permissions: their province grants are enough. Deleting stays
with national administrators (a province decommissions instead, so history is kept). The portal's
admin site keeps the third-party apps' admin pages for national administrators.
"""

import dataclasses

from django.contrib import admin
from django.contrib.admin.views.main import PAGE_VAR, ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.db.models.base import ModelBase
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from facilities import access
from portal.query import as_aggregate, attach_counts, count_of, grouped_counts
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


@dataclasses.dataclass(frozen=True)
class Counted:
    """Figures a list shows beside each row: rows of another model counted per row.

    rows:   the counted rows, already scoped (`Camera.objects.restrict(user, "view")`);
    field:  the lookup from them to the list's row ("facility", "province");
    counts: {figure name: Q of the rows it counts, None for all of them, or an aggregate
            over a relation of theirs (portal/query.py `as_aggregate`)}.
    """

    rows: QuerySet
    field: str
    counts: dict


class PageChangeList(ChangeList):
    """The admin's list, whose page is sorted on narrow rows and counted for its own rows.

    - With `list_only` (a big table: cameras), the page's ids are sorted and cut first, then
      only those rows are read with their related rows and the fields the columns show
      (`ScopedAdmin.page_rows`). A big province's 30,000 cameras are sorted as ids, not as
      whole rows joined to their check state (the sort of whole rows, encrypted credentials and
      JSON reasons included, spilled to disk on PostgreSQL, issue 13). The list's actions
      still get whole rows (ChangeList.get_queryset, unchanged).
    - The figures of `ScopedAdmin.counted()` come from one grouped query per counted model over
      the page's ids: a correlated count per row of the whole list cost 2.8 s on PostgreSQL for
      63 provinces at 100,000 cameras (bench/README.md). Only when the list is sorted by a
      figure does the whole list get it, in its own query (the database must know every row's
      figure to sort).
    """

    def get_queryset(self, request, exclude_parameters=None):
        ordering = self.get_ordering(request, self.root_queryset)
        sorted_by = {
            str(field).removeprefix("-") for field in ordering if isinstance(field, str)
        }
        figures = sorted_by & self.model_admin.figure_names(request)
        if figures:
            self.root_queryset = self.model_admin.with_figures(
                request, self.root_queryset, figures
            )
        return super().get_queryset(request, exclude_parameters)

    def get_results(self, request):
        super().get_results(request)
        only = self.model_admin.list_only
        if only:
            ids = list(self.result_list.values_list("pk", flat=True))
            # The page's rows by id. The ids come from the scoped, filtered and sorted list
            # above: this query needs neither the scope nor the filters again (with them SQLite
            # walked a province's 3,000 facilities to find a page's 100 cameras).
            rows = self.model._default_manager.filter(pk__in=ids).only(*only)
            if self.list_select_related is True:
                rows = rows.select_related()
            elif self.list_select_related:
                rows = rows.select_related(*self.list_select_related)
            found = {row.pk: row for row in self.model_admin.page_rows(request, rows)}
            self.result_list = [found[pk] for pk in ids if pk in found]
        else:
            self.result_list = list(self.result_list)
        self.model_admin.count_page(request, self.result_list, self.queryset)


class CappedPaginator(Paginator):
    """A paginator that counts the rows of a big list only as far as its pages are asked for.

    `count` is exact up to `cap` rows; past it, `more` is true and `count` is `cap`: the page
    then says "more than N" (templates/admin/portal/capped_pagination.html) and the pages
    beyond come within reach as one moves towards them (`for_request`). Counting a province's
    150,000 audit entries exactly, on every page view, is most of the list's time at 500,000
    entries, for a figure nobody reads.
    """

    # Rows counted at least, and pages counted past the one asked for.
    MIN_CAP = 1000
    PAGES_AHEAD = 10

    def __init__(self, object_list, per_page, orphans=0, allow_empty_first_page=True, cap=None):
        super().__init__(object_list, per_page, orphans, allow_empty_first_page)
        self.cap = cap or self.MIN_CAP
        self.more = False

    @classmethod
    def for_request(cls, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        try:
            page = max(int(request.GET.get(PAGE_VAR, 1)), 1)
        except ValueError:
            page = 1
        cap = max(cls.MIN_CAP, (page + cls.PAGES_AHEAD) * per_page)
        return cls(queryset, per_page, orphans, allow_empty_first_page, cap=cap)

    @cached_property
    def count(self):
        # SELECT COUNT(*) FROM (SELECT ... LIMIT cap + 1), in no order: the database stops at
        # the first cap + 1 rows it finds.
        counted = self.object_list.order_by().values("pk")[: self.cap + 1].count()
        self.more = counted > self.cap
        return min(counted, self.cap)


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
    # The fields the list's page reads (`QuerySet.only()`), or None for whole rows.
    list_only = None
    # A filtered list does not count the whole scope a second time for "(N total)": at
    # 100,000 cameras that count is a query as long as the list's own.
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).restrict(request.user, access.VIEW)

    def get_changelist(self, request, **kwargs):
        return PageChangeList

    # --- Figures counted per row (PageChangeList) ----------------------------------------------

    def counted(self, request):
        """The `Counted` figures of the list's rows, for `request`'s user (none here)."""
        return []

    def figure_names(self, request):
        return {name for counted in self.counted(request) for name in counted.counts}

    def with_figures(self, request, queryset, names):
        """`queryset` annotated with the figures `names` for every row (to sort or filter the
        whole list by them); figures it already has are left alone."""
        for counted in self.counted(request):
            for name, count in counted.counts.items():
                if name in names and name not in queryset.query.annotations:
                    figure = count_of(counted.rows, counted.field, as_aggregate(count))
                    queryset = queryset.annotate(**{name: figure})
        return queryset

    def page_rows(self, request, queryset):
        """The query that reads the page's rows by id (with `list_only`): `queryset` with what
        the columns need beyond the fields (nothing here)."""
        return queryset

    def count_page(self, request, rows, queryset):
        """Set the figures on the page's `rows`: one grouped query per counted model over the
        page's ids, for the figures `queryset` did not annotate already."""
        ids = [row.pk for row in rows]
        for counted in self.counted(request):
            wanted = {
                name: condition
                for name, condition in counted.counts.items()
                if name not in queryset.query.annotations
            }
            if wanted:
                found = grouped_counts(counted.rows, counted.field, ids, **wanted)
                attach_counts(rows, found, wanted)

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

    def get_changeform_initial_data(self, request):
        """The add form's initial values from the address (`?facility=12`, as the facility page's
        "Add a camera" link gives), keeping a scoped foreign key only when it names an object the
        user may choose: another province's id pre-fills nothing, and a malformed one ("abc"),
        which the autocomplete widget would look up as is and fail on, is dropped too."""
        initial = super().get_changeform_initial_data(request)
        for name, (model, action) in self.fk_scopes.items():
            if name not in initial:
                continue
            try:
                pk = model._meta.pk.to_python(initial[name])
            except (TypeError, ValidationError):
                pk = None
            choosable = model.objects.restrict(request.user, action)
            if pk is None or not choosable.filter(pk=pk).exists():
                del initial[name]
            else:
                initial[name] = pk
        return initial

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


class NationalAdminOnly:
    """Admin pages of third-party apps (accounts, task queue, lock-outs): national administrators.

    Their stock permission checks load every model permission of the account on each admin
    page (two queries) only to answer "no" for everyone else, so the superuser check comes
    first; the stock check still has its say for superusers, where it is free and may refuse
    (django-q2 adds no task by hand: its add page would fail).
    """

    def has_module_permission(self, request):
        return access.is_national_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return access.is_national_admin(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return access.is_national_admin(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return access.is_national_admin(request.user) and super().has_change_permission(
            request, obj
        )

    def has_delete_permission(self, request, obj=None):
        return access.is_national_admin(request.user) and super().has_delete_permission(
            request, obj
        )


class PortalAdminSite(admin.AdminSite):
    """The portal's admin site (the default site: portal.apps.PortalAdminConfig).

    Every model of `national_admin_apps` is registered with NationalAdminOnly in front of its
    admin class, whichever module registers it (the app itself, or portal/admin.py replacing it).
    """

    site_header = _("Quarantine facility camera connection portal")
    site_title = _("Camera portal")
    index_title = _("Registry administration")
    national_admin_apps = frozenset({"auth", "django_q", "axes"})

    def register(self, model_or_iterable, admin_class=None, **options):
        if isinstance(model_or_iterable, ModelBase):
            model_or_iterable = [model_or_iterable]
        for model in model_or_iterable:
            model_admin = admin_class or admin.ModelAdmin
            if model._meta.app_label in self.national_admin_apps:
                model_admin = type(
                    model_admin.__name__,
                    (NationalAdminOnly, model_admin),
                    {"__module__": model_admin.__module__},
                )
            super().register(model, model_admin, **options)

    def login(self, request, extra_context=None):
        """A signed-in account without the admin (a facility manager) is refused with the
        portal's page and a way home, not shown a login form whose only link leads back here."""
        if request.user.is_authenticated and not self.has_permission(request):
            raise PermissionDenied(
                _(
                    "The administration pages are for the staff of the provinces, the operators "
                    "and the Telecommunications Department. Your account reads its facilities "
                    "on the portal's own pages."
                )
            )
        return super().login(request, extra_context)


def scoped_provinces(request):
    """The provinces the user may read, by code, once per request (the province filter and the
    camera list's columns both ask)."""
    from facilities.models import Province

    return _memo(
        request,
        "provinces",
        lambda: list(Province.objects.restrict(request.user, access.VIEW).order_by("code")),
    )


class DropdownFilter:
    """A list filter shown as one drop-down instead of a column of links.

    A list of 63 provinces is a 2,600 px column beside a list that must fit a 1366 px screen;
    a drop-down is one line, and the browser's type-ahead finds "Hà Nội" by typing. Choosing an
    option opens its link (static/portal/dropdown_filter.js: the Content-Security-Policy allows
    no inline script); without JavaScript the links are listed as before.
    """

    template = "admin/portal/dropdown_filter.html"


class DropdownChoicesFilter(DropdownFilter, admin.ChoicesFieldListFilter):
    """A field's choices (status, health, zone...) as a drop-down."""


class ScopedProvinceFilter(DropdownFilter, admin.RelatedFieldListFilter):
    """The province filter offers only the provinces the user may read (one query, as before),
    as a drop-down; with one province it is not shown (nothing to choose)."""

    def field_choices(self, field, request, model_admin):
        return [(province.pk, str(province)) for province in scoped_provinces(request)]
