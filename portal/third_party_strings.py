"""Strings of django-q2's admin that a national administrator sees, for our Vietnamese catalog.

django-q2 ships no Vietnamese translation; listing its msgids here lets makemessages put them in
locale/vi so the task pages read in Vietnamese too. Never imported: the catalog is what matters.
"""

from django.utils.translation import gettext_noop

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
