"""Place-name variants: text normalisation, generated variants, and the admin-edited alias rules.

Generated variants are code (this module): short names (朝阳 = 朝阳区), suffix variants of streets and
townships (街道 / 地区 / 乡 / 镇 / 地区办事处), committee names (…社区居委会 / …村委会 → …社区 / …村 → the
compound or village stem), and the compound base of numbered committees (蒲黄榆第一社区 → 蒲黄榆).
What cannot be generated lives in ``routing_rules/aliases/*.yml`` (former names, misspellings,
landmarks, compounds, roads and areas); see the header of those files for the format.

Text and names go through the same ``normalise`` (traditional → simplified by OpenCC's character
table, full-width → half-width, whitespace removed), so a match is a plain dictionary lookup.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

# Levels of the division tree.
PROVINCE, CITY, DISTRICT, STREET, VILLAGE = 1, 2, 3, 4, 5
LEVEL_NAMES = {
    PROVINCE: "province",
    CITY: "city",
    DISTRICT: "district",
    STREET: "street",
    VILLAGE: "community",
}

# Kinds of a variant (how the text names the unit); the resolver weighs them.
FULL = 0  # the official name (望京街道, 花家地西里社区居委会)
CANON = 1  # official suffix normalised (花家地西里社区, 马庄村) or another official suffix (十八里店乡)
STEM = 2  # the name without its suffix (望京, 花家地西里, 朝阳)
BASE = 3  # the compound a numbered / oriented committee belongs to (蒲黄榆第一社区 → 蒲黄榆)
FORMER = 4  # a former official name (alias rules)
MISSPELLING = 5  # a common misspelling (alias rules)
LANDMARK = 6  # a landmark, compound or road inside one unit (alias rules)
AREA = 7  # a name spanning several units: always ambiguous (alias rules)
KIND_NAMES = {
    FULL: "official",
    CANON: "official",
    STEM: "short",
    BASE: "compound",
    FORMER: "former",
    MISSPELLING: "misspelling",
    LANDMARK: "landmark",
    AREA: "area",
}

_PROVINCE_SUFFIXES = (
    "维吾尔自治区",
    "壮族自治区",
    "回族自治区",
    "特别行政区",
    "自治区",
    "省",
    "市",
)
_CITY_SUFFIXES = ("自治州", "地区", "市", "盟")
_DISTRICT_SUFFIXES = ("自治县", "新区", "区", "县", "市", "旗")
_STREET_SUFFIXES = (
    "街道办事处",
    "地区办事处",
    "街道",
    "地区",
    "民族乡",
    "镇",
    "乡",
)
_STREET_FORMS = ("街道", "地区", "地区办事处", "街道办事处", "乡", "镇")
_COMMITTEE_SUFFIXES = (
    ("社区居民委员会", "社区"),
    ("社区居委会", "社区"),
    ("居民委员会", "社区"),
    ("村民委员会", "村"),
    ("村委会", "村"),
    ("居委会", "社区"),
    ("委员会", ""),
    ("社区", "社区"),
)
# The 56 ethnic groups' names, for 自治州 / 自治县 / 民族乡 names (延边朝鲜族自治州 → 延边).
_ETHNIC_GROUPS = sorted(
    [
        "汉",
        "蒙古",
        "回",
        "藏",
        "维吾尔",
        "苗",
        "彝",
        "壮",
        "布依",
        "朝鲜",
        "满",
        "侗",
        "瑶",
        "白",
        "土家",
        "哈尼",
        "哈萨克",
        "傣",
        "黎",
        "傈僳",
        "佤",
        "畲",
        "高山",
        "拉祜",
        "水",
        "东乡",
        "纳西",
        "景颇",
        "柯尔克孜",
        "土",
        "达斡尔",
        "仫佬",
        "羌",
        "布朗",
        "撒拉",
        "毛南",
        "仡佬",
        "锡伯",
        "阿昌",
        "普米",
        "塔吉克",
        "怒",
        "乌孜别克",
        "俄罗斯",
        "鄂温克",
        "德昂",
        "保安",
        "裕固",
        "京",
        "塔塔尔",
        "独龙",
        "鄂伦春",
        "赫哲",
        "门巴",
        "珞巴",
        "基诺",
        "各",
    ],
    key=len,
    reverse=True,
)
# 蒲黄榆第一 / 和义西里第二 / 模式口西里南区 / 安慧里北 → the compound they belong to.
_NUMBERED = re.compile(r"(?:第?[一二三四五六七八九十]+|[东西南北中]|[一二三四五六七八九十东西南北中]区)$")

_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}


class AliasError(ValueError):
    """An alias rule file is malformed or names a unit the gazetteer does not have."""


@functools.lru_cache(maxsize=1)
def _table() -> dict[int, int]:
    """Traditional → simplified, character by character (OpenCC's TSCharacters), plus full-width."""
    import opencc

    table: dict[int, int] = dict(_FULL_WIDTH)
    path = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            source, _, targets = line.rstrip("\n").partition("\t")
            target = targets.split(" ")[0]
            if len(source) == 1 and len(target) == 1 and source != target:
                table[ord(source)] = ord(target)
    for space in (" ", "\t", "\n", "\r", "\u3000", "\xa0"):
        table[ord(space)] = ord("，")  # a separator: no name spans it, and positions are kept
    return table


def normalise(text: str) -> str:
    """Simplified characters, half-width ASCII, whitespace as '，'; one character for one character."""
    return text.translate(_table())


def strip_suffix(name: str, suffixes: tuple[str, ...]) -> str:
    for suffix in suffixes:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def _without_ethnic(stem: str) -> str:
    """延边朝鲜族 → 延边, 檀营满族蒙古族 → 檀营; a stem of two characters at least is kept."""
    while stem.endswith("族"):
        group = next((g for g in _ETHNIC_GROUPS if stem[:-1].endswith(g)), None)
        if group is None or len(stem) - 1 - len(group) < 2:
            break
        stem = stem[: -1 - len(group)]
    return stem


def committee_forms(name: str) -> tuple[str, str]:
    """(canonical, stem) of a community / village committee name: 马庄村委会 → (马庄村, 马庄)."""
    for suffix, tail in _COMMITTEE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            stem = name[: -len(suffix)]
            if tail == "村" and stem.endswith("村"):  # 葆台村村委会 → 葆台村
                return stem, stem[:-1] if len(stem) > 2 else stem
            return stem + tail, stem
    if name.endswith("村") and len(name) > 2:
        return name, name[:-1]
    return name, name


def compound_base(stem: str) -> str | None:
    """The compound a numbered or oriented committee belongs to, or None (too short or not numbered)."""
    base = _NUMBERED.sub("", stem)
    if base != stem and len(base) >= 3:
        return base
    return None


def generated_variants(
    level: int, name: str, in_city: bool, *, normalised: bool = False
) -> list[tuple[str, int]]:
    """Variant strings of one unit and their kinds. Outside the deployment city only safe forms."""
    if not normalised:
        name = normalise(name)
    out: list[tuple[str, int]] = [(name, FULL)]
    if level == PROVINCE:
        stem = _without_ethnic(strip_suffix(name, _PROVINCE_SUFFIXES))
        if len(stem) >= 2 and stem != name:
            out.append((stem, STEM))
    elif level == CITY:
        stem = _without_ethnic(strip_suffix(name, _CITY_SUFFIXES))
        if len(stem) >= 2 and stem != name:
            out.append((stem, STEM))
    elif level == DISTRICT:
        stem = _without_ethnic(strip_suffix(name, _DISTRICT_SUFFIXES))
        if in_city and len(stem) >= 2 and stem != name:
            out.append((stem, STEM))
            for suffix in ("区", "县"):  # 密云县 (renamed 密云区 in 2015), 朝阳区
                if stem + suffix != name:
                    out.append((stem + suffix, CANON))
        elif len(stem) >= 3 and stem != name and name.endswith(("市", "县")):
            out.append((stem, STEM))
    elif level == STREET:
        stem = strip_suffix(name, _STREET_SUFFIXES)
        stem = _without_ethnic(stem) if name.endswith("族乡") else stem
        if stem != name and len(stem) >= 2:
            for form in _STREET_FORMS:
                if stem + form != name:
                    out.append((stem + form, CANON))
            out.append((stem, STEM))  # elsewhere it only counts under a named city or district (燕郊)
    elif level == VILLAGE:
        canonical, stem = committee_forms(name)
        if canonical != name:
            out.append((canonical, CANON))
        if in_city:
            if stem != canonical and len(stem) >= 2:
                out.append((stem, STEM))
                if canonical.endswith("社区"):
                    out.append((stem + "小区", CANON))
                    out.append((stem + "居委会", CANON))
                else:
                    out.append((stem + "村委会", CANON))
            base = compound_base(stem)
            if base is not None:
                out.append((base, BASE))
    seen: set[str] = set()
    unique = []
    for variant, kind in out:
        if variant not in seen:
            seen.add(variant)
            unique.append((variant, kind))
    return unique


@dataclass(frozen=True)
class AliasRule:
    """One alias: ``name`` is another way of writing the units at ``targets`` (paths like 朝阳区/望京街道)."""

    name: str
    kind: int
    targets: tuple[str, ...]
    source: str


_SECTIONS = {"former_names": FORMER, "misspellings": MISSPELLING, "landmarks": LANDMARK, "areas": AREA}


def load_alias_rules(rules_dir: Path) -> list[AliasRule]:
    """All rules from ``rules_dir/aliases/*.yml``; raises AliasError on a malformed file."""
    folder = rules_dir / "aliases"
    rules: list[AliasRule] = []
    if not folder.is_dir():
        return rules
    for path in sorted(folder.glob("*.yml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise AliasError(f"{path}: not valid YAML: {exc}") from exc
        if not isinstance(data, dict):
            raise AliasError(f"{path}: expected a mapping of sections {sorted(_SECTIONS)}")
        for section, entries in data.items():
            if section not in _SECTIONS:
                raise AliasError(f"{path}: unknown section {section!r}; expected one of {sorted(_SECTIONS)}")
            for number, entry in enumerate(entries or [], start=1):
                where = f"{path.name}: {section} #{number}"
                if not isinstance(entry, dict) or "name" not in entry or "to" not in entry:
                    raise AliasError(f"{where}: each entry needs 'name' and 'to'")
                targets = entry["to"] if isinstance(entry["to"], list) else [entry["to"]]
                name = normalise(str(entry["name"]))
                if len(name) < 2 or not targets or not all(isinstance(t, str) and t for t in targets):
                    raise AliasError(f"{where}: 'name' needs 2+ characters and 'to' one or more unit paths")
                kind = _SECTIONS[section]
                if kind != AREA and len(targets) > 1:
                    kind = AREA  # a name over several units is ambiguous whatever the section says
                rules.append(AliasRule(name, kind, tuple(normalise(t) for t in targets), where))
    return rules


def alias_files(rules_dir: Path) -> list[Path]:
    folder = rules_dir / "aliases"
    return sorted(folder.glob("*.yml")) if folder.is_dir() else []
