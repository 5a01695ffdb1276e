"""The reminder e-mail to the accounts that have not acknowledged the current guidance.

The mail carries a link to the acknowledgement page, never the guidance itself; accounts
without an e-mail address are counted, not mailed.
"""

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _


def send_reminders(people):
    """E-mail each of `people` (report.Person) once; returns (sent, without address)."""
    link = settings.PORTAL_URL.rstrip("/") + reverse("guidance:acknowledge")
    messages = []
    without = 0
    with translation.override(settings.LANGUAGE_CODE):
        for person in people:
            if not person.user.email:
                without += 1
                continue
            subject = _("Reminder: acknowledge the camera system guidance")
            body = _(
                "Hello %(name)s,\n\nYou have not yet acknowledged the current version of the "
                "national guidance on managing and using the camera system (%(count)s "
                "document(s)). Sign in to the portal, read them and acknowledge them:\n%(link)s"
                "\n"
            ) % {
                "name": person.user.get_full_name() or person.user.username,
                "count": len(person.missing),
                "link": link,
            }
            messages.append(EmailMessage(subject, body, to=[person.user.email]))
    if messages:
        get_connection().send_messages(messages)
    return len(messages), without
