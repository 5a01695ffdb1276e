"""Bulk import from CSV files as people make them in Excel: read, check every row, then write.

An importer (facilities/importer.py, cameras/importer.py) declares its columns and checks a row
with the same rules as the admin form. `Importer.check(data)` reads a file and returns a Plan with
every problem found, as "Row N, column C: message" (N as the user sees it: the header is row 1);
`Importer.apply(data)` checks it and, only if every row is valid, writes everything in one
short transaction of bulk statements, with one audit entry per created object.

Files: UTF-8 with or without BOM (Excel's "CSV UTF-8"), or UTF-16 with BOM (Excel's "Unicode
text"); comma, semicolon (Excel with Vietnamese regional settings) or tab separated; at most
IMPORT_MAX_BYTES bytes and IMPORT_MAX_ROWS rows. Values of secret columns never appear in a
message or a preview.

Whatever bytes arrive, the answer is a Plan: anything that cannot be read (a workbook instead of
a CSV, broken UTF-8 or UTF-16, a value over the csv module's field size limit) is a translated
file-level message, never an exception. Each cell is then cleaned like a form field
(portal/text.py): surrounding spaces stripped, NFC, the quote a spreadsheet-safe export put
before "=", "+", "-", "@", tab or CR taken off (portal/spreadsheet.py), and a cell holding an
invisible or control character is a row error. Secret cells are taken as typed: not stripped,
not normalised and not unquoted (no export ever writes a credential, so a leading quote there
was typed on purpose), only checked for invisible characters.
"""

import codecs
import csv
import io
import unicodedata
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.actor import acting_as, system_actor
from portal.audit_bulk import log_bulk_change
from portal.spreadsheet import safe_row, unquote
from portal.text import nfc
from portal.text import problem as text_problem

DELIMITERS = (",", ";", "\t")
# Rows per INSERT statement of an import's write (and of its audit entries).
BULK_BATCH = 500


@dataclass(frozen=True)
class Column:
    """One column of an import file: its header key, whether it must be filled, and its help."""

    key: str
    required: bool = False
    help: str = ""
    example: str = ""
    secret: bool = False
    # Line breaks and tabs allowed inside the value (a quoted cell may hold them).
    multiline: bool = False


@dataclass
class RowError:
    """A problem a person can fix: where (row and column as in the file) and what to do."""

    row: int | None
    column: str | None
    message: str

    def __str__(self):
        if self.row is not None and self.column:
            return _("Row %(row)s, column %(column)s: %(message)s") % {
                "row": self.row,
                "column": self.column,
                "message": self.message,
            }
        if self.row is not None:
            return _("Row %(row)s: %(message)s") % {"row": self.row, "message": self.message}
        return str(self.message)


class FileRefused(Exception):
    """The file as a whole cannot be read (size, encoding, header); no row was looked at."""

    def __init__(self, *errors):
        super().__init__(*errors)
        self.errors = [e if isinstance(e, RowError) else RowError(None, None, e) for e in errors]


@dataclass
class Row:
    number: int
    values: dict


@dataclass
class PlannedRow:
    """A valid (so far) row and the unsaved object it becomes."""

    number: int
    values: dict
    obj: object = None


@dataclass
class Plan:
    """What an import would do: the rows, their objects and every error found."""

    rows: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    delimiter: str = ","
    created: int = 0

    @property
    def ok(self):
        return not self.errors

    def error_lines(self):
        return [str(error) for error in self.errors]


# --- Reading ---------------------------------------------------------------------------------


def max_bytes():
    return settings.IMPORT_MAX_BYTES


def max_rows():
    return settings.IMPORT_MAX_ROWS


def check_size(size):
    limit = max_bytes()
    if size > limit:
        raise FileRefused(
            _(
                "The file is %(size)s; at most %(limit)s can be imported at once. "
                "Split it into several files."
            )
            % {"size": _human_size(size), "limit": _human_size(limit)}
        )


def _human_size(n):
    if n >= 1024 * 1024:
        return _("%(n)s MB") % {"n": number_format(n / (1024 * 1024), 1)}
    if n >= 1024:
        return _("%(n)s KB") % {"n": number_format(n / 1024, 0)}
    return _("%(n)s bytes") % {"n": n}


# Workbooks uploaded instead of a CSV: .xlsx (a ZIP archive) and Excel 97-2003's .xls (OLE2).
WORKBOOK_SIGNATURES = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")


def decode(data):
    """Text of an uploaded file; FileRefused (never UnicodeError) when it is not readable text."""
    check_size(len(data))
    if data.startswith(WORKBOOK_SIGNATURES):
        raise FileRefused(
            _(
                "This looks like an Excel workbook, not a CSV file. In Excel, use Save As and "
                "choose “CSV UTF-8 (Comma delimited) (*.csv)”, then import that file."
            )
        )
    # Before UTF-16: a UTF-32 little-endian BOM begins with the UTF-16 one.
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise FileRefused(
            _(
                "This file is UTF-32 text, which cannot be imported. In Excel, use Save As and "
                "choose “CSV UTF-8 (Comma delimited) (*.csv)”, then import that file."
            )
        )
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decode(data, "utf-16")
    if data.startswith(codecs.BOM_UTF8):
        return _decode(data[len(codecs.BOM_UTF8):], "utf-8")
    head = data[:4096]
    if head.count(0) > len(head) // 4:
        # UTF-16 without its BOM, or not text at all: read as UTF-8 it would only give a wall
        # of "unknown column" errors.
        raise FileRefused(
            _(
                "This file is not CSV text. In Excel, use Save As and choose “CSV UTF-8 (Comma "
                "delimited) (*.csv)”, then import that file."
            )
        )
    return _decode(data, "utf-8")


def _decode(data, encoding):
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        # The line is counted in what could be read, so it is right for UTF-16 too.
        line = data[: exc.start].decode(encoding, errors="replace").count("\n") + 1
        if encoding == "utf-8":
            # Excel's plain "CSV" in Vietnamese Windows is Windows-1258: accents would be lost.
            message = _(
                "the file is not UTF-8 text. In Excel, use Save As and choose "
                "“CSV UTF-8 (Comma delimited) (*.csv)”, then import that file."
            )
        else:
            message = _(
                "the file is damaged or cut short: it is not valid UTF-16 text. In Excel, use "
                "Save As and choose “CSV UTF-8 (Comma delimited) (*.csv)”, then import that file."
            )
        raise FileRefused(RowError(line, None, message)) from None


def _header_key(cell):
    return "_".join(cell.strip().strip("\ufeff").casefold().replace("-", " ").split())


def sniff_delimiter(first_line, keys):
    """The delimiter that splits the header into the most known column names."""
    best, best_score = ",", (-1, -1)
    for delimiter in DELIMITERS:
        try:
            cells = next(csv.reader([first_line], delimiter=delimiter), [])
        except csv.Error:
            continue  # a cell over the field size limit: read_table reports it
        score = (sum(_header_key(c) in keys for c in cells), len(cells))
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _unreadable(number):
    """The csv module's only error here (strict=False): a value over its field size limit."""
    return RowError(
        number,
        None,
        _(
            "this row cannot be read: a value is longer than %(limit)s characters, or a "
            "quotation mark is not closed. Check the quotes from this row on."
        )
        % {"limit": number_format(csv.field_size_limit(), force_grouping=True)},
    )


def _shown(key, length=40):
    """A header cell as quoted in a message: a junk header can be a whole file long."""
    return key if len(key) <= length else key[: length - 1] + "…"


def read_header(reader, columns):
    """The header's column keys in file order; FileRefused with every header problem."""
    keys = {c.key for c in columns}
    try:
        header = next(reader)
    except StopIteration:
        raise FileRefused(_("The file is empty.")) from None
    except csv.Error:
        raise FileRefused(_unreadable(1)) from None

    header_keys = [_header_key(cell) for cell in header]
    while header_keys and not header_keys[-1]:
        header_keys.pop()  # Excel's trailing empty columns
    known = ", ".join(c.key for c in columns)
    if not keys.intersection(header_keys):
        # Not a header at all (another file, binary junk): one message, not one per cell.
        raise FileRefused(
            RowError(
                1,
                None,
                _(
                    "the first row must be the header, with the column names: %(columns)s. "
                    "Start from the template."
                )
                % {"columns": known},
            )
        )
    errors = []
    seen = set()
    for key in header_keys:
        problem = text_problem(key)
        if problem:
            errors.append(RowError(1, None, problem))
        elif not key:
            errors.append(RowError(1, None, _("a column has no name in the header.")))
        elif key not in keys:
            errors.append(
                RowError(
                    1,
                    _shown(key),
                    _("unknown column. The columns are: %(columns)s.") % {"columns": known},
                )
            )
        elif key in seen:
            errors.append(RowError(1, key, _("this column appears twice in the header.")))
        seen.add(key)
    for column in columns:
        if column.required and column.key not in seen:
            errors.append(
                RowError(1, column.key, _("this column is missing from the header (row 1)."))
            )
    if errors:
        raise FileRefused(*errors)
    return header_keys


def clean_cell(cell, column):
    """(value, problem): the cell as a form would store it, and what is wrong with it or None."""
    if column.secret:
        value = cell
    else:
        value = nfc(unquote(cell.strip()))
    return value, text_problem(value, multiline=column.multiline)


def read_table(text, columns, *, limit_rows=None):
    """Rows of `text` keyed by column key, and row errors; FileRefused for header or size.

    A row whose cells hold invisible characters gets one error per such cell and is left out of
    the rows: its values are not looked up further (a name, an address to resolve).
    """
    by_key = {c.key: c for c in columns}
    first_line = text.split("\n", 1)[0]
    delimiter = sniff_delimiter(first_line, set(by_key))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    header_keys = read_header(reader, columns)

    rows, row_errors = [], []
    limit = limit_rows if limit_rows is not None else max_rows()
    number = 1
    try:
        for record in reader:
            number += 1
            if not any(cell.strip() for cell in record):
                continue  # blank lines, and Excel's rows of empty cells
            extra = record[len(header_keys):]
            if any(cell.strip() for cell in extra):
                row_errors.append(
                    RowError(
                        number,
                        None,
                        _(
                            "%(found)s values, but the header has %(expected)s columns "
                            "(check the separators and quotes)."
                        )
                        % {"found": len(record), "expected": len(header_keys)},
                    )
                )
                continue
            values, problems = {}, []
            for key, cell in zip(header_keys, record, strict=False):
                values[key], problem = clean_cell(cell, by_key[key])
                if problem:
                    problems.append(RowError(number, key, problem))
            if problems:
                row_errors += problems
                continue
            for key in by_key:
                values.setdefault(key, "")
            rows.append(Row(number, values))
    except csv.Error:
        raise FileRefused(_unreadable(number + 1)) from None
    if len(rows) > limit:
        raise FileRefused(
            _(
                "The file has %(count)s rows; at most %(limit)s rows can be imported at once. "
                "Split it into several files."
            )
            % {"count": number_format(len(rows), force_grouping=True),
               "limit": number_format(limit, force_grouping=True)}
        )
    return delimiter, rows, row_errors


def template_csv(columns, example_rows):
    """An import template: header and example rows, UTF-8 with BOM so Excel shows the accents.

    Spreadsheet-safe like the exports (a phone example "+84 ..." would open as a number).
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(safe_row([c.key for c in columns]))
    for row in example_rows:
        writer.writerow(safe_row([row.get(c.key, "") for c in columns]))
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")


# --- Importing -------------------------------------------------------------------------------


def choice_lookup(choices):
    """Map of what a person may type for a choice (its key, or its label in either language)."""
    lookup = {}
    for language in [code for code, _name in settings.LANGUAGES]:
        with translation.override(language):
            for value, label in choices:
                lookup[unicodedata.normalize("NFC", str(label)).casefold()] = value
    for value, _label in choices:
        lookup[value.casefold()] = value
    return lookup


class Importer:
    """Base of the facility and camera importers.

    Subclasses set `model`, `columns`, `example_rows` and implement `check_rows(rows, plan)`,
    which appends RowErrors to plan.errors and PlannedRows (with unsaved objects) to plan.rows,
    and `scope(queryset)`, the objects of `queryset` the actor may change.
    `actor` is the user whose scope applies; None is the system (commands run without --actor).
    """

    model = None
    columns = ()
    example_rows = ()
    # Columns whose values are keys of a TextChoices (documented on the import page).
    choice_columns = {}
    duplicate_message = gettext_lazy("Another user added the same records meanwhile.")
    scope_changed_message = gettext_lazy(
        "Your access changed while the file was being checked: nothing was imported. "
        "Import the file again."
    )

    def __init__(self, actor=None):
        self.actor = actor

    @classmethod
    def documented_choices(cls):
        """[(column key, [(value, label), ...])] for the import page's list of allowed values."""
        return [(key, list(choices.choices)) for key, choices in cls.choice_columns.items()]

    # Scope ------------------------------------------------------------------------------------

    def restricted(self, model):
        """Objects of `model` the actor may change (all of them for the system)."""
        if self.actor is None:
            return model.objects.all()
        return self.scope(model.objects.all())

    def scope(self, queryset):  # pragma: no cover - abstract
        raise NotImplementedError

    # Steps ------------------------------------------------------------------------------------

    def check(self, data):
        """A Plan for `data` (bytes) with every error; nothing is written."""
        plan = Plan()
        try:
            text = decode(data)
            plan.delimiter, rows, plan.errors = read_table(text, self.columns)
        except FileRefused as refused:
            plan.errors = refused.errors
            return plan
        self.check_rows(rows, plan)
        plan.errors.sort(key=lambda e: (e.row or 0))
        if plan.errors:
            # A refused file creates nothing: keep no half-made objects around.
            for planned in plan.rows:
                planned.obj = None
        return plan

    def apply(self, data, *, dry_run=False):
        """Check `data` and, if every row is valid and not `dry_run`, write it all at once.

        The check (reading, every row's rules, host names resolved) runs before the transaction:
        it only reads, so it holds no write lock (on SQLite one lock for the whole portal, taken
        at BEGIN). The write is one transaction of bulk statements, entries of the audit trail
        included, about 0.4 s of write lock per 1,000 rows (bench/README.md). What may change in
        between is caught inside it: the actor's scope is checked again, and a concurrent writer
        that took one of the names meanwhile fails the database's unique constraint: an error,
        not a half import.
        """
        plan = self.check(data)
        if plan.errors or dry_run:
            return plan
        objects = [planned.obj for planned in plan.rows]
        try:
            with transaction.atomic():
                if not self.still_allowed(objects):
                    plan.errors.append(RowError(None, None, str(self.scope_changed_message)))
                    return plan
                # One actor for every entry: the system account is looked up once, not per row.
                with acting_as(self.actor or system_actor()):
                    plan.created = self.write(objects)
        except IntegrityError:
            plan.errors.append(RowError(None, None, str(self.duplicate_message)))
            plan.created = 0
        return plan

    def still_allowed(self, objects):  # pragma: no cover - abstract
        """Whether the actor may still write every one of `objects` (one query, in the write)."""
        raise NotImplementedError

    def write(self, objects):
        """Create `objects` with bulk INSERTs and one audit entry each (bulk too); their count.

        bulk_create sends no model signals, so auditlog does not see the creations: the entries
        are written by portal/audit_bulk.py, with the same fields left out and redacted as a
        save() would record.
        """
        type(objects[0]).objects.bulk_create(objects, batch_size=BULK_BATCH)
        log_bulk_change(objects, action="create")
        return len(objects)

    def check_rows(self, rows, plan):  # pragma: no cover - abstract
        raise NotImplementedError

    # Helpers for subclasses -------------------------------------------------------------------

    def model_errors(self, obj, number, *, exclude=(), columns=None):
        """RowErrors of the model's own field rules (validators, choices, lengths, blank)."""
        columns = columns or {c.key for c in self.columns}
        # Only the fields the file fills: the others keep their defaults, and skipping them
        # halves the time of a 10,000-row check.
        skip = {f.name for f in obj._meta.fields if f.name not in columns} | set(exclude)
        try:
            obj.full_clean(exclude=skip, validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            out = []
            for name, messages in exc.message_dict.items():
                column = name if name in columns else None
                for message in messages:
                    out.append(RowError(number, column, message))
            return out
        return []

    def preview_rows(self, plan, limit=200):
        """The first `limit` rows as displayed: secrets masked, addresses without credentials."""
        secret = {c.key for c in self.columns if c.secret}
        shown = []
        for planned in plan.rows[:limit]:
            values = []
            for column in self.columns:
                value = planned.values.get(column.key, "")
                if column.key in secret:
                    value = "••••••" if value else ""
                else:
                    value = self.display_value(column.key, value)
                values.append(value)
            shown.append((planned.number, values))
        return shown

    def display_value(self, key, value):
        return value


def parse_count(value):
    """A whole number as people type it ("120", "1 200", "1.200"); None when empty."""
    text = value.replace(" ", "").replace("\u00a0", "")
    if not text:
        return None
    if text.replace(".", "").replace(",", "").isdigit() and text[0] not in ".,":
        digits = text.replace(".", "").replace(",", "")
        # "1.200" and "1,200" are thousands here: a count of people or cameras has no fraction.
        groups = text.replace(",", ".").split(".")
        if len(groups) == 1 or all(len(g) == 3 for g in groups[1:]):
            return int(digits)
    raise ValueError(value)
