"""The router: (understanding, jurisdiction) → who handles the ticket, how, within what time, and why.

The order of the checks follows the mechanism (``domain.md``): an emergency is transferred to
110/119/120 before anything else; an address the resolver is sure lies in another city goes to
that city's 12345 (one it is not sure of counts as no address: refusing a ticket on a guess is the
costliest mistake); a legal
matter (litigation, arbitration, administrative review, discipline inspection, information
disclosure) gets no ticket but guidance to its channel; a consultation the item allows to be
answered is answered; everything else is dispatched to the units of the best duty catalogue item,
with the street, district and community filled in from the address. When the address does not
name the street (or the district) the ticket goes to the district's (or the city's) 12345 desk,
which dispatches it by hand, and the explanation says so. Every decision names its rule and the
rules version, including "no item found".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from dispatch.workcal import BEIJING, TIER_LABELS, TIER_WORKDAYS, TIERS, deadline_for
from routing.catalogue import (
    APPEAL_TYPES,
    LEGAL_CHANNELS,
    MODES,
    UNIT_KINDS,
    Catalogue,
    CatalogueError,
    DutyItem,
    Match,
    ProblemMatcher,
    normalize,
)

DEFAULT_CITY = "北京市"
EMERGENCY_UNITS = {"110": "110报警服务台", "119": "119火警台", "120": "120急救中心"}
EMERGENCY_WHAT = {"110": "公安报警", "119": "火警、燃气泄漏", "120": "医疗急救"}
# A best item under this score is not trusted: the ticket goes to a 12345 desk as "no item found".
MIN_ITEM_SCORE = 0.3
# An item's own emergency / legal flag counts only when its words (not the NLU leaf alone) found it,
# and not when every one of them follows a negation ("没有打架"), as the NLU's FlagDetector reads them.
FLAG_ITEM_SCORE = 0.5
NEGATIONS = ("没有", "没", "不是", "未", "并非", "不会", "无")
# A suggestion or a praise is neither an emergency in progress nor a legal dispute, whatever words it
# uses ("表扬司机，老人晕倒他马上打了120", "建议法院的诉讼服务热线多配几个人"): it is dispatched.
NO_FLAG_TYPES = ("建议", "表扬")
NEGATION_WINDOW = 3


@dataclass(frozen=True)
class TimeLimits:
    """``routing_rules/time_limits.yml``: default and emergency tiers, per appeal type and per item."""

    default_tier: str = "7d"
    emergency_tier: str = "2h"
    appeal_type_tiers: Mapping[str, str] | None = None
    overrides: Mapping[str, str] | None = None

    @classmethod
    def load(cls, path: Path) -> TimeLimits:
        if not path.exists():
            return cls(appeal_type_tiers={}, overrides={})
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (UnicodeDecodeError, yaml.YAMLError) as exc:
            raise CatalogueError(f"{path.name}: 无法解析 (cannot parse): {exc}") from exc
        if not isinstance(doc, dict):
            raise CatalogueError(f"{path.name}: 应为映射 (expected a mapping)")

        def tier(value: Any, where: str) -> str:
            if value not in TIERS:
                raise CatalogueError(
                    f"{path.name}: {where} 的时限 {value!r} 未知 (unknown tier); 可选: {', '.join(TIERS)}"
                )
            return str(value)

        def table(key: str, keys: tuple[str, ...] | None) -> dict[str, str]:
            raw = doc.get(key) or {}
            if not isinstance(raw, dict):
                raise CatalogueError(f"{path.name}: {key} 应为映射 (must be a mapping)")
            out: dict[str, str] = {}
            for name, value in raw.items():
                if keys is not None and name not in keys:
                    raise CatalogueError(f"{path.name}: {key} 中的 {name!r} 未知 (unknown)")
                out[str(name)] = tier(value, f"{key}.{name}")
            return out

        return cls(
            default_tier=tier(doc.get("default_tier", "7d"), "default_tier"),
            emergency_tier=tier(doc.get("emergency_tier", "2h"), "emergency_tier"),
            appeal_type_tiers=table("appeal_type_tiers", APPEAL_TYPES),
            overrides=table("overrides", None),
        )

    def for_item(self, item: DutyItem, appeal_type: str | None) -> tuple[str, str]:
        """(tier, why) for a dispatched item."""
        if self.overrides and item.id in self.overrides:
            return self.overrides[item.id], "时限表单项调整"
        if appeal_type and self.appeal_type_tiers and appeal_type in self.appeal_type_tiers:
            tier = self.appeal_type_tiers[appeal_type]
            if tier != item.tier:
                return tier, f"{appeal_type}类诉求按时限表办理"
        return item.tier, ""


@dataclass(frozen=True)
class Decision:
    """A routing decision; ``to_dict()`` is what a ticket stores and ``jiesu route`` prints."""

    units: tuple[str, ...]
    co_units: tuple[str, ...]
    mode: str
    tier: str
    deadline: datetime
    handling: str
    duty_item: DutyItem | None
    confidence: float
    explanation: str
    rule_id: str
    rules_version: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "units": list(self.units),
            "co_units": list(self.co_units),
            "mode": self.mode,
            "tier": self.tier,
            "deadline": self.deadline.astimezone(BEIJING).isoformat(),
            "handling": self.handling,
            "duty_item": self.duty_item.summary() if self.duty_item else None,
            "confidence": round(self.confidence, 4),
            "explanation": self.explanation,
            "rule_id": self.rule_id,
            "rules_version": self.rules_version,
        }


@dataclass(frozen=True)
class _Place:
    """The parts of a jurisdiction the unit templates need."""

    city: str
    district: str | None
    street: str | None
    community: str | None
    confidence: float
    sure: bool

    @classmethod
    def of(cls, jurisdiction: Mapping[str, Any] | None, default_city: str) -> _Place:
        if not jurisdiction:
            return cls(default_city, None, None, None, 0.0, False)

        def text(key: str) -> str | None:
            value = jurisdiction.get(key)
            return value.strip() if isinstance(value, str) and value.strip() else None

        try:
            confidence = min(max(float(jurisdiction.get("confidence") or 0.0), 0.0), 1.0)
        except (TypeError, ValueError):
            confidence = 0.0
        return cls(
            city=text("city") or default_city,
            district=text("district"),
            street=text("street"),
            community=text("community"),
            confidence=confidence,
            sure=bool(jurisdiction.get("sure")),
        )


class Router:
    """Decides per the catalogue; see the module docstring for the order of the checks."""

    def __init__(
        self, catalogue: Catalogue, time_limits: TimeLimits | None = None, *, city: str = DEFAULT_CITY
    ) -> None:
        self.catalogue = catalogue
        self.matcher = ProblemMatcher(catalogue)
        self.time_limits = time_limits or TimeLimits(appeal_type_tiers={}, overrides={})
        self.city = city

    @classmethod
    def load(cls, rules_dir: Path, *, city: str = DEFAULT_CITY) -> Router:
        return cls(Catalogue.load(rules_dir), TimeLimits.load(rules_dir / "time_limits.yml"), city=city)

    @property
    def rules_version(self) -> str:
        return self.catalogue.version

    # ------------------------------------------------------------------ the decision

    def decide(
        self, understanding: Mapping[str, Any], jurisdiction: Mapping[str, Any] | None, now: datetime
    ) -> Decision:
        if not isinstance(understanding, Mapping):
            raise TypeError(f"understanding must be a dict, not {type(understanding).__name__}")
        if jurisdiction is not None and not isinstance(jurisdiction, Mapping):
            raise TypeError(f"jurisdiction must be a dict or None, not {type(jurisdiction).__name__}")
        if not isinstance(now, datetime) or now.tzinfo is None:
            raise ValueError("now must be a timezone-aware datetime")
        text = understanding.get("text") or ""
        if not isinstance(text, str):
            raise TypeError(f"understanding['text'] must be a string, not {type(text).__name__}")
        appeal_type = understanding.get("appeal_type")
        appeal_type = appeal_type if appeal_type in APPEAL_TYPES else None
        category = understanding.get("category")
        if not isinstance(category, Mapping | str):
            category = None
        alternatives = [
            a for a in understanding.get("category_alternatives") or [] if isinstance(a, Mapping | str)
        ]
        matches = self.matcher.match(text, category, alternatives, appeal_type)
        best = matches[0] if matches and matches[0].score >= MIN_ITEM_SCORE else None
        place = _Place.of(jurisdiction, self.city)

        flags = appeal_type not in NO_FLAG_TYPES
        emergency = understanding.get("emergency") if flags else None
        if flags and emergency not in EMERGENCY_UNITS and best and best.item.emergency:
            emergency = best.item.emergency if _by_words(best, text, appeal_type) else None
        if emergency in EMERGENCY_UNITS:
            return self._emergency(str(emergency), best, now)
        out_of_city = (jurisdiction or {}).get("out_of_city")
        if out_of_city and place.sure:
            return self._out_of_city(out_of_city, best, now)
        if out_of_city:  # a place elsewhere, but not sure ("日照分析" is no city): no place known here
            place = _Place.of(None, self.city)
        legal = understanding.get("legal_channel") if flags else None
        if flags and legal not in LEGAL_CHANNELS and best and best.item.legal_channel:
            legal = best.item.legal_channel if _by_words(best, text, appeal_type) else None
        if legal in LEGAL_CHANNELS:
            return self._legal(str(legal), best, place, now)
        if best is None:
            return self._no_item(place, appeal_type, now)
        return self._dispatch(best, place, appeal_type, now)

    # ------------------------------------------------------------------ branches

    def _emergency(self, number: str, best: Match | None, now: datetime) -> Decision:
        tier = self.time_limits.emergency_tier
        item = best.item if best and best.item.emergency == number else None
        source = (
            f"依据职责目录 {item.id}（{item.name}，{self.rules_version}版）"
            if item
            else f"依据紧急情况转接规则 EMERGENCY-{number}（{self.rules_version}版）"
        )
        return Decision(
            units=(EMERGENCY_UNITS[number],),
            co_units=(),
            mode="direct",
            tier=tier,
            deadline=_deadline(tier, now),
            handling="transfer_emergency",
            duty_item=item,
            confidence=best.score if item and best else 0.9,
            explanation=(
                f"{source}：属紧急情况（{EMERGENCY_WHAT[number]}），不走派单流程，"
                f"请立即拨打{number}，由{EMERGENCY_UNITS[number]}处置"
            ),
            rule_id=item.id if item else f"EMERGENCY-{number}",
            rules_version=self.rules_version,
        )

    def _out_of_city(self, where: Any, best: Match | None, now: datetime) -> Decision:
        parts = [where.get(k) for k in ("province", "city", "district")] if isinstance(where, Mapping) else []
        named = "".join(dict.fromkeys(str(p) for p in parts if p)) or "外地"
        tier = self.time_limits.default_tier
        return Decision(
            units=(),
            co_units=(),
            mode="direct",
            tier=tier,
            deadline=_deadline(tier, now),
            handling="out_of_city",
            duty_item=best.item if best else None,
            confidence=0.9,
            explanation=(
                f"地址位于{named}，不属{self.city}管辖，不予派单；请拨打当地12345政务服务便民热线反映"
                f"（规则 OUT-OF-CITY，{self.rules_version}版）"
            ),
            rule_id="OUT-OF-CITY",
            rules_version=self.rules_version,
        )

    def _legal(self, channel: str, best: Match | None, place: _Place, now: datetime) -> Decision:
        item = best.item if best and best.item.legal_channel == channel else None
        units = self._fill(item.units, place)[0] if item else ()
        tier = item.tier if item else self.time_limits.default_tier
        source = (
            f"依据职责目录 {item.id}（{item.name}，{self.rules_version}版）"
            if item
            else f"依据法定途径引导规则 LEGAL-{channel}（{self.rules_version}版）"
        )
        where = f"，受理机关：{'、'.join(units)}" if units else ""
        return Decision(
            units=units,
            co_units=(),
            mode="direct",
            tier=tier,
            deadline=_deadline(tier, now),
            handling="guide_legal",
            duty_item=item,
            confidence=best.score if item and best else 0.8,
            explanation=(
                f"{source}：属{channel}事项，依法应通过{channel}途径解决，不予派单，引导市民按{channel}程序办理"
                f"{where}"
            ),
            rule_id=item.id if item else f"LEGAL-{channel}",
            rules_version=self.rules_version,
        )

    def _no_item(self, place: _Place, appeal_type: str | None, now: datetime) -> Decision:
        desk, why = self._desk(place)
        tier = self.time_limits.default_tier
        if appeal_type and self.time_limits.appeal_type_tiers:
            tier = self.time_limits.appeal_type_tiers.get(appeal_type, tier)
        return Decision(
            units=(desk,),
            co_units=(),
            mode="direct",
            tier=tier,
            deadline=_deadline(tier, now),
            handling="dispatch",
            duty_item=None,
            confidence=0.2,
            explanation=(
                f"职责目录（{self.rules_version}版）中未找到对应事项（规则 NO-ITEM），{why}"
                f"转{desk}人工派单，时限{TIER_LABELS[tier]}"
            ),
            rule_id="NO-ITEM",
            rules_version=self.rules_version,
        )

    def _dispatch(self, best: Match, place: _Place, appeal_type: str | None, now: datetime) -> Decision:
        item = best.item
        units, unit_note, place_factor, desk_used = self._fill(item.units, place)
        co_filled, _, _, co_desk = self._fill(item.co_units, place)
        desk = self._desk(place)[0]
        co_units = tuple(u for u in co_filled if u not in units and u != desk)
        if co_desk:  # a co-unit needs the place: the desk that dispatches by hand adds it
            unit_note = "；".join(n for n in [unit_note, f"协办单位待地址确定后由{desk}补派"] if n)
        mode = item.mode if co_units else "direct"
        answer = appeal_type == "咨询" and "咨询" in item.appeal_types
        tier, tier_note = self.time_limits.for_item(item, appeal_type)
        words = "、".join(f"“{w}”" for w in [*best.hits, *best.fuzzy][:3])
        reason = f"诉求涉及{words}" if words else f"诉求归入“{item.category.split('/')[-1]}”类"
        if answer and desk_used:
            action = f"属咨询事项，由12345热线依据知识库直接答复；需进一步答复的，{unit_note}"
            unit_note = ""
        elif answer:
            action = f"属咨询事项，由12345热线依据知识库直接答复；需进一步答复的由{'、'.join(units)}负责"
        elif desk_used:  # the note says which desk and why
            action = f"属{UNIT_KINDS[item.unit_kind]}职责；{unit_note}"
            unit_note = ""
        else:
            action = f"属{UNIT_KINDS[item.unit_kind]}职责，{MODES[mode]}{'、'.join(units)}"
        if co_units and not answer:
            action += f"，{'、'.join(co_units)}协同办理"
        explanation = (
            f"依据职责目录 {item.id}（{item.name}，{self.rules_version}版）：{reason}，{action}"
            f"{'；' + unit_note if unit_note else ''}，时限{TIER_LABELS[tier]}"
            f"{'（' + tier_note + '）' if tier_note else ''}"
        )
        confidence = best.score * place_factor
        if not best.keyword_evidence:
            confidence *= 0.8  # the NLU leaf alone chose among the leaf's items
        return Decision(
            units=units,
            co_units=co_units,
            mode=mode,
            tier=tier,
            deadline=_deadline(tier, now),
            handling="answer" if answer else "dispatch",
            duty_item=item,
            confidence=confidence,
            explanation=explanation,
            rule_id=item.id,
            rules_version=self.rules_version,
        )

    # ------------------------------------------------------------------ units

    def _desk(self, place: _Place) -> tuple[str, str]:
        """The 12345 desk that dispatches by hand, and why it was chosen."""
        if place.district:
            return f"{place.district}12345分中心", ""
        return f"{self.city}12345市民服务热线", "地址未能确定所属区，"

    def _fill(self, templates: tuple[str, ...], place: _Place) -> tuple[tuple[str, ...], str, float, bool]:
        """Units from templates; a note when a 12345 desk or a street stands in for an unknown place;
        how much the place's certainty weighs on the decision (1.0 when the units do not depend on
        it); whether a desk stands in."""
        units: list[str] = []
        notes: list[str] = []
        factor = 1.0
        desk_used = False
        for template in templates:
            needs_place = "{" in template
            if needs_place:
                certainty = 0.5 + 0.5 * place.confidence if place.sure else 0.3 + 0.4 * place.confidence
                factor = min(factor, certainty)
            unit = _render(template, place)
            if "{community}" in template and not place.community and place.street:
                notes.append("地址未能确定所属社区（村），由街道（乡镇）转派")
            if unit is None:
                desk, _ = self._desk(place)
                level = "街道（乡镇）" if place.district else "区"
                notes.append(f"地址未能确定所属{level}，先派{desk}，由其转派承办单位")
                unit = desk
                desk_used = True
                factor = min(factor, 0.5)
            if unit not in units:
                units.append(unit)
        return tuple(units), "；".join(dict.fromkeys(notes)), factor, desk_used


def _deadline(tier: str, now: datetime) -> datetime:
    """``deadline_for``; a working-day deadline depends only on the Beijing date, so it is cached."""
    if tier in TIER_WORKDAYS:
        return _workday_deadline(tier, now.astimezone(BEIJING).date())
    return deadline_for(tier, now)


@lru_cache(maxsize=256)
def _workday_deadline(tier: str, day: date) -> datetime:
    return deadline_for(tier, datetime.combine(day, time(12), BEIJING))


def _render(template: str, place: _Place) -> str | None:
    """A template with the place filled in; None when the place lacks a part it needs. A community
    template falls back to the street, which hands the ticket to its community."""
    unit = template
    if "{community}" in unit:
        if not place.street:
            return None
        local = _prefix(place, place.street) + (place.community or "")
        unit = unit.replace("{community}", local)
    if "{street}" in unit:
        if not place.street:
            return None
        unit = unit.replace("{street}", _prefix(place, place.street))
    if "{district}" in unit:
        if not place.district:
            return None
        unit = unit.replace("{district}", place.district)
    return unit


def _prefix(place: _Place, name: str) -> str:
    """A street or community named with its district ("朝阳区望京街道"): street names repeat across
    districts, and a unit name must be unambiguous."""
    if place.district and not name.startswith(place.district):
        return f"{place.district}{name}"
    return name


def _by_words(match: Match, text: str, appeal_type: str | None) -> bool:
    """Whether the item's own flag counts: its words (not negated) found it strongly enough, and the
    message is of a type the item is for ("天天有人打架" is a complaint, not a fight in progress)."""
    if not match.hits or match.score < FLAG_ITEM_SCORE:
        return False
    if appeal_type is not None and appeal_type not in match.item.appeal_types:
        return False
    norm = normalize(text).replace(" ", "")
    for word in match.hits:
        start = norm.find(word)
        while start >= 0:
            before = norm[max(0, start - NEGATION_WINDOW) : start]
            if not any(negation in before for negation in NEGATIONS):
                return True
            start = norm.find(word, start + 1)
    return False
