"""Vietnamese alphabetical order in Python: `collation_key(text)` for `sorted(..., key=...)`.

Python compares code points, which puts "Đà Nẵng" after "Yên Bái" (Đ is U+0110) and "Ân" after
"Ý". Vietnamese dictionaries order words syllable by syllable, and this key does the same:

1. letters, in the Vietnamese alphabet: a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x
   y (f j w z, found in foreign words, keep their Latin place); digits come before letters;
2. within a syllable, after its letters, its tone: none, huyền (à), hỏi (ả), ngã (ã), sắc (á),
   nặng (ạ). So ha < hà < hả < hã < há < hạ < hác < hai, and "Hà Nội" < "Hạ Long": the first
   syllable decides. (ICU's `vi` collation weighs tones only after all the letters of the whole
   text, which puts "Hạ Long" first; dictionaries and registers go syllable by syllable.)
3. spaces and punctuation between syllables come before any letter, so "An" < "An Bình" < "Anh";
4. only when all that is equal, the case (lower case first), then the text itself, so the
   order is total and stable.

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

# Within a syllable: digits, then the alphabet, then letters of other scripts.
_DIGIT, _LETTER, _FOREIGN = 0, 1, 2
# In the text: what separates syllables sorts before any syllable.
_SEPARATOR, _SYLLABLE = 0, 1


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


def _letter_and_tone(base, marks):
    """The letter of the alphabet (lower case) and the tone a base character and marks make."""
    letter, tone, others = base.lower(), 0, []
    for mark in marks:
        if (letter, mark) in _LETTER_OF:
            letter = _LETTER_OF[letter, mark]
        elif mark in _TONE:
            tone = _TONE[mark]
        else:
            others.append(ord(mark))
    return letter, (tone, *others)


def collation_key(text):
    """A sort key putting `text` in Vietnamese alphabetical order (see the module's rules)."""
    text = text or ""
    parts, letters, tones, cases = [], [], [], []

    def end_syllable():
        if letters:
            parts.append((_SYLLABLE, tuple(letters), tuple(tones)))
            letters.clear()
            tones.clear()

    for base, marks in _clusters(text):
        cases.append(base.isupper())
        letter, tone = _letter_and_tone(base, marks)
        if letter in _LETTER_RANK:
            letters.append((_LETTER, _LETTER_RANK[letter]))
        elif letter.isdigit():
            letters.append((_DIGIT, ord(letter)))
        elif letter.isalpha():
            letters.append((_FOREIGN, ord(letter)))
        else:
            end_syllable()
            parts.append((_SEPARATOR, (ord(letter),), ()))
            continue
        tones.append(tone)
    end_syllable()
    return tuple(parts), tuple(cases), text
