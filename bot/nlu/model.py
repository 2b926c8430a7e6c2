"""The trained NLU model at run time: the compiled features and linear heads, the entity extractors
and the flag detectors. Built by ``bot.nlu.train``; saved and loaded as one pickle."""

from __future__ import annotations

import pickle
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bot.nlu import entities as ent
from bot.nlu.features import CompiledScorer, Scored
from bot.nlu.normalize import finish, for_features, load_typos, same_length
from bot.nlu.pipeline_config import PipelineConfig
from bot.nlu.types import CategoryScore, Entity, IntentScore, Parse

MODEL_FORMAT = 4
REPORT_PROBLEM = "report_problem"
INFORM = "inform"
# Heads of the compiled scorer; a leaf head per first level is named LEAF_HEAD + its first level.
INTENT_HEAD, TYPE_HEAD, LEAF_HEAD, L1_HEAD = "intent", "appeal_type", "leaf:", "l1"
# Entities that make a short message an answer to a question (an address, a phone number, a time).
_ANSWER_ENTITIES = {"phone", "landline", "address", "id_number", "time"}
# Intents whose messages legitimately carry such entities and must not become ``inform``.
_KEEPS_ENTITIES = {REPORT_PROBLEM, "query_status", "correct"}


class ModelError(ValueError):
    """The model file is missing, unreadable or from an older format."""


@dataclass
class NLUModel:
    """Everything ``parse`` needs, and nothing from scikit-learn: loading it imports numpy and jieba only."""

    config: PipelineConfig
    scorer: CompiledScorer
    single_leaf: dict[str, str] = field(default_factory=dict)  # first level → its only leaf
    regexes: dict[str, list[str]] = field(default_factory=dict)
    place_names: list[str] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)
    synonyms: dict[str, str] = field(default_factory=dict)
    data_fingerprint: str = ""

    def __post_init__(self) -> None:
        self._prepare()

    def _prepare(self) -> None:
        config = self.config
        self._typo_re = load_typos(config.typos)
        self._extractors = ent.Extractors(
            self.regexes, self.place_names, self.terms, self.synonyms, config.min_place_length
        )
        self._flags = ent.FlagFinder(
            {"emergency": config.emergency, "legal": config.legal},
            config.negations,
            config.negation_window,
            hedges=config.emergency_hedges,
            hedge_window=config.hedge_window,
            exceptions=config.flag_exceptions,
        )
        markers = sorted(config.multi_problem_markers, key=len, reverse=True)
        self._markers = re.compile("|".join(re.escape(m) for m in markers)) if markers else None
        with_leaves = {
            name[len(LEAF_HEAD) :] for name in self.scorer.head_names if name.startswith(LEAF_HEAD)
        }
        self._l1_names = self.scorer.classes(L1_HEAD) or sorted(with_leaves | set(self.single_leaf))
        self._intent_names = self.scorer.classes(INTENT_HEAD)

    # -- persistence --------------------------------------------------------------------------

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("wb") as fh:
            pickle.dump({"format": MODEL_FORMAT, "model": self}, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> NLUModel:
        try:
            with path.open("rb") as fh:
                payload = pickle.load(fh)  # the project's own artefact, built by `jiesu train`
        except FileNotFoundError as exc:
            raise ModelError(f"NLU model {path} is missing: run `jiesu train`") from exc
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError) as exc:
            raise ModelError(f"cannot read NLU model {path} ({exc}): run `jiesu train`") from exc
        if not isinstance(payload, dict) or payload.get("format") != MODEL_FORMAT:
            raise ModelError(f"{path} is not a jiesu NLU model of format {MODEL_FORMAT}: run `jiesu train`")
        model: NLUModel = payload["model"]
        return model

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._prepare()

    # -- parsing ------------------------------------------------------------------------------

    def normalize(self, text: str) -> str:
        return for_features(text, self.config.typos, self._typo_re)

    def extract(self, text: str) -> list[Entity]:
        """Entities with spans on ``text`` as given; values in simplified, half-width characters."""
        return self._extractors.extract(same_length(text))

    def feature_text(self, text: str, entities: list[Entity] | None = None) -> str:
        """What the classifiers read: entities masked (EntityMasker), then normalised."""
        same = same_length(text)
        found = self._extractors.extract(same) if entities is None else entities
        return finish(ent.mask(same, found, self.config.mask), self.config.typos, self._typo_re)

    def parse(self, text: str, *, categorise: bool = False) -> Parse:
        """Understands one message. ``categorise`` forces a category and appeal type even when the
        message does not read as a problem (batch classification of past appeals)."""
        same = same_length(text)
        normalized = finish(same, self.config.typos, self._typo_re)
        entities = self._extractors.extract(same)
        features_text = finish(ent.mask(same, entities, self.config.mask), self.config.typos, self._typo_re)
        scored = self.scorer.score(features_text)
        ranking = self._intents(scored)
        top = ranking[0]
        stripped = len(text.strip()) or 1
        covered = sum(e.end - e.start for e in entities if e.type in _ANSWER_ENTITIES)
        if top.name not in _KEEPS_ENTITIES and covered / stripped >= self.config.entity_only_coverage:
            # The message is (almost) only a phone number, an address or a time: an answer.
            top = IntentScore(INFORM, max(top.score, min(1.0, covered / stripped)))
            ranking = [top, *[r for r in ranking if r.name != INFORM]]
        flags = self._flags.find(same)
        result = Parse(
            text=text,
            normalized=normalized,
            intent=top,
            intent_ranking=ranking,
            entities=entities,
            emergency=flags.get("emergency"),
            legal_channel=flags.get("legal"),
        )
        problem_score = next((r.score for r in ranking if r.name == REPORT_PROBLEM), 0.0)
        if len(scored.index) == 0 and not categorise:
            return result  # nothing the model knows (empty, emoji only, …): no category to guess
        if categorise or top.name == REPORT_PROBLEM or problem_score >= self.config.categorise_min_score:
            self._categorise(scored, result)
            result.multi_problem = self._multi_problem(features_text)
        return result

    def _intents(self, scored: Scored) -> list[IntentScore]:
        """Ranked intents (the ten best, as Rasa reports them)."""
        probs = self.scorer.probs(scored, INTENT_HEAD)
        if probs is None:
            return [IntentScore(REPORT_PROBLEM, 0.0)]
        names = self._intent_names
        ranked = sorted(zip(probs.tolist(), range(len(names)), strict=True), reverse=True)[:10]
        return [IntentScore(names[i], round(p, 4)) for p, i in ranked]

    def category_scores(self, scored: Scored) -> list[tuple[str, float]]:
        """Leaves ("l1/l2/l3") with P(first level) × P(leaf | first level), best first, for the
        leaves of the ``alternatives + 1`` most likely first levels."""
        names = self._l1_names
        if not names:
            return []
        l1 = self.scorer.probs(scored, L1_HEAD)
        l1_probs = l1 if l1 is not None else np.ones(len(names)) / len(names)
        ranked: list[tuple[str, float]] = []
        wanted = self.config.alternatives + 1
        for index in np.argsort(-l1_probs)[:wanted]:
            name, p_l1 = names[index], float(l1_probs[index])
            if len(ranked) >= wanted and p_l1 <= sorted(v for _, v in ranked)[-wanted]:
                break  # no leaf of this or a later first level can enter the best ``wanted``
            head = LEAF_HEAD + name
            within = self.scorer.probs(scored, head)
            if within is not None:
                classes = self.scorer.classes(head)
                ranked += [(leaf, p_l1 * float(p)) for leaf, p in zip(classes, within, strict=True)]
            elif name in self.single_leaf:
                ranked.append((self.single_leaf[name], p_l1))
        ranked.sort(key=lambda item: -item[1])
        return ranked

    def _categorise(self, scored: Scored, result: Parse) -> None:
        picked = self.category_scores(scored)[: 1 + self.config.alternatives]
        if picked:
            result.category = CategoryScore.from_path(picked[0][0], round(picked[0][1], 4))
            result.category_alternatives = [CategoryScore.from_path(p, round(v, 4)) for p, v in picked[1:]]
        type_probs = self.scorer.probs(scored, TYPE_HEAD)
        if type_probs is not None:
            best = int(np.argmax(type_probs))
            result.appeal_type = self.scorer.classes(TYPE_HEAD)[best]
            result.appeal_type_score = round(float(type_probs[best]), 4)

    def _multi_problem(self, normalized: str) -> bool:
        """A marker ("还有", "另外") splits the message into parts that land in different leaves."""
        if self._markers is None or not self._l1_names:
            return False
        parts = [p for p in self._markers.split(normalized) if len(p.strip(" ,.，。!?！？")) >= 4]
        if len(parts) < 2:
            return False
        leaves = set()
        for part in parts:
            ranked = self.category_scores(self.scorer.score(part))
            if ranked and ranked[0][1] >= self.config.multi_problem_min_score:
                leaves.add(ranked[0][0])
        return len(leaves) >= self.config.multi_problem_min_categories
