"""The duty catalogue (职责目录): loading, validation, and the problem matcher.

``routing_rules/catalogue/*.yml`` holds the items admins edit: who handles what, how and within
what time. Every item is filed under a leaf of ``routing_rules/taxonomy.csv`` (the three-level
classification the NLU also uses), so statistics and routing share one vocabulary.

The matcher turns a problem description plus the NLU's category guess into ranked items. Keyword
and synonym hits on normalised text are the main evidence (scanned longest-first, so "路灯不亮"
wins over "路灯" and "灯不亮" inside it); the NLU leaf is a strong prior that decides among items
when the words are silent; rapidfuzz catches near-misses (typos) of keywords of three or more
characters. Everything is precomputed at load time: a message costs a dictionary scan and a few
numpy operations.
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import opencc
import yaml
from rapidfuzz import fuzz

from dispatch.workcal import TIERS

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

LEVELS = {"A": "社区（村）", "B": "街道（乡镇）", "C": "区级", "D": "市级"}
UNIT_KINDS = {
    "community": "社区（村）",
    "street": "街道（乡镇）",
    "district_dept": "区级部门",
    "city_dept": "市级部门",
    "enterprise": "公共服务企业",
}
MODES = {"direct": "直派", "dual": "双派"}
APPEAL_TYPES = ("咨询", "建议", "投诉", "举报", "求助", "表扬")
EMERGENCY_NUMBERS = ("110", "119", "120")
LEGAL_CHANNELS = ("诉讼", "仲裁", "行政复议", "纪检监察", "信息公开")
PLACEHOLDERS = ("street", "district", "community")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_ID = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")
REQUIRED_KEYS = (
    "id",
    "name",
    "category",
    "keywords",
    "level",
    "unit_kind",
    "units",
    "mode",
    "tier",
    "appeal_types",
)


class CatalogueError(ValueError):
    """The catalogue or the taxonomy cannot be used; the message names the file and the item."""


# --------------------------------------------------------------------------- normalisation

_TS_DICT = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"


@lru_cache(maxsize=1)
def _table() -> dict[int, str]:
    """OpenCC's traditional → simplified characters (first candidate), full-width → half-width."""
    table: dict[int, str] = {}
    for code in [*range(0x3000, 0x3040), *range(0xFF01, 0xFF5F)]:
        folded = unicodedata.normalize("NFKC", chr(code))
        if len(folded) == 1 and folded != chr(code):
            table[code] = folded
    table[0x3000] = " "
    for line in _TS_DICT.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 2 and len(parts[0]) == 1:
            target = parts[1].split(" ")[0]
            if len(target) == 1:
                table[ord(parts[0])] = target
    for upper in range(ord("A"), ord("Z") + 1):
        table.setdefault(upper, chr(upper + 32))
    return table


def normalize(text: str) -> str:
    """Simplified, half-width, lower-case text of the same length (one character in, one out)."""
    return text.translate(_table()).lower()


# --------------------------------------------------------------------------- taxonomy + items


def load_taxonomy(rules_dir: Path) -> frozenset[str]:
    """The leaves "l1/l2/l3" of ``rules_dir/taxonomy.csv`` (header 一级分类,二级分类,三级分类)."""
    path = rules_dir / "taxonomy.csv"
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise OSError(f"{path}: 无法读取分类表 (cannot read the taxonomy): {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise CatalogueError(f"{path}: 不是 UTF-8 文本 (not UTF-8)") from exc
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or len(rows[0]) != 3:
        raise CatalogueError(f"{path}: 表头应为 一级分类,二级分类,三级分类 (expected three columns)")
    leaves: set[str] = set()
    for number, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        if len(row) != 3 or not all(part.strip() for part in row):
            raise CatalogueError(f"{path}: 第 {number} 行应有三个非空分类 (line {number}: three levels)")
        leaves.add("/".join(part.strip() for part in row))
    return frozenset(leaves)


@dataclass(frozen=True)
class DutyItem:
    """One duty catalogue entry: a problem, who handles it, how and within what time."""

    id: str
    name: str
    category: str
    keywords: tuple[str, ...]
    synonyms: tuple[str, ...]
    level: str
    unit_kind: str
    units: tuple[str, ...]
    co_units: tuple[str, ...]
    mode: str
    tier: str
    appeal_types: tuple[str, ...]
    emergency: str | None
    legal_channel: str | None
    source: str = ""

    @property
    def leaf(self) -> tuple[str, str, str]:
        l1, l2, l3 = self.category.split("/")
        return l1, l2, l3

    def words(self) -> list[str]:
        """Name, keywords and synonyms, without repeats, in that order."""
        return list(dict.fromkeys([self.name, *self.keywords, *self.synonyms]))

    def summary(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name, "category": self.category}


def _where(path: Path, index: int, raw: Any) -> str:
    ident = raw.get("id") if isinstance(raw, dict) else None
    return f"{path.name}: 第 {index + 1} 项" + (f" ({ident})" if ident else "")


def _strings(value: Any, key: str, where: str, *, allow_empty: bool = True) -> tuple[str, ...]:
    if value is None and allow_empty:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise CatalogueError(f"{where}: {key} 应为非空字符串列表 ({key} must be a list of non-empty strings)")
    if not value and not allow_empty:
        raise CatalogueError(f"{where}: {key} 不能为空 ({key} must not be empty)")
    return tuple(v.strip() for v in value)


def _choice(value: Any, key: str, allowed: Iterable[str], where: str) -> str:
    options = list(allowed)
    if value not in options:
        raise CatalogueError(
            f"{where}: 未知的 {key} {value!r} (unknown {key}); 可选 (allowed): {', '.join(options)}"
        )
    return str(value)


def _optional_choice(value: Any, key: str, allowed: Iterable[str], where: str) -> str | None:
    if value is None:
        return None
    return _choice(str(value), key, allowed, where)


def _templates(values: tuple[str, ...], key: str, where: str) -> tuple[str, ...]:
    for value in values:
        for name in _PLACEHOLDER.findall(value):
            if name not in PLACEHOLDERS:
                raise CatalogueError(
                    f"{where}: {key} 中的占位符 {{{name}}} 未知 (unknown placeholder); "
                    f"可用 (allowed): {', '.join('{' + p + '}' for p in PLACEHOLDERS)}"
                )
    return values


def parse_item(raw: Any, where: str, leaves: frozenset[str], source: str = "") -> DutyItem:
    """One validated item; ``where`` names the file and the item in the error messages."""
    if not isinstance(raw, dict):
        raise CatalogueError(f"{where}: 每一项应为映射 (each item must be a mapping)")
    missing = [key for key in REQUIRED_KEYS if key not in raw]
    if missing:
        raise CatalogueError(f"{where}: 缺少字段 (missing keys): {', '.join(missing)}")
    ident, name, category = raw["id"], raw["name"], raw["category"]
    if not isinstance(ident, str) or not _ID.match(ident):
        raise CatalogueError(f"{where}: id {ident!r} 格式不对 (expected like SZ-LD-001)")
    if not isinstance(name, str) or not name.strip():
        raise CatalogueError(f"{where}: name 不能为空 (name must be a non-empty string)")
    if not isinstance(category, str) or category not in leaves:
        raise CatalogueError(
            f"{where}: 分类 {category!r} 不是分类表的三级分类 (category is not a leaf of taxonomy.csv)"
        )
    mode = _choice(raw["mode"], "mode", MODES, where)
    units = _templates(_strings(raw["units"], "units", where, allow_empty=False), "units", where)
    co_units = _templates(_strings(raw.get("co_units"), "co_units", where), "co_units", where)
    if mode == "dual" and not co_units:
        raise CatalogueError(f"{where}: 双派 (mode dual) 需要 co_units (dual dispatch needs co_units)")
    appeal_types = _strings(raw["appeal_types"], "appeal_types", where, allow_empty=False)
    for kind in appeal_types:
        _choice(kind, "appeal_type", APPEAL_TYPES, where)
    return DutyItem(
        id=ident,
        name=name.strip(),
        category=category,
        keywords=_strings(raw["keywords"], "keywords", where, allow_empty=False),
        synonyms=_strings(raw.get("synonyms"), "synonyms", where),
        level=_choice(raw["level"], "level", LEVELS, where),
        unit_kind=_choice(raw["unit_kind"], "unit_kind", UNIT_KINDS, where),
        units=units,
        co_units=co_units,
        mode=mode,
        tier=_choice(raw["tier"], "tier", TIERS, where),
        appeal_types=appeal_types,
        emergency=_optional_choice(raw.get("emergency"), "emergency", EMERGENCY_NUMBERS, where),
        legal_channel=_optional_choice(raw.get("legal_channel"), "legal_channel", LEGAL_CHANNELS, where),
        source=source,
    )


@dataclass(frozen=True)
class Catalogue:
    """All items of ``routing_rules/catalogue/*.yml`` and the rules version they declare."""

    items: tuple[DutyItem, ...]
    version: str
    by_id: Mapping[str, DutyItem] = field(repr=False)
    by_leaf: Mapping[str, tuple[DutyItem, ...]] = field(repr=False)

    @classmethod
    def from_items(cls, items: Sequence[DutyItem], version: str) -> Catalogue:
        by_leaf: dict[str, list[DutyItem]] = {}
        for item in items:
            by_leaf.setdefault(item.category, []).append(item)
        return cls(
            items=tuple(items),
            version=version,
            by_id={item.id: item for item in items},
            by_leaf={leaf: tuple(group) for leaf, group in by_leaf.items()},
        )

    @classmethod
    def load(cls, rules_dir: Path) -> Catalogue:
        """Reads and validates every file; raises OSError when there is none, CatalogueError when bad."""
        leaves = load_taxonomy(rules_dir)
        folder = rules_dir / "catalogue"
        paths = sorted(folder.glob("*.yml")) + sorted(folder.glob("*.yaml"))
        if not paths:
            raise OSError(f"{folder}: 没有职责目录文件 (no catalogue *.yml files)")
        items: list[DutyItem] = []
        seen: dict[str, str] = {}
        versions: dict[str, str] = {}
        for path in paths:
            try:
                doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
            except UnicodeDecodeError as exc:
                raise CatalogueError(f"{path.name}: 不是 UTF-8 文本 (not UTF-8)") from exc
            except yaml.YAMLError as exc:
                raise CatalogueError(f"{path.name}: 不是合法的 YAML (bad YAML): {exc}") from exc
            if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
                raise CatalogueError(f"{path.name}: 应有 version 和 items 列表 (expected version and items)")
            version = doc.get("version")
            if not isinstance(version, str | int | float) or not str(version).strip():
                raise CatalogueError(f"{path.name}: 缺少 version (missing version)")
            versions[path.name] = str(version)
            for index, raw in enumerate(doc["items"]):
                where = _where(path, index, raw)
                item = parse_item(raw, where, leaves, source=path.name)
                if item.id in seen:
                    raise CatalogueError(f"{where}: id {item.id} 重复，已见于 {seen[item.id]} (duplicate id)")
                seen[item.id] = path.name
                items.append(item)
        if len(set(versions.values())) > 1:
            listed = ", ".join(f"{name}={v}" for name, v in versions.items())
            raise CatalogueError(f"职责目录各文件的 version 不一致 (versions differ): {listed}")
        return cls.from_items(items, next(iter(versions.values())))


# --------------------------------------------------------------------------- matcher

# Evidence one hit gives, by the kind of word; combined per item as a noisy-OR.
NAME_WEIGHT = 0.85
KEYWORD_WEIGHT = 0.75
SYNONYM_WEIGHT = 0.5
FUZZY_FACTOR = 0.6  # a near-miss counts this much of an exact hit
# How much the NLU's leaf (times its score) and its alternatives (times theirs) count.
LEAF_PRIOR = 0.7
ALTERNATIVE_PRIOR = 0.35
# An item that does not list the message's appeal type keeps this share of its score.
APPEAL_TYPE_MISMATCH = 0.85
FUZZY_MIN_LEN = 4
# A four-character word split by a few characters ("拖欠…工资", "暖气…不热") counts this much.
GAP_FACTOR = 0.8
MAX_GAP = 4


def _length_factor(length: int) -> float:
    """Longer words are more specific: one character says little, four say a lot."""
    return {1: 0.4, 2: 0.85, 3: 0.95}.get(length, 1.0)


def _fuzzy_cutoff(length: int) -> float:
    """rapidfuzz ``partial_ratio`` that one wrong character (two wrong from six on) still reaches."""
    wrong = 1 if length < 6 else 2
    return 100.0 * (1.0 - wrong / length) - 0.01


@dataclass(frozen=True)
class Match:
    """A ranked item with its score (0–1), the words that hit, and whether the NLU leaf backed it."""

    item: DutyItem
    score: float
    hits: tuple[str, ...]
    fuzzy: tuple[str, ...]
    prior: float

    @property
    def keyword_evidence(self) -> bool:
        return bool(self.hits or self.fuzzy)


@dataclass
class _Term:
    text: str
    items: list[tuple[int, float]]  # (item index, weight)


class ProblemMatcher:
    """Problem text + the NLU's category → ranked duty items (see the module docstring)."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self._items = catalogue.items
        terms: dict[str, _Term] = {}
        for index, item in enumerate(self._items):
            best: dict[str, float] = {}
            for word, weight in [
                *((s, SYNONYM_WEIGHT) for s in item.synonyms),
                *((k, KEYWORD_WEIGHT) for k in item.keywords),
                (item.name, NAME_WEIGHT),
            ]:
                key = normalize(word).replace(" ", "")
                if key:
                    best[key] = max(best.get(key, 0.0), weight * _length_factor(len(key)))
            for key, weight in best.items():
                terms.setdefault(key, _Term(key, [])).items.append((index, weight))
        # A word several items share tells less about each of them.
        for term in terms.values():
            if len(term.items) > 1:
                damp = 1.0 / math.sqrt(len(term.items))
                term.items = [(i, w * damp) for i, w in term.items]
        self._terms = terms
        lengths: dict[str, set[int]] = {}
        for key in terms:
            lengths.setdefault(key[0], set()).add(len(key))
        self._lengths = {first: sorted(ls, reverse=True) for first, ls in lengths.items()}
        # Fuzzy candidates: words of FUZZY_MIN_LEN+ characters, indexed by their distinct characters.
        self._fuzzy_words = [key for key in terms if len(key) >= FUZZY_MIN_LEN]
        by_char: dict[str, list[int]] = {}
        for number, key in enumerate(self._fuzzy_words):
            for char in set(key):
                by_char.setdefault(char, []).append(number)
        self._by_char = {char: np.array(ids, dtype=np.int32) for char, ids in by_char.items()}
        self._need = np.array([len(set(k)) - 1 for k in self._fuzzy_words], dtype=np.int32)
        # Gapped hits: four-character words as two halves with up to MAX_GAP characters between.
        self._halves: dict[str, list[tuple[str, str]]] = {}
        for key in terms:
            if len(key) == 4:
                self._halves.setdefault(key[:2], []).append((key[2:], key))
        self._order = {item.id: n for n, item in enumerate(self._items)}
        self._leaf_items: dict[str, list[int]] = {}
        for index, item in enumerate(self._items):
            self._leaf_items.setdefault(item.category, []).append(index)

    def scan(self, text: str) -> list[tuple[int, int, str]]:
        """Exact hits (start, end, word) on the normalised text, longest first and not overlapping."""
        return self._scan(normalize(text))

    def _scan(self, norm: str) -> list[tuple[int, int, str]]:
        hits: list[tuple[int, int, str]] = []
        i, n = 0, len(norm)
        terms, lengths = self._terms, self._lengths
        while i < n:
            for length in lengths.get(norm[i], ()):
                if i + length <= n and norm[i : i + length] in terms:
                    hits.append((i, i + length, norm[i : i + length]))
                    i += length
                    break
            else:
                i += 1
        return hits

    def _gapped(self, norm: str, exact: set[str]) -> list[str]:
        found: list[str] = []
        halves = self._halves
        for i in range(len(norm) - 3):
            pairs = halves.get(norm[i : i + 2])
            if not pairs:
                continue
            window = norm[i + 3 : i + 4 + MAX_GAP]
            for second, word in pairs:
                if word not in exact and second in window and word not in found:
                    found.append(word)
        return found

    def _fuzzy(self, norm: str, exact: set[str]) -> list[tuple[str, float]]:
        arrays = [self._by_char[c] for c in set(norm) if c in self._by_char]
        if not arrays:
            return []
        counts = np.bincount(np.concatenate(arrays), minlength=len(self._fuzzy_words))
        found: list[tuple[str, float]] = []
        for number in np.flatnonzero(counts >= self._need):
            word = self._fuzzy_words[int(number)]
            if word in exact or word in norm:
                continue
            hit = fuzz.partial_ratio_alignment(word, norm, score_cutoff=_fuzzy_cutoff(len(word)))
            # A typo sits inside a word: its first and last characters must be right ("井概丢了" is
            # 井盖丢了, "全包合同" is not 承包合同, "一家公司" is not 搬家公司).
            if (
                hit is not None
                and hit.src_start == 0
                and hit.src_end == len(word)
                and norm[hit.dest_start] == word[0]
                and norm[hit.dest_end - 1] == word[-1]
            ):
                found.append((word, hit.score / 100.0))
        return found

    def match(
        self,
        text: str,
        category: Mapping[str, Any] | str | None = None,
        alternatives: Sequence[Mapping[str, Any] | str] = (),
        appeal_type: str | None = None,
        *,
        limit: int = 5,
    ) -> list[Match]:
        """Ranked items, best first; empty when neither the words nor the category point anywhere."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a string, not {type(text).__name__}")
        norm = normalize(text).replace(" ", "")
        evidence: dict[int, float] = {}
        hit_words: dict[int, list[str]] = {}
        fuzzy_words: dict[int, list[str]] = {}
        exact: set[str] = set()
        for _, _, word in self._scan(norm):
            if word in exact:
                continue  # a word said twice is no more evidence than once
            exact.add(word)
            for index, weight in self._terms[word].items:
                evidence[index] = 1.0 - (1.0 - evidence.get(index, 0.0)) * (1.0 - weight)
                hit_words.setdefault(index, []).append(word)
        near = [(word, GAP_FACTOR) for word in self._gapped(norm, exact)]
        gapped = {word for word, _ in near}
        near += [(w, FUZZY_FACTOR * r) for w, r in self._fuzzy(norm, exact) if w not in gapped]
        for word, factor in near:
            for index, weight in self._terms[word].items:
                if index in hit_words:
                    continue  # a near-miss adds nothing to an item the exact words already found
                weight *= factor
                evidence[index] = 1.0 - (1.0 - evidence.get(index, 0.0)) * (1.0 - weight)
                fuzzy_words.setdefault(index, []).append(word)
        priors: dict[int, float] = {}
        for candidate, strength in [
            (category, LEAF_PRIOR),
            *((alt, ALTERNATIVE_PRIOR) for alt in alternatives),
        ]:
            leaf = _leaf_of(candidate)
            if leaf is None or candidate is None:
                continue
            score = _score_of(candidate)
            for index in self._leaf_items.get(leaf, ()):
                priors[index] = max(priors.get(index, 0.0), strength * score)
        matches: list[Match] = []
        for index in evidence.keys() | priors.keys():
            item = self._items[index]
            score = 1.0 - (1.0 - evidence.get(index, 0.0)) * (1.0 - priors.get(index, 0.0))
            if appeal_type and appeal_type not in item.appeal_types:
                score *= APPEAL_TYPE_MISMATCH
            matches.append(
                Match(
                    item=item,
                    score=round(score, 4),
                    hits=tuple(hit_words.get(index, ())),
                    fuzzy=tuple(fuzzy_words.get(index, ())),
                    prior=priors.get(index, 0.0),
                )
            )
        # Ties (a leaf prior alone) keep the catalogue's order: its first item for a leaf is the general one.
        order = self._order
        matches.sort(key=lambda m: (-m.score, -len("".join(m.hits)), order[m.item.id]))
        return matches[:limit]


def _leaf_of(category: Mapping[str, Any] | str | None) -> str | None:
    """The leaf path from the NLU's category dict, or the path itself (a button's payload)."""
    if isinstance(category, str):
        return category if category.count("/") == 2 and all(category.split("/")) else None
    if not category or not isinstance(category, Mapping):
        return None
    parts = [category.get(k) for k in ("l1", "l2", "l3")]
    if not all(isinstance(p, str) and p for p in parts):
        return None
    return "/".join(str(p) for p in parts)


def _score_of(category: Mapping[str, Any] | str) -> float:
    if isinstance(category, str):
        return 1.0  # a path without a score was chosen, not guessed
    try:
        score = float(category.get("score", 1.0))
    except (TypeError, ValueError):
        return 0.0
    return min(max(score, 0.0), 1.0)
