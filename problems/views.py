"""Pages of problem reports: the list (with filters and a CSV export), a new report, a report's
thread with its reply form, the Department's handling, and the attachments' scoped download."""

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from facilities import access
from facilities.models import Facility, Province
from portal import sealed_files
from problems import attachments, exports, queries, services
from problems.forms import FilterForm, HandlingForm, ReplyForm, ReportForm
from problems.models import ProblemAttachment, may_answer

PER_PAGE = 50


def _may_report(user):
    """Any account holding some scope: a province role, a facility, or the national view."""
    return (
        access.is_national_viewer(user)
        or access.has_any_scope(user, access.VIEW)
        or Facility.objects.restrict(user, access.VIEW).exists()
    )


def _link_for(request):
    return lambda report: request.build_absolute_uri(reverse("problems:detail", args=[report.pk]))


def _filtered(request):
    form = FilterForm(request.GET or None, user=request.user)
    return form, form.apply(queries.listed(request.user), request.user)


@login_required
@require_GET
def report_list(request):
    if not _may_report(request.user):
        raise PermissionDenied
    form, reports = _filtered(request)
    page = Paginator(reports, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "problems/list.html",
        {
            "form": form,
            "page": page,
            "reports": page.object_list,
            "query": query.urlencode(),
            "may_answer": may_answer(request.user),
        },
    )


@login_required
@require_GET
def export_csv(request):
    if not _may_report(request.user):
        raise PermissionDenied
    _form, reports = _filtered(request)
    response = StreamingHttpResponse(exports.rows(reports), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="problem-reports-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response


def _initial(request):
    """The province, facility or camera the report is opened from (a facility page's link)."""
    initial = {}
    for name, model in (("province", Province), ("facility", Facility)):
        value = request.GET.get(name, "")
        if (
            value.isdigit()
            and model.objects.restrict(request.user, access.VIEW).filter(pk=int(value)).exists()
        ):
            initial[name] = int(value)
    camera = request.GET.get("camera", "")
    if camera.isdigit() and "facility" in initial:
        initial["camera"] = int(camera)
    return initial


@login_required
def report_new(request):
    if not _may_report(request.user):
        raise PermissionDenied
    if request.method == "POST":
        form = ReportForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            report = services.open_report(form, request.user, _link_for(request))
            messages.success(
                request,
                _("Your report #%(number)s was sent to the Telecommunications Department.")
                % {"number": report.pk},
            )
            return redirect("problems:detail", pk=report.pk)
    else:
        form = ReportForm(initial=_initial(request), user=request.user)
    return render(request, "problems/new.html", {"form": form})


def _report_or_404(request, pk):
    # Another province's report gives 404, exactly as one that does not exist.
    return get_object_or_404(
        queries.visible(request.user).select_related(
            "province", "facility", "camera", "author", "assignee"
        ),
        pk=pk,
    )


def _detail(request, report, reply_form=None, handling_form=None, status=200):
    answerer = may_answer(request.user)
    replies = list(report.replies.select_related("author").order_by("created_at", "pk"))
    files = list(report.attachments.order_by("uploaded_at", "pk"))
    by_reply = {}
    for attachment in files:
        by_reply.setdefault(attachment.reply_id, []).append(attachment)
    for reply in replies:
        reply.files = by_reply.get(reply.pk, [])
    context = {
        "report": report,
        "report_files": by_reply.get(None, []),
        "replies": replies,
        "reply_form": reply_form or ReplyForm(),
        "may_answer": answerer,
        "handling_form": (handling_form or HandlingForm(instance=report)) if answerer else None,
    }
    return render(request, "problems/detail.html", context, status=status)


@login_required
@require_GET
def report_detail(request, pk):
    return _detail(request, _report_or_404(request, pk))


@login_required
@require_POST
def report_reply(request, pk):
    report = _report_or_404(request, pk)
    form = ReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        return _detail(request, report, reply_form=form, status=400)
    services.add_reply(report, form, request.user, _link_for(request))
    messages.success(request, _("Your reply was added."))
    return redirect("problems:detail", pk=report.pk)


@login_required
@require_POST
def report_handle(request, pk):
    report = _report_or_404(request, pk)
    if not may_answer(request.user):
        raise PermissionDenied
    form = HandlingForm(request.POST, instance=report)
    if not form.is_valid():
        return _detail(request, report, handling_form=form, status=400)
    form.save()
    messages.success(request, _("The report's handling was saved."))
    return redirect("problems:detail", pk=report.pk)


@login_required
@require_GET
def attachment_download(request, pk):
    """One attachment, to those who may see its report; never cached, never sniffed."""
    attachment = get_object_or_404(
        ProblemAttachment.objects.filter(report__in=queries.visible(request.user).values("pk")),
        pk=pk,
    )
    try:
        data = attachments.read(attachment)
    except (OSError, sealed_files.UnreadableFile):
        raise Http404 from None
    content_type, _ext = attachments.KINDS[attachment.kind]
    response = HttpResponse(data, content_type=content_type)
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "no-referrer"
    # Always a download: a PDF or picture is not opened inside the portal's origin.
    ascii_name = attachment.name.encode("ascii", "ignore").decode() or f"file.{_ext}"
    ascii_name = ascii_name.replace('"', "")

    response["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(attachment.name)}"
    )
    return response
