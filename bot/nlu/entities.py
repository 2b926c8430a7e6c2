"""Entity extraction on the same-length normalised text, so spans are spans of the original.

Regexes (nlu_data/regexes.yml) for numbers and times; place names from the gazetteer (when built)
and lookups, plus address patterns for the places they lack; problem terms from lookup tables,
the duty catalogue and synonyms; keyword flags for emergencies and legal-channel matters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.nlu.types import Entity

# Overlaps are settled in this order: a ticket number is not a phone, an ID number is not a time.
REGEX_PRIORITY = ("ticket_id", "id_number", "phone", "landline", "time")
_DIGIT_SEPARATORS = re.compile(r"[ -]")
_NUMBER_TYPES = {"ticket_id", "id_number", "phone", "landline"}


def _overlaps(entity: Entity, taken: list[Entity]) -> bool:
    return any(entity.start < other.end and other.start < entity.end for other in taken)


class RegexExtractor:
    """Rasa-style named regexes: the regex's name is the entity type, its lines are alternatives.
    One pattern per type, scanned in ``REGEX_PRIORITY`` order; a later type never overlaps an earlier
    one (a ticket number is not a phone, an ID number is not a time). Separate scans measured faster
    than one alternation of named groups."""

    def __init__(self, regexes: dict[str, list[str]]) -> None:
        order = [t for t in REGEX_PRIORITY if regexes.get(t)] + sorted(
            t for t in set(regexes) - set(REGEX_PRIORITY) if regexes[t]
        )
        self._patterns = [(kind, re.compile("|".join(f"(?:{p})" for p in regexes[kind]))) for kind in order]

    def find(self, text: str) -> list[Entity]:
        found: list[Entity] = []
        for kind, pattern in self._patterns:
            for match in pattern.finditer(text):
                if match.end() == match.start():
                    continue
                value = match.group(0)
                if kind in _NUMBER_TYPES:
                    value = _DIGIT_SEPARATORS.sub("", value)
                    if kind == "phone" and len(value) > 11:  # +86 prefix
                        value = value[-11:]
                entity = Entity(kind, value, match.start(), match.end(), "regex")
                if not _overlaps(entity, found):
                    found.append(entity)
        return found


class LexiconMatcher:
    """Longest-match look-up of a word list: per position, a dictionary probe for each length a word
    starting with that character has; far cheaper than one regex alternation of thousands of names."""

    def __init__(self, words: Iterable[str], min_length: int = 2) -> None:
        self.words = {w for w in words if len(w) >= min_length}
        lengths: dict[str, set[int]] = {}
        for word in self.words:
            lengths.setdefault(word[0], set()).add(len(word))
        self.lengths = {ch: sorted(ns, reverse=True) for ch, ns in lengths.items()}

    def find(self, text: str) -> list[tuple[int, int]]:
        spans: list[tuple[int, int]] = []
        words, lengths = self.words, self.lengths
        i, length = 0, len(text)
        while i < length:
            step = 1
            for n in lengths.get(text[i], ()):
                if text[i : i + n] in words:
                    spans.append((i, i + n))
                    step = n
                    break
            i += step
        return spans


# A character of a place name: not a function word or pronoun ("我家住在…", "楼下的路灯").
_NOT_NAME = "的了在是我你他她它们这那有没不都也就和说要去到把被给让很太还又呢吗吧啊呀着过从向对"
_NAME = rf"(?:(?![{_NOT_NAME}])[\u4e00-\u9fa5A-Za-z0-9])"
_NUMBERED = r"(?:[\d一二三四五六七八九十]+|[A-Za-z])(?:号楼|号院|号|栋|幢|单元|层|楼|室|区|期|门)"
_PLACE_SUFFIX = (
    "街道|地区|大街|胡同|社区|小区|花园|家园|公寓|大厦|广场|号院|号楼|西里|东里|北里|南里|中里|"
    "区|县|镇|乡|村|路|街|巷|里|院|苑|园|庄|营|府|桥|寺|坊|湾|城"
)
# Address-shaped chunks: one or more "name + place suffix" pieces, then building numbers.
# A suffix followed by one of these is a word, not a place: 路灯, 路口, 街边, 院子, 村头.
_SUFFIX = rf"(?:{_PLACE_SUFFIX})(?![灯口边面上子头])"
_PLACE_CHUNK = re.compile(
    rf"{_NAME}{{1,12}}?{_SUFFIX}(?:{_NUMBERED})*(?:{_NAME}{{0,12}}?{_SUFFIX}(?:{_NUMBERED})*)*|{_NUMBERED}+"
)
# "小区里", "院里": the trailing 里 means "inside", not a 西里-style name.
_INSIDE = re.compile(r"(?<=[区院村楼园])里$")
# Words before a place that are not part of it ("我家住在", "就在", "我们"): cut at the last one.
_LEAD = re.compile(
    r"^.*(?:我家|我们家|我们|咱们|我住|住在|就在|位于|地址是|地址|地点是|地点|反映|投诉|举报|"
    r"这个|那个|附近|旁边|对面|门口|在|是|的|了|到|从|把|给|和|跟|与|个|里面)"
)
# Common words that end in a place suffix but name no place.
_NOT_PLACE = {
    "小区",
    "社区",
    "街道",
    "马路",
    "道路",
    "公路",
    "城区",
    "市区",
    "郊区",
    "地区",
    "园区",
    "景区",
    "校园",
    "院里",
    "院子",
    "楼道",
    "这里",
    "那里",
    "哪里",
    "家里",
    "心里",
    "村里",
    "城里",
    "夜里",
    "单元",
    "停车场",
    "附近小区",
    "老旧小区",
    "路口",
    "一路",
    "半路",
    "过路",
    "走路",
    "上路",
    "出路",
    "法院",
    "医院",
    "学院",
    "物业公司",
    "花园",
    "公园",
    "农村",
    "本村",
    "我村",
    "乡里",
    "邻里",
}
_STRONG = re.compile(r"(?:区|县|镇|乡|村|街道|社区|小区|大街|胡同|路|街|巷|里|院|号|号楼|栋|单元|室)$")


class PlaceFinder:
    """Known place names (gazetteer, lookups) first, then address-shaped chunks; adjacent pieces of
    one clause form one address."""

    def __init__(self, names: Iterable[str], min_length: int = 3) -> None:
        self.known = LexiconMatcher(names, min_length=2)
        self.min_length = min_length

    @staticmethod
    def _pattern_spans(text: str) -> list[tuple[int, int]]:
        spans: list[tuple[int, int]] = []
        for match in _PLACE_CHUNK.finditer(text):
            piece = match.group(0)
            lead = _LEAD.match(piece)
            cut = lead.end() if lead and lead.end() < len(piece) else 0
            value = _INSIDE.sub("", piece[cut:])
            end = match.start() + cut + len(value)
            if len(value) >= 2 and value not in _NOT_PLACE and _STRONG.search(value):
                spans.append((match.start() + cut, end))
        return spans

    def find(self, text: str, taken: list[Entity]) -> list[Entity]:
        known = self.known.find(text)
        spans = sorted(known + self._pattern_spans(text))
        merged: list[list[int]] = []
        for s, e in spans:  # adjacent or overlapping pieces form one address
            if merged and s <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        found: list[Entity] = []
        known_set = set(known)
        for s, e in merged:
            value = text[s:e]
            if value in _NOT_PLACE or (e - s < self.min_length and (s, e) not in known_set):
                continue
            confidence = 1.0 if any(ks >= s and ke <= e for ks, ke in known) else 0.7
            entity = Entity("address", value, s, e, "place", confidence)
            if not _overlaps(entity, taken):
                found.append(entity)
        return found


class TermFinder:
    """Problem terms from lookup tables and the catalogue; a synonym maps to its canonical term."""

    def __init__(self, terms: Iterable[str], synonyms: dict[str, str]) -> None:
        self.synonyms = dict(synonyms)
        self.matcher = LexiconMatcher([*terms, *synonyms], min_length=2)

    def find(self, text: str) -> list[Entity]:
        return [
            Entity("problem_term", self.synonyms.get(text[s:e], text[s:e]), s, e, "lookup")
            for s, e in self.matcher.find(text)
        ]


class FlagFinder:
    """Keyword flags of several kinds in one scan. For each kind, its earliest hit wins that is not
    negated ("没有着火"), not hedged as past or possible ("上次着火", "差点着火", "防止起火": a hazard
    is a complaint, not a call for 119 now) and not part of an exception phrase ("打不着火")."""

    def __init__(
        self,
        lexicons: dict[str, dict[str, list[str]]],
        negations: list[str],
        window: int,
        *,
        hedges: list[str] | None = None,
        hedge_window: int = 6,
        exceptions: list[str] | None = None,
    ) -> None:
        self.window = window
        self.negations = negations
        self.hedges = hedges or []
        self.hedge_window = hedge_window
        self.flag_of = {
            word: (kind, flag)
            for kind, lexicon in lexicons.items()
            for flag, words in lexicon.items()
            for word in words
        }
        self.matcher = LexiconMatcher(self.flag_of, min_length=1)
        self.exceptions = sorted(set(exceptions or []), key=len, reverse=True)

    def _excepted(self, text: str) -> list[tuple[int, int]]:
        spans = []
        for phrase in self.exceptions:
            start = text.find(phrase)
            while start >= 0:
                spans.append((start, start + len(phrase)))
                start = text.find(phrase, start + 1)
        return spans

    def find(self, text: str) -> dict[str, str]:
        found: dict[str, str] = {}
        excepted = self._excepted(text) if self.exceptions else []
        for s, e in self.matcher.find(text):
            kind, flag = self.flag_of[text[s:e]]
            if kind in found or any(a <= s and e <= b for a, b in excepted):
                continue
            before = text[max(0, s - self.window) : s]
            if any(neg in before for neg in self.negations):
                continue
            if kind == "emergency":
                context = text[max(0, s - self.hedge_window) : s]
                if any(hedge in context for hedge in self.hedges):
                    continue
            found[kind] = flag
        return found


class Extractors:
    """Every entity extractor of the pipeline, run in order on the same-length normalised text."""

    def __init__(
        self,
        regexes: dict[str, list[str]],
        places: Iterable[str],
        terms: Iterable[str],
        synonyms: dict[str, str],
        min_place_length: int = 3,
    ) -> None:
        self.regex = RegexExtractor(regexes)
        self.places = PlaceFinder(places, min_place_length)
        self.terms = TermFinder(terms, synonyms)

    def extract(self, same: str) -> list[Entity]:
        found = self.regex.find(same)
        found += self.places.find(same, found)
        found += [t for t in self.terms.find(same) if not _overlaps(t, found)]
        found.sort(key=lambda e: (e.start, -e.end))
        return found


def mask(same: str, found: list[Entity], placeholders: dict[str, str]) -> str:
    """Each entity of a masked type becomes one placeholder symbol: "朝阳区望京街道3号楼路灯坏了" reads as
    "◎路灯坏了" to the classifiers, so an address or a phone number says "an answer" or "where",
    never which category."""
    if not placeholders:
        return same
    pieces: list[str] = []
    position = 0
    for entity in found:
        symbol = placeholders.get(entity.type)
        if symbol is None or entity.start < position:
            continue
        pieces.append(same[position : entity.start])
        pieces.append(symbol)
        position = entity.end
    pieces.append(same[position:])
    return "".join(pieces)
