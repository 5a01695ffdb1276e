"""The guidance pages: the documents, a document's PDF, the acknowledgement asked at sign-in,
and the report of who has acknowledged (gate.py leaves them all open to a marked session).

The documents are national, the same for every signed-in account: they belong to no province,
so there is nothing of them to scope. The report's provinces and people come from the
viewer's scope (report.py).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from guidance import gate, report
from guidance.acknowledgement import acknowledge as record_acknowledgements
from guidance.acknowledgement import must_acknowledge, pending_documents
from guidance.documents import current_versions, pdf_path
from guidance.models import Acknowledgement, GuidanceDocument


@login_required
def documents(request):
    current = list(current_versions())
    current_ids = [doc.pk for doc in current]
    older = list(
        GuidanceDocument.objects.exclude(pk__in=current_ids).order_by("kind", "-issued_on", "-pk")
    )
    acknowledged = set(
        Acknowledgement.objects.filter(user=request.user, document_id__in=current_ids).values_list(
            "document_id", flat=True
        )
    )
    for doc in current:
        doc.acknowledged = doc.pk in acknowledged
    return render(
        request,
        "guidance/documents.html",
        {"current": current, "older": older, "must": must_acknowledge(request.user)},
    )


@login_required
def document_detail(request, pk):
    document = get_object_or_404(GuidanceDocument, pk=pk)
    return render(request, "guidance/document.html", {"document": document})


@login_required
def document_pdf(request, pk):
    document = get_object_or_404(GuidanceDocument, pk=pk)
    path = pdf_path(document)
    if path is None or not path.is_file():
        raise Http404
    response = FileResponse(
        open(path, "rb"),
        content_type="application/pdf",
        as_attachment=False,
        filename=f"{document.number.replace('/', '-')}.pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def acknowledge(request):
    pending = pending_documents(request.user)
    done = reverse("guidance:documents")
    if request.method == "POST":
        if pending and request.POST.get("confirm") != "yes":
            messages.error(request, _("Tick the box to confirm you have read the guidance."))
            return redirect(request.get_full_path())
        created = record_acknowledgements(request.user, pending, request)
        gate.acknowledged(request)
        if created:
            messages.success(request, _("Thank you: your acknowledgement is recorded."))
        return redirect(gate.safe_next(request, done))
    if not pending:
        gate.acknowledged(request)
    return render(
        request,
        "guidance/acknowledge.html",
        {"pending": pending, "next": gate.safe_next(request, "")},
    )


@login_required
def acknowledgement_report(request):
    provinces = report.report_provinces(request.user)
    if not provinces.exists():
        raise PermissionDenied
    docs, rows = report.build(request.user, provinces)
    return render(
        request,
        "guidance/report.html",
        {
            "documents": docs,
            "rows": rows,
            "total": sum(len(row.people) for row in rows),
            "pending": sum(row.pending for row in rows),
        },
    )
