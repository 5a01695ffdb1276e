"""Writing problem reports: a report or reply with its files, in one transaction, with notices.

The views call these with a validated form; each write is audited by auditlog under the
request's actor (portal/middleware.py AuditMiddleware).
"""

from django.db import transaction

from portal import sealed_files
from problems import attachments, notify
from problems.choices import ProblemStatus
from problems.models import ProblemReply, may_answer


def _with_files(write, files, **where):
    """Run `write()` and store `files` [(upload, kind)] with its result, atomically; the sealed
    files of a failed transaction are removed (Django has no rollback hook)."""
    written = []
    try:
        with transaction.atomic():
            report, reply = write()
            for upload, kind in files:
                row = attachments.store(
                    upload, kind, report=report, reply=reply, user=where["user"]
                )
                written.append(attachments.directory() / row.file_name)
    except BaseException:
        for path in written:
            sealed_files.remove(path)
        raise
    return report, reply


def open_report(form, user, link_for):
    """Save a new report from a valid ReportForm; `link_for(report)` its absolute address."""

    def write():
        form.instance.author = user
        return form.save(), None

    report, _reply = _with_files(write, form.cleaned_data["files"], user=user)
    notify.new_report(report, link_for(report))
    return report


def add_reply(report, form, user, link_for):
    """Save a reply from a valid ReplyForm. The Department's first answer marks an open report
    answered."""
    by_department = may_answer(user)

    def write():
        reply = ProblemReply.objects.create(
            report=report, author=user, body=form.cleaned_data["body"]
        )
        if by_department and report.status == ProblemStatus.OPEN:
            report.status = ProblemStatus.ANSWERED
            report.save(update_fields=["status", "updated_at"])
        else:
            report.save(update_fields=["updated_at"])
        return report, reply

    _report, reply = _with_files(write, form.cleaned_data["files"], user=user)
    notify.new_reply(report, user, by_department, link_for(report))
    return reply
