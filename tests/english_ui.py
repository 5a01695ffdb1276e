"""Known English UI strings, and finding them in what a page shows (tests/test_vietnamese_crawl.py).

The known strings are the message ids of the catalogs the portal renders with: Django's, every
installed app's (admin, auth, auditlog, axes, django-q2, guardian...: their English or, for apps
that ship none, any language's .po file, whose msgids are the English text) and ours. A msgid
counts when its Vietnamese translation differs from it ("Email" -> "Email" is the same in both),
when the Vietnamese catalog does not itself use it ("salt" in "Mã salt"), and when it is specific
enough to mean English: two words or more, or one word of four letters or more ("Save", not
"No"). A msgid with placeholders or markup counts by its literal pieces ("Change %s" ->
"Change"). The match is case-sensitive and on whole words.

What a page shows: the text nodes outside <script> and <style>, and the attributes a person reads
(title, placeholder, aria-label, alt, and the value of buttons). Values of text inputs are data.
Machine text is left out too: <code>, <pre>, <kbd> and <samp> (column keys of the CSV import, an
account event's JSON detail), dotted names (cameras.tasks.sweep, progress.csv), and the alt text
of the admin's yes/no icons, which Django writes as Python's True, False and None.
"""

import ast
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import django
from django.apps import apps
from django.conf import settings

# Placeholders of Python (%s, %(name)s), str.format ({name}) and JavaScript catalogs, and the
# markup some msgids hold ("<strong>enable</strong>"): what a msgid's pieces are split on.
PLACEHOLDER = re.compile(r"%\(\w+\)[sdrf]|%[sdrf]|\{\w*\}|<[^>]*>")
WORD = re.compile(r"[A-Za-z]+")
SHOWN_ATTRIBUTES = frozenset({"title", "placeholder", "aria-label", "alt"})
HIDDEN_ELEMENTS = frozenset({"script", "style", "code", "pre", "kbd", "samp"})
BOOLEAN_ICON = re.compile(r"/admin/img/icon-(yes|no|unknown)\.svg$")
DOTTED_NAME = re.compile(r"\b\w+(?:\.\w+)+\b")
BUTTON_INPUTS = frozenset({"submit", "button", "reset"})


# --- Catalogs --------------------------------------------------------------------------------


def po_entries(path):
    """(msgctxt, msgid, msgid_plural, [msgstr...]) of a .po file: fuzzy and obsolete entries left
    out (Django never uses them), the header too."""
    entries, entry, key, fuzzy = [], {}, None, False

    def flush():
        nonlocal entry, fuzzy
        if entry.get("msgid") and not fuzzy:
            strings = [v for k, v in sorted(entry.items()) if k.startswith("msgstr")]
            entries.append(
                (entry.get("msgctxt", ""), entry["msgid"], entry.get("msgid_plural", ""), strings)
            )
        entry, fuzzy = {}, False

    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#~"):
            continue
        if line.startswith("#"):
            if "msgid" in entry:
                flush()
            fuzzy = fuzzy or (line.startswith("#,") and "fuzzy" in line)
            continue
        if line.startswith('"'):
            entry[key] += ast.literal_eval(line)
            continue
        keyword, _space, literal = line.partition(" ")
        if keyword in ("msgctxt", "msgid") and "msgid" in entry and key != "msgctxt":
            flush()
        key = keyword
        entry[key] = ast.literal_eval(literal)
    flush()
    return entries


def catalog_file(locale_dir, domain="django"):
    """The English catalog of `locale_dir`, else any language's: their msgids are the same."""
    path = Path(locale_dir) / "en" / "LC_MESSAGES" / f"{domain}.po"
    if path.exists():
        return path
    return next(iter(sorted(Path(locale_dir).glob(f"*/LC_MESSAGES/{domain}.po"))), None)


def third_party_locale_dirs():
    """Django's own catalog and those of every installed app that is not the portal's."""
    ours = {Path(p).resolve() for p in settings.LOCALE_PATHS}
    base = Path(settings.BASE_DIR).resolve()
    dirs = [Path(django.__file__).parent / "conf" / "locale"]
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        if base in path.parents or path == base:
            continue
        if (path / "locale").is_dir() and path / "locale" not in ours:
            dirs.append(path / "locale")
    return dirs


def english_msgids():
    """Every msgid (and plural) of the third-party catalogs and ours."""
    msgids = set()
    files = [catalog_file(d) for d in third_party_locale_dirs()]
    files += [Path(p) / "vi" / "LC_MESSAGES" / "django.po" for p in settings.LOCALE_PATHS]
    for path in files:
        if path is None or not path.exists():
            continue
        for _context, msgid, plural, _strings in po_entries(path):
            msgids.update(m for m in (msgid, plural) if m)
    return msgids


def vietnamese_translations():
    """{msgid: Vietnamese text} as the portal resolves it: our catalog first, then the apps'."""
    translations = {}
    files = [Path(p) / "vi" / "LC_MESSAGES" / "django.po" for p in settings.LOCALE_PATHS]
    files += [d / "vi" / "LC_MESSAGES" / "django.po" for d in third_party_locale_dirs()]
    for path in files:
        if not path.exists():
            continue
        for _context, msgid, plural, strings in po_entries(path):
            if strings and all(strings):
                translations.setdefault(msgid, strings[0])
                if plural:
                    translations.setdefault(plural, strings[-1])
    return translations


def _phrases(msgid):
    """The literal pieces of a msgid worth looking for (see the module docstring)."""
    phrases = []
    for piece in PLACEHOLDER.split(" ".join(msgid.split())):
        piece = piece.replace("%%", "%").strip(" :;,")
        words = WORD.findall(piece)
        if len(words) >= 2 or (len(words) == 1 and len(words[0]) >= 4):
            phrases.append(piece)
    return phrases


class EnglishFinder:
    """Finds known English phrases in a page's visible text, on whole words."""

    def __init__(self, msgids, translations, allowlist, extra=()):
        phrases = {" ".join(text.split()) for text in extra}
        for msgid in msgids:
            if translations.get(msgid) != msgid:
                phrases.update(_phrases(msgid))
        self.phrases = phrases - set(allowlist)
        self._index()
        # English words the Vietnamese text itself keeps are no sign of an untranslated page.
        self.phrases -= self.find(" | ".join(translations.values()))
        self._index()

    def _index(self):
        """Candidates by their first word: a page is scanned once, word by word."""
        self._by_first_word = {}
        for phrase in self.phrases:
            first = re.search(r"\w+", phrase)
            if first is None:
                continue
            entry = (phrase, first.start())
            self._by_first_word.setdefault(first.group(), []).append(entry)
        for candidates in self._by_first_word.values():
            candidates.sort(key=lambda entry: len(entry[0]), reverse=True)

    def find(self, text):
        """The known English phrases in `text`, leaving out those inside a longer one found."""
        spans = []
        for match in re.finditer(r"\w+", text):
            for phrase, offset in self._by_first_word.get(match.group(), ()):
                start = match.start() - offset
                if start >= 0 and text.startswith(phrase, start) and _whole_words(
                    text, start, phrase
                ):
                    spans.append((start, start + len(phrase), phrase))
                    break
        return {
            phrase
            for start, end, phrase in spans
            if not any(s <= start and end <= e and (s, e) != (start, end) for s, e, _p in spans)
        }


def _whole_words(text, start, phrase):
    end = start + len(phrase)
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    if phrase[0].isalnum() and (before.isalnum() or before == "_"):
        return False
    if phrase[-1].isalnum() and (after.isalnum() or after == "_"):
        return False
    return True


# --- Pages -----------------------------------------------------------------------------------


class _VisibleText(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []
        self._hidden_depth = 0

    def handle_starttag(self, tag, attrs):
        if tag in HIDDEN_ELEMENTS:
            self._hidden_depth += 1
            return
        if self._hidden_depth:
            return
        attrs = {name: value or "" for name, value in attrs}
        if tag == "img" and BOOLEAN_ICON.search(attrs.get("src", "")):
            attrs.pop("alt", None)
        self.parts += [attrs[name] for name in SHOWN_ATTRIBUTES if attrs.get(name)]
        is_button = tag == "button" or (
            tag == "input" and attrs.get("type", "").lower() in BUTTON_INPUTS
        )
        if is_button and attrs.get("value"):
            self.parts.append(attrs["value"])

    def handle_startendtag(self, tag, attrs):
        if tag not in HIDDEN_ELEMENTS:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag in HIDDEN_ELEMENTS and self._hidden_depth:
            self._hidden_depth -= 1

    def handle_data(self, data):
        if not self._hidden_depth and data.strip():
            self.parts.append(data)


def visible_text(html):
    """What a person reads on the page, as one line of text (pieces joined by spaces)."""
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return DOTTED_NAME.sub(" ", " ".join(" ".join(parser.parts).split()))


# --- The admin's JavaScript catalog ----------------------------------------------------------


def untranslated_javascript(catalog_js, domain_dir):
    """The msgids of the djangojs catalog of `domain_dir` (Django's admin: the filter widget of
    the user admin, the calendar) that the JavaScript catalog served to the browser lacks, so
    the widgets would show them in English. Every one counts: a short "Sun" is still English."""
    start = catalog_js.index("newcatalog = ") + len("newcatalog = ")
    served, _end = json.JSONDecoder().raw_decode(catalog_js[start:])
    missing = []
    for context, msgid, _plural, _strings in po_entries(catalog_file(domain_dir, "djangojs")):
        key = f"{context}\x04{msgid}" if context else msgid
        if key not in served:
            missing.append(msgid)
    return missing
