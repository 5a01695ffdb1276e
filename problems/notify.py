"""E-mail notices of problem reports: a new report to the Department, a new reply to the other
side of the thread.

A notice carries the report's number and a link, never its title, description, reply or file
names: the text may describe a province's network or name an account, and e-mail leaves the
portal's scope and audit trail. The reader signs in to read it. Messages are in the portal's
language (Vietnamese), sent after the transaction commits; a mail server's failure is logged and
never undoes the report.
"""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from problems.models import ANSWER_PROBLEMS

logger = logging.getLogger(__name__)


def answerers_emails():
    """Addresses of the active holders of answer_problems (directly or through a group)."""
    holds = Q(user_permissions__codename=ANSWER_PROBLEMS) | Q(
        groups__permissions__codename=ANSWER_PROBLEMS
    )
    users = (
        get_user_model()
        .objects.filter(holds, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )
    return sorted(set(users))


def _send(subject_key, report, link, to):
    with translation.override(settings.LANGUAGE_CODE):
        if subject_key == "new":
            subject = _("New problem report #%(number)s") % {"number": report.pk}
        else:
            subject = _("New reply to problem report #%(number)s") % {"number": report.pk}
        body = render_to_string(
            "problems/email/notice.txt", {"report": report, "link": link, "new": subject_key}
        )
    message = EmailMessage(subject=subject, body=body, to=to)

    def send():
        try:
            message.send()
        except Exception as exc:  # noqa: BLE001 - a mail server's fault never undoes the report
            logger.error("problem report notice #%s not sent: %s", report.pk, exc)

    transaction.on_commit(send)


def new_report(report, link):
    to = answerers_emails()
    if to:
        _send("new", report, link, to)


def new_reply(report, reply_author, by_department, link):
    """To the reporter (and assignee) when the Department writes; otherwise to the assignee,
    or to every official while nobody is assigned."""
    if by_department:
        people = [report.author, report.assignee]
        to = sorted({p.email for p in people if p and p.email and p.is_active})
    elif report.assignee and report.assignee.email:
        to = [report.assignee.email]
    else:
        to = answerers_emails()
    to = [address for address in to if address != reply_author.email]
    if to:
        _send("reply", report, link, to)
