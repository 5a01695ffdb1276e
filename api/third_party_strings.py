"""Messages of Django REST Framework that the API answers with, for our Vietnamese catalog.

DRF's own Vietnamese catalog translates about twenty of its messages; an API error must read in
Vietnamese whatever the field or the refusal. As portal/third_party_strings.py does for Django
and the other apps: each msgid is copied exactly from DRF's source (3.18), makemessages puts it
in locale/vi, which takes precedence over DRF's catalog. Never imported.

The browsable API's page (BROWSABLE) is in it too: tests/test_vietnamese_crawl.py reads it.
Left out: the messages of fields and authentication schemes the API does not use.
"""

from django.utils.translation import gettext_noop

DRF = [
    # rest_framework/exceptions.py
    gettext_noop("A server error occurred."),
    gettext_noop("Invalid input."),
    gettext_noop("Malformed request."),
    gettext_noop("Incorrect authentication credentials."),
    gettext_noop("Authentication credentials were not provided."),
    gettext_noop("You do not have permission to perform this action."),
    gettext_noop("Not found."),
    gettext_noop('Method "{method}" not allowed.'),
    gettext_noop("Could not satisfy the request Accept header."),
    gettext_noop('Unsupported media type "{media_type}" in request.'),
    gettext_noop("Request was throttled."),
    # rest_framework/fields.py
    gettext_noop("This field is required."),
    gettext_noop("This field may not be null."),
    gettext_noop("Must be a valid boolean."),
    gettext_noop("Not a valid string."),
    gettext_noop("This field may not be blank."),
    gettext_noop("Ensure this field has no more than {max_length} characters."),
    gettext_noop("Ensure this field has at least {min_length} characters."),
    gettext_noop("A valid integer is required."),
    gettext_noop("Ensure this value is less than or equal to {max_value}."),
    gettext_noop("Ensure this value is greater than or equal to {min_value}."),
    gettext_noop("String value too large."),
    gettext_noop('"{input}" is not a valid choice.'),
    gettext_noop('Expected a list of items but got type "{input_type}".'),
    # rest_framework/serializers.py
    gettext_noop("Invalid data. Expected a dictionary, but got {datatype}."),
    gettext_noop("This list may not be empty."),
]

# The browsable API's page (rest_framework/templates/rest_framework/base.html) and
# django-filter's form in it (django_filters/templates/django_filters/rest_framework/form.html).
BROWSABLE = [
    gettext_noop("Filters"),
    gettext_noop("Field filters"),
    gettext_noop("Submit"),
    gettext_noop("Extra Actions"),
    gettext_noop("Log out"),
    gettext_noop("Log in"),
]
