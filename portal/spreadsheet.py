"""Cells that a spreadsheet shows as text, never runs as a formula (CSV injection).

Excel and LibreOffice evaluate a CSV cell that begins with `=`, `+`, `-` or `@` as a formula
(`=HYPERLINK(...)` sends data away, `=cmd|' /C calc'!A0` starts a program on old Excel), and a
leading tab or carriage return hides such a start from a naive check. OWASP's rule: prefix such
a text cell with a single quote, which the spreadsheet shows as text. Every CSV the portal writes
(reports/exports.py `CsvStream`, the import templates) passes each cell through `safe_row`.

Only text is prefixed: the exports' counts are ints and stay numbers, so a count is summed in
Excel as before; a negative *number* is a number. Text that merely looks numeric, like a phone
"+84 912 345 678" or a name "-5 cameras", is prefixed: Excel would otherwise turn the phone into
84912345678. The importer (portal/csvimport.py) takes that quote off again (`unquote`), so an
exported file edited and imported gives back what was exported.
"""

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def safe_cell(value):
    """`value` as it may go into a CSV cell: text that starts like a formula gets a `'` first."""
    if isinstance(value, str) and value.startswith(TRIGGERS):
        return QUOTE + value
    return value


def safe_row(row):
    """Every cell of `row` through safe_cell's rule (inlined: the national camera export runs it
    on a million cells)."""
    return [QUOTE + v if isinstance(v, str) and v.startswith(TRIGGERS) else v for v in row]


def unquote(cell):
    """The cell without the quote safe_cell added: one leading `'` followed by a trigger."""
    if cell.startswith(QUOTE) and cell[1:].startswith(TRIGGERS):
        return cell[1:]
    return cell
