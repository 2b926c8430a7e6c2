"""Address resolver: free text → the best jurisdiction chain, a calibrated confidence, spans, alternatives.

How it works (all lookups in precomputed hash maps, no regex per call):

1. ``normalise`` the text (traditional → simplified, full-width → half-width; positions are kept).
2. Scan it: at each position whose two-character prefix starts some variant, look up every length
   down from the longest such variant. Each hit is a *mention* with postings (unit, kind of name).
   Mentions strictly inside a longer one are dropped (天通苑北街道 hides 天通苑). A short name directly
   followed by a road word (中关村大街, 回龙观东大街) names a road, not the unit, and weighs little.
3. Every mentioned unit is a *hypothesis*; its score is the sum of the weights of the mentions that
   name it or its ancestors (each mention and each level counted once); another city's units pay
   ``_FOREIGN``. A community therefore implies its street and district, and a district named in the
   text lifts the streets and communities under it above their namesakes elsewhere. Weights depend
   on the level, the kind of name (official, short, former, landmark, area …) and its context
   (followed by 路 / 大街: a road; by 附近: near it; a short name running on into more name: a part).
4. One typo is tolerated: after the best district / street (or inside a short name that runs on),
   the text is compared (rapidfuzz, Levenshtein ≤ 1) with the names under the district / street
   already found, never the whole city. A district name with one wrong character (海定区) likewise.
5. Confidence is a softmax over the best unit, the best unit of every other street, and a "nothing
   reliable" baseline (higher when only a district is named), so a lone short name, a road, or two
   tied units stay below ``SURE``: the bot asks. Tied units leave the chain at what they share
   (天通苑 → 昌平区) and are offered as ``alternatives``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from routing.aliases import (
    AREA,
    BASE,
    CANON,
    DISTRICT,
    FORMER,
    FULL,
    LANDMARK,
    MISSPELLING,
    PROVINCE,
    STEM,
    STREET,
    VILLAGE,
    AliasError,
    committee_forms,
    load_alias_rules,
    normalise,
    strip_suffix,
)
from routing.gazetteer import CITY_FILE, NATIONAL_FILE, Gazetteer

SURE = 0.75  # confidence from which the bot goes on without asking (street level, or out of city)
MAX_TEXT = 2000  # characters scanned; longer messages are cut (an address is never that far in)
_SHARPNESS = 2.0  # softmax temperature of the confidence
_BASELINE = 1.5  # score of "none of these": a lone two-character name does not make anyone sure
_BASELINE_BELOW = 0.8  # …and above what the district (city, province) named in the text already scores
_FOREIGN = 1.5  # another city's unit needs this much more evidence than the deployment city's
_COMMUNITY_SURE = 0.6  # below this the community is left out of the chain (the street stays)
_MIXED = 2.5  # a place in the city this close behind one elsewhere: the city first, and ask
_TIE = 0.25  # scores closer than this are a tie: the chain stops at what the tied units share
_MAX_ALTERNATIVES = 5
# After a short name these characters mean a road / bridge / ring named after the place.
_ROAD_WORDS = ("大街", "路", "街", "大道", "桥", "环", "高速", "公路", "胡同", "隧道", "站")
_ROAD_LEADS = ("东", "西", "南", "北", "中", "")
_ROADS = tuple(lead + word for lead in _ROAD_LEADS for word in _ROAD_WORDS)
_BEFORE_DISTRICT = set("在住是于到去从市京省,，。.:：;；!！ 、（(")
_ROAD_STEMS = ("路", "街", "大街", "大道")
_NEAR = ("附近", "周边", "周围", "一带", "左右")
_GENERIC = set("东西南北中上下前后内外一二三四五六七八九十第新老大小")
_GENERIC_ENDS = set("区村队组排片")
# Where the name of a compound ends and the house number begins.
_TAIL_STOPS = set("0123456789号楼栋单元室层幢院门座,，。.;；:：!！?？、()（）[]【】\"'“”")
_DISTRICT_ENDS = {"区", "县"}
_PUNCTUATION = set(",，。.;；:：!！?？、()（）[]【】\"'“”")
# After a community's short name: the name is complete (花家地西里小区), no typo hunt.
_NAME_TAILS = ("小区", "社区", "村", "家园", "居委", "号", "楼", "附近", "东门", "西门", "南门", "北门")


@dataclass
class Resolution:
    """The jurisdiction of a text. Levels not determined are None. ``confidence`` is the probability
    that the chain is right at its deepest level (street level when a street is given);
    ``sure`` = the bot may go on without asking: a street in the deployment city (or another
    city, ``out_of_city``) with confidence >= ``SURE``."""

    province: str | None = None
    city: str | None = None
    district: str | None = None
    district_code: str | None = None
    street: str | None = None
    street_code: str | None = None
    community: str | None = None
    community_code: str | None = None
    confidence: float = 0.0
    sure: bool = False
    alternatives: list[dict[str, Any]] = field(default_factory=list)
    spans: list[dict[str, Any]] = field(default_factory=list)
    out_of_city: dict[str, str | None] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "province": self.province,
            "city": self.city,
            "district": self.district,
            "district_code": self.district_code,
            "street": self.street,
            "street_code": self.street_code,
            "community": self.community,
            "community_code": self.community_code,
            "confidence": self.confidence,
            "sure": self.sure,
            "alternatives": [dict(alt) for alt in self.alternatives],
            "spans": [dict(span) for span in self.spans],
            "out_of_city": dict(self.out_of_city) if self.out_of_city is not None else None,
        }

    def describe(self) -> str:
        """One line of readable Chinese: 北京市 朝阳区 望京街道 花家地西里社区."""
        parts = [self.province, self.city if self.city != self.province else None, self.district, self.street]
        parts.append(self.community)
        return " ".join(part for part in parts if part) or "未识别"


@dataclass
class _Mention:
    start: int
    end: int
    postings: tuple[int, ...]
    road: bool = False
    near: bool = False  # followed by 附近 / 周边 …: somewhere around the place, not necessarily in it
    generic: bool = False  # made of direction / number characters only (东三区, 北一村)
    names_street: bool = False  # the same text is also a street's short name
    partial: bool = False  # a short community name followed by more of a name we could not read
    road_word: bool = False  # the rest of a road's name after a place name (回龙观|西大街)
    framed: bool = False  # right after another place name and followed by a house number / 小区 / the end


class AddressResolver:
    """Resolves free text against one gazetteer (city + country to street, or national to village)."""

    def __init__(self, gazetteer: Gazetteer, rules_dir: Path | None = None) -> None:
        self.gazetteer = gazetteer
        self._fuzzy_cache: dict[int, dict[int, list[tuple[str, int]]]] = {}
        self._districts = [
            (name, node)
            for node, name in enumerate(gazetteer.names)
            if gazetteer.levels[node] == DISTRICT and gazetteer.in_city[node]
        ]
        # Children of the deployment city's units (the typo search walks them).
        self._children: dict[int, list[int]] = {}
        for node, parent in enumerate(gazetteer.parents):
            if parent >= 0 and gazetteer.in_city[node]:
                self._children.setdefault(parent, []).append(node)
        if rules_dir is not None:
            self._apply_aliases(rules_dir)

    @classmethod
    def load(cls, gazetteer_dir: Path, rules_dir: Path, *, national: bool = False) -> AddressResolver:
        """Raises OSError when the gazetteer is not built (``jiesu build``)."""
        path = gazetteer_dir / (NATIONAL_FILE if national else CITY_FILE)
        if not path.exists():
            raise FileNotFoundError(
                f"{path} is missing: run `jiesu gazetteer build{' --national' if national else ''}`"
            )
        return cls(Gazetteer.load(path), rules_dir)

    # -- alias rules -------------------------------------------------------------------------------
    def _apply_aliases(self, rules_dir: Path) -> None:
        gazetteer = self.gazetteer
        grouped: dict[str, list[int]] = {}
        for rule in load_alias_rules(rules_dir):
            for target in rule.targets:
                node = gazetteer.find_path(target)
                if node is None:
                    raise AliasError(f"{rule.source}: {target!r} is not one unit of {gazetteer.city_name}")
                grouped.setdefault(rule.name, []).append(node << 3 | rule.kind)
        for name, postings in grouped.items():
            kept = tuple(p for p in gazetteer.postings(name) if (p & 7) not in (STEM, BASE))
            gazetteer.replace(name, kept + tuple(postings))

    # -- scanning ------------------------------------------------------------------------------------
    def _scan(self, text: str) -> list[_Mention]:
        index = self.gazetteer.index
        first2 = self.gazetteer.first2
        size = len(text)
        found: list[_Mention] = []
        for start in range(size - 1):
            longest = first2.get(text[start : start + 2])
            if longest is None:
                continue
            for length in range(min(longest, size - start), 1, -1):
                value = index.get(text[start : start + length])
                if value is not None:
                    postings = (value,) if value >= 0 else self.gazetteer.multi[-value - 1]
                    found.append(_Mention(start, start + length, postings))
        if len(found) > 1:
            found = _drop_contained(found)
        levels, in_city = self.gazetteer.levels, self.gazetteer.in_city
        for mention in found:
            if text.startswith(_ROADS, mention.end) and not text.startswith(("街道", "路街道"), mention.end):
                mention.road = True
            mention.near = text.startswith(_NEAR, mention.end)
            mention.generic = text[mention.end - 1] in _GENERIC_ENDS and all(
                char in _GENERIC for char in text[mention.start : mention.end - 1]
            )
            mention.names_street = any(
                levels[p >> 3] == STREET and (p & 7) == STEM and in_city[p >> 3] for p in mention.postings
            )
        ends = {mention.end for mention in found}
        road_ends = {mention.end for mention in found if mention.road}
        for mention in found:
            if mention.start in road_ends and text.startswith(_ROADS, mention.start):
                mention.road_word = True  # 西大街 in 回龙观西大街 is the road's name, not a community
                continue
            mention.framed = mention.start in ends and (
                mention.end == len(text)
                or text[mention.end] in _TAIL_STOPS
                or text.startswith(_NAME_TAILS, mention.end)
            )
        return found

    def _weight(self, posting: int, mention: _Mention) -> float:
        """How much a mention says for one unit: by level, kind of name, length and context."""
        node, kind = posting >> 3, posting & 7
        gazetteer = self.gazetteer
        level = gazetteer.levels[node]
        length = mention.end - mention.start
        if level <= 2 and gazetteer.in_city[node]:
            return 0.3  # 北京 says nothing about the street; it only outweighs namesakes elsewhere
        if kind == AREA:
            weight = 1.5 * (0.8 if mention.road else 1.0)
        elif kind in (FULL, CANON, FORMER, LANDMARK, MISSPELLING):
            weight = (0.0, 2.0, 2.5, 2.5, 2.5, 2.5)[level]
            if level == VILLAGE and length <= 3:
                weight = 2.0
            if kind == MISSPELLING:
                weight *= 0.9
        elif kind == STEM:
            if level == STREET:
                name = gazetteer.names[node]
                weight = 2.0 if length >= 3 else 1.6
                if name.endswith("地区"):  # a former township: its name covers a wider area than its office
                    weight = 1.2
                if length >= 3 and name[:length].endswith(_ROAD_STEMS):
                    weight *= 0.5  # 学院路 is the road as much as the street
            elif level == VILLAGE:
                weight = 2.2 if length >= 4 else 1.5 if length == 3 else 0.8
                if mention.framed and length <= 3:  # 西城区德宝21号楼: framed like an address, not a word
                    weight += 0.6
            else:
                weight = (0.0, 1.5, 2.0, 2.0)[level]
        elif kind == BASE:
            weight = 1.6 if length >= 4 else 1.0
        else:
            weight = 1.0
        if level == VILLAGE and kind in (STEM, BASE):
            if mention.generic:
                weight = min(weight, 0.5)
            if mention.names_street:
                weight *= 0.5  # 清河 is first the street, then the villages named after it
        if mention.road and kind in (STEM, BASE):
            weight *= 0.6 if level <= DISTRICT else 0.35
        if mention.road_word and level >= STREET:
            weight *= 0.3
        if mention.near and level >= STREET:
            weight *= 0.4
        if mention.partial:
            weight *= 0.4
        if not gazetteer.in_city[node] and level >= STREET and kind != FULL:
            weight *= 0.5 if kind == STEM else 0.8  # elsewhere short names collide with ours
        return weight

    # -- scoring -------------------------------------------------------------------------------------
    def _evidence(self, mentions: list[_Mention]) -> dict[int, list[tuple[float, int]]]:
        evidence: dict[int, list[tuple[float, int]]] = {}
        for number, mention in enumerate(mentions):
            for posting in mention.postings:
                evidence.setdefault(posting >> 3, []).append((self._weight(posting, mention), number))
        return evidence

    def _score(
        self, node: int, evidence: dict[int, list[tuple[float, int]]]
    ) -> tuple[float, list[int], bool]:
        """Score of the chain ending at ``node``; the mentions used; whether ``node`` itself got one."""
        gazetteer = self.gazetteer
        triples: list[tuple[float, int, int]] = []
        current = node
        while current >= 0:
            for weight, number in evidence.get(current, ()):
                triples.append((weight, number, current))
            current = gazetteer.parents[current]
        triples.sort(reverse=True)
        used_mentions: list[int] = []
        used_nodes: set[int] = set()
        total = 0.0 if gazetteer.in_city[node] else -_FOREIGN
        for weight, number, unit in triples:
            if number in used_mentions or unit in used_nodes:
                continue
            used_mentions.append(number)
            used_nodes.add(unit)
            total += weight
        return total, used_mentions, node in used_nodes

    def _rank(self, mentions: list[_Mention]) -> list[tuple[float, int, list[int]]]:
        gazetteer = self.gazetteer
        evidence = self._evidence(mentions)
        ranked: list[tuple[float, int, list[int]]] = []
        for node in evidence:
            score, used, used_self = self._score(node, evidence)
            if used_self is False:
                continue  # its only mention went to an ancestor: the ancestor stands for it
            if not gazetteer.in_city[node] and not self._has_high_evidence(node, evidence):
                continue  # another city's street or village alone is a coincidence of names
            ranked.append((score, node, used))
        ranked.sort(key=lambda item: (-item[0], -gazetteer.levels[item[1]]))
        return ranked

    def _has_high_evidence(self, node: int, evidence: dict[int, list[tuple[float, int]]]) -> bool:
        current = self.gazetteer.parents[node] if self.gazetteer.levels[node] > DISTRICT else node
        while current >= 0:
            if current in evidence and self.gazetteer.levels[current] <= DISTRICT:
                return True
            current = self.gazetteer.parents[current]
        return False

    # -- typo tolerance ------------------------------------------------------------------------------
    def _fuzzy_district(self, text: str, mentions: list[_Mention]) -> _Mention | None:
        covered = {position for mention in mentions for position in range(mention.start, mention.end)}
        hits: set[tuple[int, int, int]] = set()
        for end, char in enumerate(text, start=1):
            if char not in _DISTRICT_ENDS:
                continue
            for length in (3, 4):
                start = end - length
                if start < 0 or start in covered:
                    continue
                if start > 0 and text[start - 1] not in _BEFORE_DISTRICT:
                    continue  # a district name starts the address (or follows 北京市, 在, 住 …)
                window = text[start:end]
                for name, node in self._districts:
                    if len(name) == length and Levenshtein.distance(window, name, score_cutoff=1) == 1:
                        hits.add((start, end, node))
        nodes = {node for _, _, node in hits}
        if len(nodes) != 1:
            return None
        start, end, node = min(hits)
        return _Mention(start, end, (node << 3 | MISSPELLING,))

    def _names_under(self, node: int) -> dict[int, list[tuple[str, int]]]:
        """Short names of the streets and committees under ``node``, grouped by length (>= 4)."""
        cached = self._fuzzy_cache.get(node)
        if cached is not None:
            return cached
        gazetteer = self.gazetteer
        groups: dict[int, list[tuple[str, int]]] = {}
        frontier = [node]
        while frontier:
            for child in self._children.get(frontier.pop(), ()):
                level = gazetteer.levels[child]
                name = gazetteer.names[child]
                if level == STREET:
                    stem = strip_suffix(name, ("街道", "地区", "镇", "乡"))
                    frontier.append(child)
                else:
                    stem = committee_forms(name)[1]
                if len(stem) >= 4:
                    groups.setdefault(len(stem), []).append((stem, child))
        self._fuzzy_cache[node] = groups
        return groups

    def _fuzzy_below(self, text: str, node: int, start: int) -> _Mention | None:
        """A name under ``node`` within one edit of the text at ``start``, when exactly one fits best."""
        while start < len(text) and text[start] in _TAIL_STOPS:
            start += 1
        end = start
        while end < len(text) and text[end] not in _PUNCTUATION and end - start < 20:
            end += 1
        residual = text[start:end]
        if len(residual) < 4:
            return None
        hits: dict[int, int] = {}
        for length, group in self._names_under(node).items():
            if length - 1 > len(residual):
                continue
            choices = [stem for stem, _ in group]
            for span in (length - 1, length, length + 1):
                if span > len(residual):
                    continue
                found = process.extract(
                    residual[:span], choices, scorer=Levenshtein.distance, score_cutoff=1, limit=4
                )
                for _, distance, position in found:
                    if distance <= 1:
                        unit = group[position][1]
                        hits[unit] = max(hits.get(unit, 0), span)
        if not hits:
            return None
        longest = max(hits.values())
        units = [unit for unit, span in hits.items() if span == longest]
        parents = {self.gazetteer.parents[unit] for unit in units}
        if len(units) > 1 and (len(parents) > 1 or any(self.gazetteer.levels[u] != VILLAGE for u in units)):
            return None  # one edit away from names under different streets: no guess
        return _Mention(start, start + longest, tuple(unit << 3 | MISSPELLING for unit in units))

    # -- the answer ----------------------------------------------------------------------------------
    def resolve(self, text: str) -> Resolution:
        if not isinstance(text, str):
            raise TypeError(f"resolve() needs text (str), got {type(text).__name__}")
        clean = normalise(text[:MAX_TEXT])
        mentions = self._scan(clean)
        gazetteer = self.gazetteer
        if not any(
            gazetteer.levels[p >> 3] == DISTRICT and gazetteer.in_city[p >> 3]
            for mention in mentions
            for p in mention.postings
        ):
            district = self._fuzzy_district(clean, mentions)
            if district is not None:
                mentions.append(district)
        ranked = self._rank(mentions)
        if ranked and not self._tied(ranked):
            _, best, used = ranked[0]
            anchor = self._anchor(best, used, mentions, clean)
            if anchor is not None:
                under, start, partial = anchor
                extra = self._fuzzy_below(clean, under, start)
                if extra is not None:
                    mentions = [m for m in mentions if m.end <= extra.start or m.start >= extra.end]
                    mentions.append(extra)
                    ranked = self._rank(mentions)
                elif partial is not None and gazetteer.levels[best] == VILLAGE:
                    partial.partial = True
                    ranked = self._rank(mentions)
        return self._answer(ranked, mentions, text)

    def _tied(self, ranked: list[tuple[float, int, list[int]]]) -> bool:
        best_score, best, _ = ranked[0]
        chain = set(self.gazetteer.chain(best))
        return any(score >= best_score - _TIE and node not in chain for score, node, _ in ranked[1:])

    def _anchor(
        self, best: int, used: list[int], mentions: list[_Mention], clean: str
    ) -> tuple[int, int, _Mention | None] | None:
        """Where to look for a misspelt name: (unit to search under, text position, the mention that
        may be only the first part of a longer, misspelt name)."""
        gazetteer = self.gazetteer
        if not gazetteer.in_city[best]:
            return None
        chain = gazetteer.chain(best)
        credit: dict[int, _Mention] = {}  # chain unit → the mention credited to it
        for number in used:
            mention = mentions[number]
            units = [p >> 3 for p in mention.postings if (p >> 3) in chain]
            if units:
                credit[max(units, key=lambda unit: gazetteer.levels[unit])] = mention
        own = credit.get(best)
        if own is None:
            return None
        level = gazetteer.levels[best]
        anchors = [unit for unit in chain[:-1] if unit in credit and gazetteer.levels[unit] >= DISTRICT]
        if self._continues(own, mentions, clean):
            if level == VILLAGE and own.end - own.start > 3:
                return None
            if anchors:
                return anchors[-1], own.start, own
            return (best, own.end, None) if level < VILLAGE else None
        if level in (DISTRICT, STREET):
            return best, own.end, None
        return None

    @staticmethod
    def _continues(mention: _Mention, mentions: list[_Mention], clean: str) -> bool:
        """Whether more name follows a short name (八里庄鑫里东 after 八里庄): maybe a misspelt longer one."""
        if mention.road or mention.near or any(other.start <= mention.end < other.end for other in mentions):
            return False
        following = clean[mention.end : mention.end + 2]
        return (
            len(following) == 2
            and following[0] not in _TAIL_STOPS
            and not following.startswith(_NAME_TAILS)
            and all("\u4e00" <= char <= "\u9fff" for char in following)
        )

    def _answer(
        self, ranked: list[tuple[float, int, list[int]]], mentions: list[_Mention], text: str
    ) -> Resolution:
        gazetteer = self.gazetteer
        if not ranked:
            return Resolution()
        best_score, best, used = ranked[0]
        # A place here and a place elsewhere both well named (老家河北省廊坊市三河市, 在朝阳区望京街道上班):
        # the hotline's own city comes first, and the bot asks.
        mixed = False
        if not gazetteer.in_city[best]:
            for score, node, node_used in ranked[1:]:
                if score < best_score - _MIXED:
                    break
                if gazetteer.in_city[node] and gazetteer.levels[node] >= DISTRICT:
                    best_score, best, used, mixed = score, node, node_used, True
                    break
        best_chain = gazetteer.chain(best)
        best_key = self._street_key(best_chain)
        # Competitors: the best unit of every other street (or district, city …) the text could mean.
        competitors: dict[int, tuple[float, int]] = {}
        siblings: list[float] = []  # other communities of the same street
        for score, node, _ in ranked:
            if node in best_chain:
                continue
            chain = gazetteer.chain(node)
            if best in chain:
                continue
            key = self._street_key(chain)
            if key == best_key:
                siblings.append(score)
            elif key not in competitors:
                competitors[key] = (score, node)
        rivals = sorted(competitors.values(), reverse=True)
        tied = [node for score, node in rivals if score >= best_score - _TIE]
        chain = best_chain
        for other in tied:
            chain = _common_prefix(chain, gazetteer.chain(other))
        if not chain:  # tied places in different provinces: nothing is shared, the citizen decides
            chain, tied, mixed = best_chain, [], True
        exp_best = math.exp(_SHARPNESS * best_score)
        exp_rivals = [math.exp(_SHARPNESS * score) for score, _ in rivals]
        baseline = _BASELINE
        if gazetteer.in_city[best] and gazetteer.levels[best] >= STREET:
            baseline = max(_BASELINE, self._ancestor_score(best, used, mentions) + _BASELINE_BELOW)
        total = exp_best + sum(exp_rivals) + math.exp(_SHARPNESS * baseline)
        probabilities = [exp_best / total] + [value / total for value in exp_rivals]
        confidence = probabilities[0] + sum(
            p for p, (_, node) in zip(probabilities[1:], rivals, strict=True) if node in tied
        )
        if gazetteer.levels[chain[-1]] == VILLAGE and any(mentions[n].partial for n in used):
            chain = chain[:-1]
        if gazetteer.levels[chain[-1]] == VILLAGE:
            own = sum(
                math.exp(_SHARPNESS * (score - best_score)) for score in siblings if score > best_score - 3
            )
            if 1.0 / (1.0 + own) < _COMMUNITY_SURE:
                chain = chain[:-1]  # the street is clear, the community is not: leave it to the citizen
        resolution = self._fill(chain)
        resolution.confidence = round(min(confidence, 0.999), 3)
        deepest = gazetteer.levels[chain[-1]]
        in_city = bool(gazetteer.in_city[chain[-1]])
        if in_city:
            resolution.sure = deepest >= STREET and resolution.confidence >= SURE and not mixed
        else:
            resolution.sure = resolution.confidence >= SURE and not mixed
            resolution.out_of_city = {
                "province": resolution.province,
                "city": resolution.city,
                "district": resolution.district,
            }
        floor = 0.05 if resolution.sure else 0.02
        options = [(probabilities[0], best)] + [
            (p, node)
            for p, (_, node) in zip(probabilities[1:], rivals, strict=True)
            if p >= floor and (gazetteer.in_city[node] or not in_city or node in tied or mixed)
        ]
        if len(options) > 1:
            options.sort(key=lambda item: -item[0])
            for probability, node in options[:_MAX_ALTERNATIVES]:
                alternative = self._fill(gazetteer.chain(node)).to_dict()
                for drop in ("alternatives", "spans", "out_of_city", "sure"):
                    alternative.pop(drop)
                alternative["confidence"] = round(probability, 3)
                resolution.alternatives.append(alternative)
        for number in sorted(set(used), key=lambda n: mentions[n].start):
            mention = mentions[number]
            levels = [gazetteer.levels[p >> 3] for p in mention.postings if (p >> 3) in best_chain]
            resolution.spans.append(
                {
                    "text": text[mention.start : mention.end],
                    "start": mention.start,
                    "end": mention.end,
                    "level": _LEVEL_KEYS[max(levels)] if levels else "street",
                }
            )
        return resolution

    def _ancestor_score(self, best: int, used: list[int], mentions: list[_Mention]) -> float:
        """What the mentions above street level (district, city, province) add to the best chain."""
        chain = set(self.gazetteer.chain(best))
        total = 0.0
        for number in used:
            mention = mentions[number]
            weights = [
                self._weight(p, mention)
                for p in mention.postings
                if (p >> 3) in chain and self.gazetteer.levels[p >> 3] <= DISTRICT
            ]
            if weights and all(
                self.gazetteer.levels[p >> 3] <= DISTRICT for p in mention.postings if (p >> 3) in chain
            ):
                total += max(weights)
        return total

    def _street_key(self, chain: list[int]) -> int:
        """Candidates compete by street: the street of the chain, or its deepest unit above streets."""
        for node in chain:
            if self.gazetteer.levels[node] == STREET:
                return node
        return chain[-1]

    def _municipal(self, chain: list[int]) -> bool:
        return len(chain) > 1 and self.gazetteer.levels[chain[1]] == DISTRICT

    def _fill(self, chain: list[int]) -> Resolution:
        gazetteer = self.gazetteer
        resolution = Resolution()
        for node in chain:
            level = gazetteer.levels[node]
            name, code = gazetteer.names[node], gazetteer.code(node)
            if level == PROVINCE:
                resolution.province = name
                if self._municipal(chain) or (len(chain) == 1 and name.endswith("市")):
                    resolution.city = name
            elif level == 2:
                resolution.city = name
            elif level == DISTRICT:
                resolution.district, resolution.district_code = name, code
            elif level == STREET:
                resolution.street, resolution.street_code = name, code
            elif level == VILLAGE:
                resolution.community, resolution.community_code = name, code
        return resolution


_LEVEL_KEYS = {PROVINCE: "province", 2: "city", DISTRICT: "district", STREET: "street", VILLAGE: "community"}


def _drop_contained(mentions: list[_Mention]) -> list[_Mention]:
    mentions.sort(key=lambda m: (m.start, -(m.end - m.start)))
    kept: list[_Mention] = []
    reach = -1
    for mention in mentions:
        if mention.end <= reach:
            continue  # inside an earlier, longer mention
        if mention.start < reach and mention.end - mention.start <= (reach - kept[-1].start) + 1:
            continue  # starts inside an earlier name and is not clearly longer: names follow each other
        kept.append(mention)
        reach = max(reach, mention.end)
    return kept


def _common_prefix(left: list[int], right: list[int]) -> list[int]:
    prefix = []
    for a, b in zip(left, right, strict=False):
        if a != b:
            break
        prefix.append(a)
    return prefix
