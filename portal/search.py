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

A source may be read through a relation: a camera's text ends with its facility's
(`"facility.search_text"`), so a camera is found by its facility's name, or by both names at
once, in ONE column, which one index serves (a LIKE on each side of a join can use none). The
related object is read when it is not loaded yet, and a change of it must be carried to the
rows that copy it: `refresh_search_text` (cameras/apps.py does it when a facility is saved).

Why a stored copy rather than folding the column in SQL: SQLite has no function for it, and a
Python function registered with SQLite and called per row made the admin's camera search about
eight times slower. Measured on SQLite, 20,000 cameras, "ha noi so 999": 2.1 s with that
function, 0.26 s with the stored text, 0.22 s for `icontains` on the accented names.

Indexes: on PostgreSQL the folded columns carry a trigram index (pg_trgm's GIN `gin_trgm_ops`,
`CreateTrigramIndex` below, created by the migrations), which serves `LIKE '%word%'` for words
of three letters or more; on SQLite no index serves a word inside a text and the column is
scanned (the LIKE fallback: a few tens of ms per word at 100,000 cameras). Measured in
bench/README.md, "Pages at national scale".
"""

import logging
import unicodedata

from django.db import DatabaseError, connections, transaction
from django.db.migrations.operations.base import Operation
from django.db.models import Lookup, TextField

logger = logging.getLogger(__name__)

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
        values = (_read(model_instance, source) for source in self.sources)
        text = fold(FIELD_SEPARATOR.join(str(value) for value in values if value))
        setattr(model_instance, self.attname, text)
        return text

    @property
    def relations(self):
        """The relations the sources are read through ("facility" for "facility.search_text")."""
        return sorted({source.split(".")[0] for source in self.sources if "." in source})


def _read(obj, source):
    for name in source.split("."):
        obj = getattr(obj, name, None)
        if obj is None:
            return None
    return obj


def refresh_search_text(queryset, field_name="search_text"):
    """Write again the folded text of the rows of `queryset` that no longer match their
    sources (a related source changed): reads them with their relations, writes only the
    changed ones, one UPDATE each sent together. Returns how many changed."""
    model = queryset.model
    field = model._meta.get_field(field_name)
    pk = model._meta.pk
    changed = []
    for row in queryset.select_related(*field.relations).order_by():
        stored = getattr(row, field.attname)
        if field.pre_save(row, add=False) != stored:
            changed.append((getattr(row, field.attname), row.pk))
    if changed:
        connection = connections[queryset.db]
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {quote(model._meta.db_table)} SET {quote(field.column)} = %s "
                f"WHERE {quote(pk.column)} = %s",
                changed,
            )
    return len(changed)


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


class CreateTrigramIndex(Operation):
    """Migration operation: a trigram GIN index on a folded search column, on PostgreSQL only.

    Creates the pg_trgm extension first when it is missing, which needs the CREATE privilege on
    the database (pg_trgm is a trusted extension since PostgreSQL 13) or a superuser. When that
    is refused the migration does not fail: it logs a warning and leaves the index out, and
    searches work as on SQLite, scanning the column (README.md, "Running at scale", says how to
    add the index later). SQLite: nothing to do.
    """

    reduces_to_sql = False
    reversible = True

    def __init__(self, model_name, field_name, index_name):
        self.model_name = model_name
        self.field_name = field_name
        self.index_name = index_name

    def deconstruct(self):
        kwargs = {
            "model_name": self.model_name,
            "field_name": self.field_name,
            "index_name": self.index_name,
        }
        return self.__class__.__qualname__, [], kwargs

    def state_forwards(self, app_label, state):
        # An index the model does not declare (it is PostgreSQL's only): no state to change.
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        connection = schema_editor.connection
        if connection.vendor != "postgresql":
            return
        model = to_state.apps.get_model(app_label, self.model_name)
        if not _trigram_extension(connection):
            logger.warning(
                "pg_trgm could not be created (CREATE privilege on the database needed): "
                "no trigram index %s, searches of %s scan the column",
                self.index_name,
                model._meta.db_table,
            )
            return
        quote = schema_editor.quote_name
        column = model._meta.get_field(self.field_name).column
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {quote(self.index_name)} ON "
            f"{quote(model._meta.db_table)} USING gin ({quote(column)} gin_trgm_ops)"
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(
                f"DROP INDEX IF EXISTS {schema_editor.quote_name(self.index_name)}"
            )

    def describe(self):
        where = f"{self.model_name}.{self.field_name}"
        return f"Trigram index {self.index_name} on {where} (PostgreSQL only)"


def _trigram_extension(connection):
    """Whether pg_trgm is there, creating it if need be (in a savepoint: a refusal must not
    break the migration's transaction)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cursor.fetchone():
            return True
        try:
            with transaction.atomic(using=connection.alias):
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except DatabaseError:
            return False
    return True
