"""Text people type: one spelling (NFC), no invisible characters, account names from a safe set.

Why: the same Vietnamese name typed with composed or decomposed accents ("Hà Nội" as 7 or 10
code points) must be one name for uniqueness and search; and characters nobody sees must not make
two names look alike or a name look like another in the audit log ("admin\u202e", a NUL that
PostgreSQL refuses with an error page, a zero-width space inside a duplicate facility name).

The rule, the same for every form field and every import cell (`forbidden_char`):
- refused everywhere: controls (Unicode category Cc: C0 U+0000-U+001F, DEL, C1 U+0080-U+009F),
  format characters (Cf: the bidi embeddings and overrides U+202A-U+202E and isolates
  U+2066-U+2069, LRM/RLM, zero-width spaces and joiners, the byte order mark, soft hyphens),
  the line and paragraph separators U+2028/U+2029 (Zl, Zp) and lone surrogates (Cs). None of
  them is needed to write Vietnamese, English or an address; all of them are invisible.
- except: tab, line feed and carriage return in multi-line fields (a textarea: a status reason),
  where a browser sends line breaks as CR LF. A one-line field refuses them with its own message.
- allowed: everything else, including no-break spaces pasted from web pages and private-use
  characters (visible in the font that made them).
Text is normalised to NFC; passwords (PasswordInput widgets, the importer's secret columns) are
checked but never normalised, since they are compared byte for byte with what a camera or the
login form holds.

Forms: `CleanTextMixin` applies the rule to every CharField of a form (EmailField, URLField and
the auth UsernameField are CharFields), declared or made from a model, when the form validates,
so fields a subclass adds in __init__ are covered too. The admin forms get it from
`CleanTextModelForm` (ScopedAdmin's form and the base of the forms the admins declare), the
delegation and account forms inherit the mixin. It is a form mixin, not a validator added to
every model field at start-up, because the NFC step changes the value (a validator cannot) and
forms without a model (delegation, accounts) need it as much; the importer applies the same
functions to each cell (portal/csvimport.py).
"""

import re
import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.utils.text import capfirst
from django.utils.translation import gettext

FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
MULTILINE_WHITESPACE = frozenset("\t\n\r")


def forbidden_char(text, *, multiline=False):
    """The first character of `text` that may not be stored (see the module's rule), or None."""
    # Fast path: printable text has no Cc/Cf/Cs/Zl/Zp (isprintable is False for other spaces,
    # unassigned and private-use characters too, which the slow path then lets through).
    if text.isprintable():
        return None
    for char in text:
        if multiline and char in MULTILINE_WHITESPACE:
            continue
        if unicodedata.category(char) in FORBIDDEN_CATEGORIES:
            return char
    return None


def problem(text, *, multiline=False):
    """What is wrong with `text` as a row message (lowercase, as the importer's), or None."""
    char = forbidden_char(text, multiline=multiline)
    if char is None:
        return None
    if char in MULTILINE_WHITESPACE:
        return gettext("line breaks and tabs are not allowed here: enter the text on one line.")
    return gettext(
        "the text contains the invisible character %(code)s (a control, text-direction or "
        "formatting character): retype it without that character."
    ) % {"code": f"U+{ord(char):04X}"}


def nfc(text):
    """`text` in Unicode NFC (composed accents), the one form the portal stores."""
    if unicodedata.is_normalized("NFC", text):
        return text
    return unicodedata.normalize("NFC", text)


class TextValidator:
    """Form-field validator of the rule (replaces Django's own NUL check on the field)."""

    def __init__(self, multiline=False):
        self.multiline = multiline

    def __call__(self, value):
        if not isinstance(value, str):
            return
        message = problem(value, multiline=self.multiline)
        if message is not None:
            raise ValidationError(capfirst(message), code="invisible_character")


def is_secret(field):
    return isinstance(field.widget, forms.PasswordInput)


class CleanTextMixin:
    """Every text field of the form is stored in NFC and refuses invisible characters."""

    def full_clean(self):
        if self.is_bound:
            self._check_text_fields()
            self._normalise_text_data()
        super().full_clean()

    def _text_fields(self):
        for name, field in self.fields.items():
            if isinstance(field, forms.CharField):
                yield name, field

    def _check_text_fields(self):
        for _name, field in self._text_fields():
            if any(isinstance(v, TextValidator) for v in field.validators):
                continue
            multiline = isinstance(field.widget, forms.Textarea)
            # Ours covers NUL too, with the same message as every other invisible character.
            field.validators = [
                v for v in field.validators if not isinstance(v, ProhibitNullCharactersValidator)
            ] + [TextValidator(multiline)]

    def _normalise_text_data(self):
        # The submitted data itself is normalised, so clean_<field> methods, uniqueness checks
        # and the redisplayed form all see the one spelling.
        keys = [self.add_prefix(name) for name, field in self._text_fields()
                if not is_secret(field)]
        changes = {}
        for key in keys:
            if key not in self.data:
                continue
            values = self.data.getlist(key) if hasattr(self.data, "getlist") else [self.data[key]]
            normalised = [nfc(v) if isinstance(v, str) else v for v in values]
            if normalised != values:
                changes[key] = normalised
        if not changes:
            return
        data = self.data.copy()
        for key, values in changes.items():
            if hasattr(data, "setlist"):
                data.setlist(key, values)
            else:
                data[key] = values[0]
        self.data = data


class CleanTextModelForm(CleanTextMixin, forms.ModelForm):
    """Base of the admin's model forms (ScopedAdmin.form; CameraForm, ConnectionStandardForm)."""


# --- Account names ----------------------------------------------------------------------------

USERNAME_RE = re.compile(r"[A-Za-z0-9._-]+\Z")
USERNAME_MAX_LENGTH = 150


def username_problem(name):
    """Why `name` may not be a new account's name (a translated sentence), or None.

    ASCII letters, digits, ".", "_" and "-" only: no look-alike letters of other alphabets
    (Cyrillic "а" in "аdmin"), no accents, no spaces, nothing invisible. Uniqueness regardless of
    case is the account rules' job (facilities/roles.py `check_new_username`), since it needs the
    database; this is the part a registry check can run over existing names.
    """
    if not name:
        return gettext("Enter a user name.")
    if len(name) > USERNAME_MAX_LENGTH:
        return gettext("A user name has at most %(max)d characters.") % {
            "max": USERNAME_MAX_LENGTH
        }
    if not USERNAME_RE.match(name):
        return gettext(
            "A user name may contain only unaccented Latin letters (a-z, A-Z), digits and the "
            "characters . _ - (no spaces, accents or letters of other alphabets)."
        )
    return None
