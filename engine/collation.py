"""Vietnamese alphabetical order ("Sở Dân tộc" before "Sở Du lịch", "Đ" after "D"): letters in the order
of the Vietnamese alphabet (a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y), then tones
(none, huyền, sắc, hỏi, ngã, nặng) only to break ties, as dictionaries and official lists sort."""

from __future__ import annotations

import re
import unicodedata

ALPHABET = "aăâbcdđeêghiklmnoôơpqrstuưvxy"
_TONES = {"\u0300": 1, "\u0301": 2, "\u0309": 3, "\u0303": 4, "\u0323": 5}  # huyền sắc hỏi ngã nặng
_LETTER = {c: i for i, c in enumerate(ALPHABET)}


def _letters(text: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    base: list[int] = []
    tones: list[int] = []
    for char in unicodedata.normalize("NFC", text).casefold():
        decomposed = unicodedata.normalize("NFD", char)
        tone = next((_TONES[m] for m in decomposed if m in _TONES), 0)
        letter = unicodedata.normalize("NFC", "".join(m for m in decomposed if m not in _TONES))
        if letter in _LETTER:
            base.append(100 + _LETTER[letter])
        elif letter.isdigit():
            base.append(ord(letter) - ord("0"))  # digits before letters
        elif letter.isspace():
            base.append(10)  # a word ends before a longer one: "Sở Y" before "Sở Y tế"
        else:
            base.append(200 + ord(letter))
        tones.append(tone)
    return tuple(base), tuple(tones)


def vi_key(text: str | None) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """A sort key for Vietnamese names: sorted(names, key=vi_key)."""
    return _letters(" ".join((text or "").split()))


def number_key(number: str) -> tuple[tuple[int, int | str], ...]:
    """A task number's place in its plan: 1 < 1.2 < 1.10 < 2 < 4.a < 4.b < 10 (numbers as numbers, letters as
    letters), so "10" does not sort before "2"."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"[.\s]+", number.strip()) if part)
