"""Strings of Django and third-party apps that reach our pages, for our Vietnamese catalog.

django-q2, django-auditlog and django-axes ship no Vietnamese translation, and Django's own
Vietnamese catalogs (django/conf/locale/vi, contrib/admin, contrib/auth...) stop at an older
release: the admin's newer labels ("Show counts", "Skip to main content"), the user admin's
password section and some validators' messages are missing. Listing their msgids here lets
makemessages put them in locale/vi, which takes precedence over the apps' catalogs (LOCALE_PATHS
comes first), so those pages read in Vietnamese too. Each msgid (and its context, its plural) is
copied exactly from the app's source: a msgid that differs by one character is never used.
Every such msgid is listed here and nowhere else. Never imported: the catalog is what matters.

Left out on purpose: what never reaches a page of the portal (django-q2's log lines and terminal
monitor, Django's start page for new projects, its developer-facing CSRF page replaced by ours,
names of languages the portal does not offer, guardian's object-permission admin, not used).
tests/test_vietnamese_crawl.py finds any string that reaches a page in English.
The admin's JavaScript strings (the user admin's permission chooser, the calendar) are in
static/portal/third_party_strings.js, for the djangojs catalog.
"""

from django.utils.translation import gettext_noop, ngettext_lazy, pgettext_lazy

# Django: validators, model and form fields, pagination, durations ("3 ngày").
DJANGO = [
    gettext_noop("Messages"),
    gettext_noop("…"),
    gettext_noop("That page number is not an integer"),
    gettext_noop("That page number is less than 1"),
    gettext_noop("That page contains no results"),
    gettext_noop("Enter a valid domain name."),
    gettext_noop("Enter a valid “slug” consisting of letters, numbers, underscores or hyphens."),
    gettext_noop(
        "Enter a valid “slug” consisting of Unicode letters, numbers, underscores, or hyphens.",
    ),
    gettext_noop("Enter a valid %(protocol)s address."),
    gettext_noop("IPv4"),
    gettext_noop("IPv6"),
    gettext_noop("IPv4 or IPv6"),
    gettext_noop("Ensure this value is a multiple of step size %(limit_value)s."),
    gettext_noop(
        "Ensure this value is a multiple of step size %(limit_value)s, starting from %(offset)s, "
        "e.g. %(offset)s, %(valid_value1)s, %(valid_value2)s, and so on.",
    ),
    gettext_noop(
        "File extension “%(extension)s” is not allowed. Allowed extensions are: "
        "%(allowed_extensions)s.",
    ),
    gettext_noop("Null characters are not allowed."),
    gettext_noop("Constraint “%(name)s” is violated."),
    gettext_noop("“%(value)s” value must be either True or False."),
    gettext_noop("“%(value)s” value must be either True, False, or None."),
    gettext_noop("String (unlimited)"),
    gettext_noop("“%(value)s” value has an invalid date format. It must be in YYYY-MM-DD format."),
    gettext_noop(
        "“%(value)s” value has the correct format (YYYY-MM-DD) but it is an invalid date.",
    ),
    gettext_noop(
        "“%(value)s” value has an invalid format. It must be in YYYY-MM-DD "
        "HH:MM[:ss[.uuuuuu]][TZ] format.",
    ),
    gettext_noop(
        "“%(value)s” value has the correct format (YYYY-MM-DD HH:MM[:ss[.uuuuuu]][TZ]) but it is "
        "an invalid date/time.",
    ),
    gettext_noop("“%(value)s” value must be a decimal number."),
    gettext_noop(
        "“%(value)s” value has an invalid format. It must be in [DD] [[HH:]MM:]ss[.uuuuuu] format.",
    ),
    gettext_noop("Duration"),
    gettext_noop("“%(value)s” value must be a float."),
    gettext_noop("“%(value)s” value must be an integer."),
    gettext_noop("“%(value)s” value must be either None, True or False."),
    gettext_noop("Positive big integer"),
    gettext_noop(
        "“%(value)s” value has an invalid format. It must be in HH:MM[:ss[.uuuuuu]] format.",
    ),
    gettext_noop(
        "“%(value)s” value has the correct format (HH:MM[:ss[.uuuuuu]]) but it is an invalid time.",
    ),
    gettext_noop("“%(value)s” is not a valid UUID."),
    gettext_noop("Universally unique identifier"),
    gettext_noop("A JSON object"),
    gettext_noop("Value must be valid JSON."),
    gettext_noop("%(model)s instance with %(field)s %(value)r is not a valid choice."),
    gettext_noop("%(from)s-%(to)s relationship"),
    gettext_noop("%(from)s-%(to)s relationships"),
    gettext_noop("Enter a valid duration."),
    gettext_noop("The number of days must be between {min_days} and {max_days}."),
    gettext_noop("Enter a complete value."),
    gettext_noop("Enter a valid UUID."),
    gettext_noop("Enter a valid JSON."),
    gettext_noop(
        "ManagementForm data is missing or has been tampered with. Missing fields: "
        "%(field_names)s. You may need to file a bug report if the issue persists.",
    ),
    ngettext_lazy("Please submit at most %(num)d form.", "Please submit at most %(num)d forms."),
    ngettext_lazy("Please submit at least %(num)d form.", "Please submit at least %(num)d forms."),
    gettext_noop("The inline value did not match the parent instance."),
    gettext_noop("“%(pk)s” is not a valid value."),
    gettext_noop(
        "%(datetime)s couldn’t be interpreted in time zone %(current_timezone)s; it may be "
        "ambiguous or it may not exist.",
    ),
    gettext_noop("This is not a valid IPv6 address."),
    pgettext_lazy("String to return when truncating text", "%(truncated_text)s…"),
    ngettext_lazy("%(num)d year", "%(num)d years"),
    ngettext_lazy("%(num)d month", "%(num)d months"),
    ngettext_lazy("%(num)d week", "%(num)d weeks"),
    ngettext_lazy("%(num)d day", "%(num)d days"),
    ngettext_lazy("%(num)d hour", "%(num)d hours"),
    ngettext_lazy("%(num)d minute", "%(num)d minutes"),
    gettext_noop("Date out of range"),
    gettext_noop("Invalid date string “%(datestr)s” given format “%(format)s”"),
    gettext_noop("Page is not “last”, nor can it be converted to an int."),
    gettext_noop("Empty list and “%(class_name)s.allow_empty” is False."),
    gettext_noop("“%(path)s” does not exist"),
]

# Django's admin: the page frame, lists, forms and their error summary.
DJANGO_ADMIN = [
    # Django's Vietnamese catalog half-translates it ("Các mô models trong ..."): the admin
    # index's tooltips.
    gettext_noop("Models in the %(name)s application"),
    gettext_noop("Select this object for an action - {}"),
    gettext_noop("Breadcrumbs"),
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
    gettext_noop("After you’ve created a user, you’ll be able to edit more user options."),
    gettext_noop("Error:"),
    gettext_noop("Set password"),
    gettext_noop(
        "This action will <strong>enable</strong> password-based authentication for this user.",
    ),
    gettext_noop("Disable password-based authentication"),
    gettext_noop("Enable password-based authentication"),
    gettext_noop("Skip to main content"),
    gettext_noop("Hide counts"),
    gettext_noop("Show counts"),
    gettext_noop("Toggle theme (current theme: auto)"),
    gettext_noop("Toggle theme (current theme: light)"),
    gettext_noop("Toggle theme (current theme: dark)"),
    gettext_noop("Added:"),
    gettext_noop("Changed:"),
    gettext_noop("Deleted:"),
    gettext_noop("Forgotten your login credentials?"),
    gettext_noop("Toggle navigation"),
    gettext_noop("Sidebar"),
    gettext_noop("Filter navigation items"),
    ngettext_lazy("entry", "entries"),
    gettext_noop("View selected %(model)s"),
    gettext_noop("In case you’ve forgotten, you are:"),
    gettext_noop("Select all objects on this page for an action"),
    ngettext_lazy("Please correct the error below.", "Please correct the errors below."),
]

# Django's accounts (the user admin's password section, password rules), content types and
# sessions.
DJANGO_AUTH = [
    gettext_noop("Conflicting form data submitted. Please try again."),
    gettext_noop("Password-based authentication was disabled."),
    gettext_noop("Set password: %s"),
    gettext_noop("Reset password"),
    gettext_noop(
        "Whether the user will be able to authenticate using a password or not. If disabled, they "
        "may still be able to authenticate using other backends, such as Single Sign-On or LDAP.",
    ),
    gettext_noop("Password-based authentication"),
    gettext_noop("Enabled"),
    gettext_noop("Disabled"),
    gettext_noop("Raw passwords are not stored, so there is no way to see the user’s password."),
    gettext_noop("Enable password-based authentication for this user by setting a password."),
    ngettext_lazy(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
    ),
    gettext_noop(
        "Enter a valid username. This value may contain only unaccented lowercase a-z and "
        "uppercase A-Z letters, numbers, and @/./+/-/_ characters.",
    ),
    gettext_noop("Content type %(ct_id)s object %(obj_id)s doesn’t exist"),
    gettext_noop("%(ct_name)s objects don’t have a get_absolute_url() method"),
    gettext_noop("Sessions"),
]

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
    gettext_noop("Resubmit selected tasks to queue"),
    gettext_noop("Time Taken"),
    gettext_noop("Short result"),
    gettext_noop("last_run"),
    gettext_noop("Task id"),
    gettext_noop("32-character task identifier."),
    gettext_noop("Optional human-readable name for lookup and display."),
    gettext_noop("Dotted import path to the callable, e.g. myapp.tasks.job."),
    gettext_noop("Hook"),
    gettext_noop("Optional dotted path to a callback that receives the task result."),
    gettext_noop("Pickled positional arguments (tuple)."),
    gettext_noop("Pickled keyword arguments (dict)."),
    gettext_noop("Pickled return value or error payload."),
    gettext_noop("Optional group id to aggregate related tasks."),
    gettext_noop("Name of the cluster that executed this task."),
    gettext_noop("When the worker started executing the task."),
    gettext_noop("When the worker finished (success or failure)."),
    gettext_noop("False if the task raised an exception or timed out."),
    gettext_noop("How many times execution was attempted."),
    gettext_noop("Please install croniter to enable cron expressions"),
    gettext_noop("Optional label to identify this schedule in the admin."),
    gettext_noop("e.g. module.tasks.function"),
    gettext_noop("e.g. module.tasks.result_function"),
    gettext_noop("e.g. 1, 2, 'John'"),
    gettext_noop("e.g. x=1, y=2, name='John'"),
    gettext_noop("Once"),
    gettext_noop("Hourly"),
    gettext_noop("Daily"),
    gettext_noop("Weekly"),
    gettext_noop("Biweekly"),
    gettext_noop("Monthly"),
    gettext_noop("Bimonthly"),
    gettext_noop("Quarterly"),
    gettext_noop("Yearly"),
    gettext_noop("How often this task should be enqueued."),
    gettext_noop("Number of minutes for the Minutes type"),
    gettext_noop("n = n times, -1 = forever"),
    gettext_noop("When this schedule runs next (stored in UTC)."),
    gettext_noop("Cron expression"),
    gettext_noop("Id of the last task spawned from this schedule (read-only)."),
    gettext_noop("Name of the target cluster"),
    gettext_noop("Intended date kwarg"),
    gettext_noop("Name of kwarg to pass intended schedule date"),
    gettext_noop("Payload"),
    gettext_noop("Signed serialized task package (do not edit manually)."),
    gettext_noop("Lock until"),
    gettext_noop("Prevent any cluster from pulling until"),
    gettext_noop("Cluster key"),
    gettext_noop("Queue options"),
    gettext_noop("success"),
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
    gettext_noop("Changes"),
    gettext_noop("Resource Type"),
    gettext_noop("Click to filter by records with this correlation id"),
    gettext_noop("Created"),
    gettext_noop("Resource"),
    gettext_noop("Audit log: %s"),
    gettext_noop("remote port"),
    gettext_noop("additional data"),
    gettext_noop("actor email"),
    gettext_noop("Created {repr:s}"),
    gettext_noop("Updated {repr:s}"),
    gettext_noop("Deleted {repr:s}"),
    gettext_noop("Logged {repr:s}"),
    gettext_noop("Field"),
    gettext_noop("Relationship"),
    gettext_noop("system"),
    gettext_noop("No field changes"),
    gettext_noop("No log entries found."),
]

# django-axes: its models' names in permission lists, and its lock-out messages.
AXES = [
    gettext_noop("Form Data"),
    gettext_noop("Meta Data"),
    gettext_noop("Account locked: too many login attempts. Please try again later."),
    gettext_noop(
        "Account locked: too many login attempts. Contact an admin to unlock your account.",
    ),
    gettext_noop("User Agent"),
    gettext_noop("IP Address"),
    gettext_noop("Username"),
    gettext_noop("HTTP Accept"),
    gettext_noop("Path"),
    gettext_noop("Attempt Time"),
    gettext_noop("Access lock out"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("GET Data"),
    gettext_noop("POST Data"),
    gettext_noop("Failed Logins"),
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("Logout Time"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("access attempt expiration"),
    gettext_noop("Clean up expired attempts"),
    gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("Attempt Remaining"),
    gettext_noop("Expires At"),
    gettext_noop("Locked Out"),
    gettext_noop("Session key hash (sha256)"),
    gettext_noop("Not set"),
    gettext_noop("Access Attempt"),
    gettext_noop("Cleaned up {count} expired access attempts."),
    gettext_noop("access attempt expirations"),
]
