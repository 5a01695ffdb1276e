// Strings of Django's admin JavaScript that its Vietnamese catalog (djangojs) lacks: the chooser
// of the user admin's groups and permissions, and the calendar's day names. Listed here so that
// `make messages` puts them in locale/vi/LC_MESSAGES/djangojs.po, which takes precedence over
// Django's catalog. Each msgid (and context) is copied exactly from Django's admin; no page
// loads this file (portal/third_party_strings.py is its counterpart for Python and templates).

// SelectFilter2.js: the two-list chooser.
gettext('Choose %s by selecting them and then select the "Choose" arrow button.');
gettext("Choose all %s");
gettext("Choose selected %s");
gettext("Remove selected %s");
gettext('Remove %s by selecting them and then select the "Remove" arrow button.');
gettext("Type into this box to filter down the list of selected %s.");
gettext("(click to clear)");
gettext("Remove all %s");
ngettext("%s selected option not visible", "%s selected options not visible", 1);

// calendar.js: day names.
gettext("Sunday");
gettext("Monday");
gettext("Tuesday");
gettext("Wednesday");
gettext("Thursday");
gettext("Friday");
gettext("Saturday");
pgettext("abbrev. day Sunday", "Sun");
pgettext("abbrev. day Monday", "Mon");
pgettext("abbrev. day Tuesday", "Tue");
pgettext("abbrev. day Wednesday", "Wed");
pgettext("abbrev. day Thursday", "Thur");
pgettext("abbrev. day Friday", "Fri");
pgettext("abbrev. day Saturday", "Sat");
