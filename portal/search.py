"""Search that ignores accents and case: "ha noi" finds "Hà Nội", "DA NANG" finds "Đà Nẵng".

People type without Vietnamese accents on keyboards and phones set up without them, and Django's
`icontains` compares letters as they are. `fold()` writes text the way such a search is typed:
lowercase, tone and vowel marks removed, đ as d.

A model keeps the folded text of the fields people search in a `SearchTextField`, which Django
fills on every save() and bulk_create() (its pre_save, as for auto_now), never typed:

    search_text = SearchTextField(sources=["name", "district", "address"])

and `search_text__folded_contains=term` (also in an admin's `search_fields`, autocomplete
included) finds the rows whose folded text contains the folded term, with a plain LIKE that runs
alike on SQLite and PostgreSQL, no extension needed. QuerySet.update() and bulk_update() of a
source field skip pre_save: refresh the search text in the same call, or save().

Why a stored copy rather than folding the column in SQL: SQLite has no function for it, and a
Python function registered with SQLite and called per row made the admin's camera search about
eight times slower. Measured on SQLite, 20,000 cameras, "ha noi so 999": 2.1 s with that
function, 0.26 s with the stored text, 0.22 s for `icontains` on the accented names. No index
serves a search for a word inside a name, folded or not: the column is scanned as `icontains`
scans its own.
"""

import unicodedata

from django.db.models import Lookup, TextField

# Between the fields of a row: a quoted phrase never matches across two of them.
FIELD_SEPARATOR = "\n"


def fold(text):
    """`text` lowercase, without diacritics: "Đà Nẵng" -> "da nang"; None stays None."""
    if text is None:
        return None
    text = str(text).replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


class SearchTextField(TextField):
    """The folded text of the row's `sources` fields, for accent-insensitive search.

    Derived data: not editable, not audited (portal/auditlog_setup.py), not exported.
    """

    description = "Folded text of other fields, for search"

    # Also the column's default in the database: a row written without this field (an older
    # migration's model, raw SQL) is still written, and found once saved again.
    OPTIONS = {"editable": False, "blank": True, "default": "", "db_default": ""}

    def __init__(self, *args, sources=(), **kwargs):
        self.sources = tuple(sources)
        super().__init__(*args, **{**self.OPTIONS, **kwargs})

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["sources"] = list(self.sources)
        for option, value in self.OPTIONS.items():
            if kwargs.get(option) == value:
                del kwargs[option]
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        values = (getattr(model_instance, source) for source in self.sources)
        text = fold(FIELD_SEPARATOR.join(str(value) for value in values if value))
        setattr(model_instance, self.attname, text)
        return text


@SearchTextField.register_lookup
class FoldedContains(Lookup):
    """`search_text__folded_contains=term`: the stored folded text contains the folded term."""

    lookup_name = "folded_contains"

    def get_db_prep_lookup(self, value, connection):
        return "%s", [f"%{connection.ops.prep_for_like_query(fold(value))}%"]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} LIKE {rhs} ESCAPE '\\'", [*lhs_params, *rhs_params]
