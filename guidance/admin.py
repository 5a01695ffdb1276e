"""The guidance in the admin: national administrators upload versions; national readers and
province admins read who acknowledged on the report page (views.py), not here."""

from django.contrib import admin, messages
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from facilities import access
from guidance import documents, reminders, report
from guidance.forms import GuidanceDocumentForm
from guidance.models import Acknowledgement, GuidanceDocument


class NationalAdminOnly:
    """Guidance is national: only national administrators (superusers) use these pages."""

    def has_module_permission(self, request):
        return access.is_national_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return access.is_national_admin(request.user)

    def has_add_permission(self, request, obj=None):
        return access.is_national_admin(request.user)

    def has_change_permission(self, request, obj=None):
        return access.is_national_admin(request.user)

    def has_delete_permission(self, request, obj=None):
        return access.is_national_admin(request.user)


@admin.register(GuidanceDocument)
class GuidanceDocumentAdmin(NationalAdminOnly, admin.ModelAdmin):
    form = GuidanceDocumentForm
    list_display = ["number", "title", "kind", "issued_on", "issuer", "uploaded_at"]
    list_filter = ["kind"]
    search_fields = ["number", "title", "issuer"]
    readonly_fields = ["pdf_size", "uploaded_by", "uploaded_at"]
    actions = ["remind"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.uploaded_by = request.user
        # A new PDF replaces the version's file: the old one is removed once the row is saved.
        replaced = ""
        if change:
            stored = GuidanceDocument.objects.filter(pk=obj.pk).values_list("pdf_name", flat=True)
            replaced = stored.first() or ""
        form.save_pdf()
        super().save_model(request, obj, form, change)
        if replaced and replaced != obj.pdf_name:
            transaction.on_commit(lambda: documents.remove_pdf(replaced))

    def delete_model(self, request, obj):
        name = obj.pdf_name
        super().delete_model(request, obj)
        transaction.on_commit(lambda: documents.remove_pdf(name))

    def delete_queryset(self, request, queryset):
        names = list(queryset.values_list("pdf_name", flat=True))
        super().delete_queryset(request, queryset)
        transaction.on_commit(lambda: [documents.remove_pdf(name) for name in names])

    @admin.action(description=_("E-mail a reminder to those who have not acknowledged"))
    def remind(self, request, queryset):
        _documents, rows = report.build(request.user)
        sent, without = reminders.send_reminders(report.not_acknowledged(rows))
        self.message_user(
            request,
            ngettext(
                "%(sent)d reminder sent (%(without)d account(s) without an e-mail address).",
                "%(sent)d reminders sent (%(without)d account(s) without an e-mail address).",
                sent,
            )
            % {"sent": sent, "without": without},
            messages.SUCCESS,
        )


@admin.register(Acknowledgement)
class AcknowledgementAdmin(NationalAdminOnly, admin.ModelAdmin):
    list_display = ["user", "document", "acknowledged_at"]
    list_select_related = ["user", "document"]
    list_filter = ["document__kind"]
    search_fields = ["user__username", "document__number"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # An acknowledgement is a record of what someone stated: kept as it was.
        return False
