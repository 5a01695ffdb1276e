"""JSON bodies, with a parse error a caller can act on in its own language.

DRF's JSONParser answers "JSON parse error - Expecting ',' delimiter: line 1 column 9 (char 8)",
in English whatever the language asked for; here the message says where, in the caller's language.
"""

import json

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except ParseError as exc:
            cause = exc.__context__
            if isinstance(cause, json.JSONDecodeError):
                raise ParseError(
                    _("The body is not valid JSON (line %(line)d, column %(column)d).")
                    % {"line": cause.lineno, "column": cause.colno}
                ) from None
            raise ParseError(_("The body is not valid JSON.")) from None
