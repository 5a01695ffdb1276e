"""Strings of third-party apps that reach our pages, for our Vietnamese catalog.

django-q2 and django-auditlog ship no Vietnamese translation; listing their msgids here lets
makemessages put them in locale/vi so the task pages and the audit log read in Vietnamese too.
Every such msgid is listed here and nowhere else. Never imported: the catalog is what matters.
"""

from django.utils.translation import gettext_noop

# django-q2: the task queue's admin pages.
DJANGO_Q = [
    gettext_noop("Failed task"),
    gettext_noop("Failed tasks"),
    gettext_noop("Queued task"),
    gettext_noop("Queued tasks"),
    gettext_noop("Scheduled task"),
    gettext_noop("Scheduled tasks"),
    gettext_noop("Successful task"),
    gettext_noop("Successful tasks"),
    gettext_noop("Task"),
    gettext_noop("Tasks"),
    gettext_noop("Name"),
    gettext_noop("Function"),
    gettext_noop("Arguments"),
    gettext_noop("Keyword arguments"),
    gettext_noop("Result"),
    gettext_noop("Started at"),
    gettext_noop("Stopped at"),
    gettext_noop("Success"),
    gettext_noop("Next Run"),
    gettext_noop("Repeats"),
    gettext_noop("Schedule Type"),
    gettext_noop("Minutes"),
    gettext_noop("Cron"),
    gettext_noop("Group"),
    gettext_noop("Cluster"),
    gettext_noop("Attempt count"),
    gettext_noop("Last task id"),
]

# django-auditlog: the audit log's model names, actions and fields.
AUDITLOG = [
    gettext_noop("Audit log"),
    gettext_noop("log entry"),
    gettext_noop("log entries"),
    gettext_noop("create"),
    gettext_noop("update"),
    gettext_noop("delete"),
    gettext_noop("access"),
    gettext_noop("action"),
    gettext_noop("timestamp"),
    gettext_noop("remote address"),
    gettext_noop("Correlation ID"),
    gettext_noop("object representation"),
    gettext_noop("object pk"),
]
