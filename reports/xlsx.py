"""The exports as Excel workbooks (.xlsx), written row by row with openpyxl's write-only mode.

Officials open the exports in Excel, often with Vietnamese regional settings where the decimal
separator is a comma, so a CSV "99.5" is misread; a typed workbook is read the same everywhere.
The rows are those of reports/exports.py (the CSV's own rows); this module only types the cells:
- text: written explicitly as a string cell (`data_type` "s", an inline string). openpyxl guesses
  a type from a plain str and makes "=..." a formula and "#N/A" an error value, so a facility
  named "=HYPERLINK(...)" would run in Excel: every text cell is set, never guessed. Characters
  XML 1.0 cannot hold (control characters) are dropped, and text is cut at Excel's 32,767;
- integers: numbers; percentages: the share (0..1) with a percent format, one decimal;
- dates and times: real Excel dates (dd/mm/yyyy, dd/mm/yyyy hh:mm), in local time
  (Asia/Ho_Chi_Minh) and naive, since Excel has no time zones.
The header row is bold and frozen, with an auto-filter, and each column has the width its
`Column` gives.

Memory stays flat: write-only mode streams each row to a temporary XML file (openpyxl's, in the
system's temporary directory, deleted when the workbook is saved) and the ZIP is assembled at
save. Time does not: openpyxl serialises every cell in Python (pure-Python XML without lxml),
about 20x slower than the CSV writer (bench/bench_exports.py), which is why large exports are
built in the background (reports/export_jobs.py).
"""

import datetime

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from reports.exports import DATE, DATETIME, INTEGER, PERCENT, TEXT

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXCEL_MAX_TEXT = 32767
NUMBER_FORMATS = {PERCENT: "0.0%", DATE: "dd/mm/yyyy", DATETIME: "dd/mm/yyyy hh:mm"}
# Characters a sheet title may not hold, and its longest length.
_TITLE_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})
_TITLE_MAX = 31


def excel_text(value):
    """`value` as an Excel string cell can hold it (no XML-illegal characters, not too long)."""
    if ILLEGAL_CHARACTERS_RE.search(value):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return value[:EXCEL_MAX_TEXT]


def _local_naive(value):
    """A datetime in local time without its zone; a date as it is."""
    if not isinstance(value, datetime.datetime):
        return value
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.replace(tzinfo=None)


def write_xlsx(columns, rows, target, *, title, progress=None, every=1000):
    """Write a one-sheet workbook of `columns` and `rows` to `target` (a path or a seekable
    binary file). Returns the number of data rows.

    progress: called as progress(rows written so far) every `every` rows (background jobs).
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=(title.translate(_TITLE_FORBIDDEN)[:_TITLE_MAX] or "1"))
    # Write-only sheets take their layout before the first row.
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, 1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet)
        cell.font = bold
        _set_text(cell, column.title)
        header.append(cell)
    sheet.append(header)

    # One cell object per typed column, refilled on every row: openpyxl writes a cell out as soon
    # as the row is appended, and a styled cell costs a style lookup to create.
    kinds = [column.kind for column in columns]
    cells = []
    for kind in kinds:
        cell = WriteOnlyCell(sheet)
        if kind in NUMBER_FORMATS:
            cell.number_format = NUMBER_FORMATS[kind]
        cells.append(cell)
    count = 0
    for row in rows:
        out = []
        for value, kind, cell in zip(row, kinds, cells, strict=True):
            if value is None or value == "":
                out.append(None)
            elif kind == INTEGER:
                out.append(value)
            elif kind == TEXT:
                _set_text(cell, value)
                out.append(cell)
            elif kind == PERCENT:
                cell._value, cell.data_type = float(value), "n"
                out.append(cell)
            else:
                cell.value = _local_naive(value)  # DATE, DATETIME: openpyxl types it "d"
                out.append(cell)
        sheet.append(out)
        count += 1
        if progress is not None and count % every == 0:
            progress(count)
    if count:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{count + 1}"
    workbook.save(target)
    return count


def _set_text(cell, value):
    # Set, not guessed: assigning `cell.value` would turn "=..." into a formula (module docstring).
    cell._value = excel_text(str(value))
    cell.data_type = "s"
