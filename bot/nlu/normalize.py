"""Normalisation: traditional → simplified, full-width → half-width, runs of punctuation and emoji,
common typos.

``same_length`` maps every character to exactly one character, so entity spans found on its
output are spans of the original text. ``for_features`` goes further for the classifiers.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import opencc

_DICT = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"


@lru_cache(maxsize=1)
def _table() -> dict[int, str]:
    """One ``str.translate`` table: OpenCC's traditional → simplified characters (first candidate of
    each entry), full-width ASCII → half-width, and the other one-character NFKC foldings of the
    CJK punctuation and symbol blocks."""
    table: dict[int, str] = {}
    for code in [
        *range(0x2000, 0x2070),
        *range(0x3000, 0x3040),
        *range(0xFE30, 0xFE70),
        *range(0xFF01, 0xFF5F),
    ]:
        folded = unicodedata.normalize("NFKC", chr(code))
        if len(folded) == 1 and folded != chr(code):
            table[code] = folded
    table[0x3000] = " "
    for line in _DICT.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 2 and len(parts[0]) == 1:
            target = parts[1].split(" ")[0]
            if len(target) == 1:
                table[ord(parts[0])] = target
    return table


def same_length(text: str) -> str:
    """Simplified, half-width text with exactly the original's length."""
    return text.translate(_table())


_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f\u200d]+")
_PUNCT_RUN = re.compile(r"([!?。，,.！？~～、…\-—_=*#])\1+")
_SPACES = re.compile(r"\s+")


def load_typos(pairs: dict[str, str]) -> re.Pattern[str] | None:
    if not pairs:
        return None
    return re.compile("|".join(re.escape(k) for k in sorted(pairs, key=len, reverse=True)))


def finish(same: str, typos: dict[str, str] | None = None, typo_re: re.Pattern[str] | None = None) -> str:
    """The rest of ``for_features`` on text that is already ``same_length``'s output."""
    out = _EMOJI.sub(" ", same.lower())
    out = _PUNCT_RUN.sub(r"\1", out)
    if typos and typo_re is not None:
        out = typo_re.sub(lambda m: typos[m.group(0)], out)
    return _SPACES.sub(" ", out).strip()


def for_features(
    text: str, typos: dict[str, str] | None = None, typo_re: re.Pattern[str] | None = None
) -> str:
    """The text the classifiers see: simplified, half-width, lower-case, emoji and runs collapsed."""
    return finish(same_length(text), typos, typo_re)
