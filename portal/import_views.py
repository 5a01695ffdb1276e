"""Admin pages of the CSV import: upload or paste, preview with every problem, confirm.

Wired into a ModelAdmin with `import_urls(model_admin, ImporterClass)` (cameras/admin.py,
facilities/admin.py). The pages check the scope themselves: only users who may change some
province's registry import, and each row is checked against the user's own provinces.

Between the preview and the confirmation the file is kept in the user's session, compressed and
encrypted with the credential keys (it holds stream passwords), never in a hidden form field (the
passwords would be sent back to the browser). Confirming checks everything again.
"""

import secrets
import zlib

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View
from django.views.decorators.csrf import csrf_protect

from facilities import access
from portal import crypto
from portal.csvimport import FileRefused, check_size, max_bytes, max_rows, template_csv

SESSION_KEY = "portal_import_%s"
PREVIEW_ROWS = 200


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        required=False,
        help_text=gettext_lazy("UTF-8 (Excel: “CSV UTF-8”), separated by commas or semicolons."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,text/csv,text/plain"}),
    )
    text = forms.CharField(
        label=gettext_lazy("or paste the rows here"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 100, "spellcheck": "false"}),
        help_text=gettext_lazy("With the header row first, as in the template."),
    )

    def clean(self):
        cleaned = super().clean()
        upload, text = cleaned.get("file"), cleaned.get("text") or ""
        if upload and text.strip():
            raise forms.ValidationError(_("Either choose a file or paste rows, not both."))
        if not upload and not text.strip():
            raise forms.ValidationError(_("Choose a CSV file or paste rows."))
        try:
            if upload:
                # Refuse by the declared size before reading a byte of a file too large.
                check_size(upload.size)
                cleaned["data"] = upload.read(max_bytes() + 1)
                check_size(len(cleaned["data"]))
            else:
                cleaned["data"] = text.encode("utf-8")
                check_size(len(cleaned["data"]))
        except FileRefused as refused:
            raise forms.ValidationError([str(e) for e in refused.errors]) from None
        return cleaned


def _seal(data):
    return crypto.fernet().encrypt(zlib.compress(data, 6)).decode("ascii")


def _unseal(sealed):
    return zlib.decompress(crypto.fernet().decrypt(sealed.encode("ascii")))


@method_decorator(csrf_protect, name="dispatch")
class ImportView(View):
    """Upload or paste (GET, POST "preview"), confirm (POST "confirm"), cancel (POST "cancel")."""

    model_admin = None
    importer_class = None

    def dispatch(self, request, *args, **kwargs):
        if not (request.user.is_active and request.user.is_staff):
            raise PermissionDenied
        if not access.has_any_scope(request.user, access.CHANGE):
            raise PermissionDenied
        self.opts = self.model_admin.model._meta
        self.session_key = SESSION_KEY % self.importer_class.kind
        return super().dispatch(request, *args, **kwargs)

    def importer(self):
        return self.importer_class(actor=self.request.user)

    # Pages ------------------------------------------------------------------------------------

    def get(self, request):
        return self.render_form(ImportForm())

    def post(self, request):
        try:
            post = request.POST
        except RequestDataTooBig:
            return self.render_form(ImportForm(), too_big=True)
        if "confirm" in post:
            return self.confirm(post.get("token", ""))
        if "cancel" in post:
            request.session.pop(self.session_key, None)
            return HttpResponseRedirect(self.url("import"))
        form = ImportForm(post, request.FILES)
        if not form.is_valid():
            return self.render_form(form)
        data = form.cleaned_data["data"]
        importer = self.importer()
        plan = importer.check(data)
        token = ""
        if plan.ok:
            token = secrets.token_urlsafe(16)
            request.session[self.session_key] = {"token": token, "data": _seal(data)}
        else:
            request.session.pop(self.session_key, None)
        return self.render_preview(importer, plan, token)

    def confirm(self, token):
        pending = self.request.session.get(self.session_key) or {}
        if not token or not secrets.compare_digest(str(pending.get("token", "")), token):
            messages.error(
                self.request,
                _("This preview expired or was replaced by another one. Check the file again."),
            )
            return HttpResponseRedirect(self.url("import"))
        data = _unseal(pending["data"])
        importer = self.importer()
        plan = importer.apply(data)
        if not plan.ok:
            self.request.session.pop(self.session_key, None)
            return self.render_preview(importer, plan, "")
        self.request.session.pop(self.session_key, None)
        messages.success(
            self.request,
            ngettext(
                "%(count)d %(name)s imported.",
                "%(count)d %(plural)s imported.",
                plan.created,
            )
            % {
                "count": plan.created,
                "name": self.opts.verbose_name,
                "plural": self.opts.verbose_name_plural,
            },
        )
        return HttpResponseRedirect(self.url("changelist"))

    # Rendering --------------------------------------------------------------------------------

    def url(self, name):
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_{name}")

    def context(self, **extra):
        importer_class = self.importer_class
        return {
            **self.model_admin.admin_site.each_context(self.request),
            "opts": self.opts,
            "title": _("Import %(name)s from a CSV file") % {"name": self.opts.verbose_name_plural},
            "columns": importer_class.columns,
            "choices": importer_class.documented_choices(),
            "max_rows": max_rows(),
            "max_megabytes": round(max_bytes() / (1024 * 1024), 1),
            "template_url": self.url("import_template"),
            "import_url": self.url("import"),
            "changelist_url": self.url("changelist"),
            **extra,
        }

    def render_form(self, form, too_big=False):
        return TemplateResponse(
            self.request,
            "admin/import_form.html",
            self.context(form=form, too_big=too_big),
        )

    def render_preview(self, importer, plan, token):
        return TemplateResponse(
            self.request,
            "admin/import_preview.html",
            self.context(
                form=ImportForm(),
                plan=plan,
                errors=plan.error_lines(),
                row_count=len(plan.rows) if plan.ok else None,
                preview=importer.preview_rows(plan, PREVIEW_ROWS) if plan.ok else [],
                more_rows=max(0, len(plan.rows) - PREVIEW_ROWS) if plan.ok else 0,
                token=token,
                delimiter_name={",": _("comma"), ";": _("semicolon"), "\t": _("tab")}.get(
                    plan.delimiter, plan.delimiter
                ),
            ),
        )


def template_view(importer_class):
    def view(request):
        if not (request.user.is_active and request.user.is_staff):
            raise PermissionDenied
        body = template_csv(importer_class.columns, importer_class.example_rows)
        response = HttpResponse(body, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="{importer_class.kind}-template.csv"'
        )
        return response

    return view


def import_urls(model_admin, importer_class):
    """URL patterns of the import pages of `model_admin`; put them before the admin's own."""
    opts = model_admin.model._meta
    prefix = f"{opts.app_label}_{opts.model_name}"
    wrap = model_admin.admin_site.admin_view
    view = ImportView.as_view(model_admin=model_admin, importer_class=importer_class)
    return [
        path("import/", wrap(view), name=f"{prefix}_import"),
        path(
            "import/template.csv",
            wrap(template_view(importer_class)),
            name=f"{prefix}_import_template",
        ),
    ]
