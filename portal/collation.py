"""Vietnamese alphabetical order in Python: `collation_key(text)` for `sorted(..., key=...)`.

Python compares code points, which puts "Đà Nẵng" after "Yên Bái" (Đ is U+0110) and "Ân" after
"Ý". Vietnamese order, as in the dictionaries and CLDR's `vi` collation (what ICU would give,
without depending on it), compares in three passes:

1. letters, in the Vietnamese alphabet: a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x
   y (f j w z, found in foreign words, keep their Latin place). Spaces and punctuation come
   before digits, digits before letters, so "An" < "An Bình" < "Anh";
2. only when the letters are equal, the tones, syllable by syllable: none, huyền (à), hỏi (ả),
   ngã (ã), sắc (á), nặng (ạ), so "Ma" < "Mà" < "Mả" < "Mã" < "Má" < "Mạ";
3. only then the case, lower case first.

Text is read in NFD, so composed and decomposed spellings of one name sort as one. Numbers are
compared digit by digit ("10" < "9"), as ICU does by default.
"""

import unicodedata

ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_LETTER_RANK = {letter: rank for rank, letter in enumerate(ALPHABET)}

# The marks that make another letter of the alphabet (in NFD: a base letter and the mark).
BREVE, CIRCUMFLEX, HORN = "\u0306", "\u0302", "\u031b"
_LETTER_OF = {
    ("a", BREVE): "ă",
    ("a", CIRCUMFLEX): "â",
    ("e", CIRCUMFLEX): "ê",
    ("o", CIRCUMFLEX): "ô",
    ("o", HORN): "ơ",
    ("u", HORN): "ư",
}
# The tone marks, in their order (0 is the level tone, no mark).
_TONE = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}

# Primary classes: what is not a letter or a digit sorts first, letters outside the alphabet last.
_OTHER, _DIGIT, _LETTER, _FOREIGN = 0, 1, 2, 3


def _clusters(text):
    """(base character, its combining marks) for each character of `text` in NFD."""
    base, marks = None, []
    for char in unicodedata.normalize("NFD", text):
        if base is not None and unicodedata.combining(char):
            marks.append(char)
            continue
        if base is not None:
            yield base, marks
        base, marks = char, []
    if base is not None:
        yield base, marks


def collation_key(text):
    """A sort key putting `text` in Vietnamese alphabetical order (see the module's passes)."""
    letters, tones, cases = [], [], []
    for base, marks in _clusters(text or ""):
        letter, tone, other_marks = base.lower(), 0, []
        for mark in marks:
            if (letter, mark) in _LETTER_OF:
                letter = _LETTER_OF[letter, mark]
            elif mark in _TONE:
                tone = _TONE[mark]
            else:
                other_marks.append(ord(mark))
        if letter in _LETTER_RANK:
            letters.append((_LETTER, _LETTER_RANK[letter]))
        elif letter.isdigit():
            letters.append((_DIGIT, ord(letter)))
        elif letter.isalpha():
            letters.append((_FOREIGN, ord(letter)))
        else:
            letters.append((_OTHER, ord(letter)))
        tones.append((tone, *other_marks))
        cases.append(base.isupper())
    # The text itself last: two different spellings never compare equal, so order is stable.
    return tuple(letters), tuple(tones), tuple(cases), text or ""
