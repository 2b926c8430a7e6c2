"""The NLU pipeline as declared in ``config.yml``: named components, every threshold named there."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


class ConfigError(ValueError):
    """config.yml is missing, malformed, or names a component this pipeline does not have."""


COMPONENTS = (
    "Normalizer",
    "JiebaTokenizer",
    "NgramFeaturizer",
    "IntentClassifier",
    "AppealTypeClassifier",
    "CategoryClassifier",
    "RegexEntityExtractor",
    "PlaceExtractor",
    "TermExtractor",
    "EntityMasker",
    "EntityOnlyInform",
    "FlagDetector",
    "MultiProblemDetector",
)


@dataclass(frozen=True)
class PipelineConfig:
    typos: dict[str, str] = field(default_factory=dict)
    user_word_freq: int = 20_000
    dictionary_top_words: int = 30_000
    char_ngram_range: tuple[int, int] = (1, 3)
    word_ngram_range: tuple[int, int] = (1, 2)
    min_df: int = 1
    max_char_features: int = 60_000
    max_word_features: int = 30_000
    intent_c: float = 8.0
    augment_share: float = 0.0
    augment_templates: list[str] = field(default_factory=list)
    appeal_type_c: float = 4.0
    category_c: float = 10.0
    l1_c: float = 10.0
    alternatives: int = 3
    catalogue_weight: float = 0.0
    catalogue_new_leaves: bool = False
    # L-BFGS stopping rule per classifier component: (tol, max_iter).
    solver: dict[str, tuple[float, int]] = field(default_factory=dict)
    categorise_min_score: float = 0.2
    seed: int = 13
    min_place_length: int = 3
    mask: dict[str, str] = field(default_factory=dict)  # entity type → placeholder symbol
    entity_only_coverage: float = 0.6
    negation_window: int = 3
    negations: list[str] = field(default_factory=list)
    emergency_hedges: list[str] = field(default_factory=list)
    hedge_window: int = 6
    flag_exceptions: list[str] = field(default_factory=list)
    emergency: dict[str, list[str]] = field(default_factory=dict)
    legal: dict[str, list[str]] = field(default_factory=dict)
    multi_problem_markers: list[str] = field(default_factory=list)
    multi_problem_min_categories: int = 2
    multi_problem_min_score: float = 0.3

    @classmethod
    def load(cls, path: Path) -> PipelineConfig:
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"cannot read {path}: {exc}") from exc
        by_name: dict[str, dict[str, Any]] = {}
        for component in doc.get("pipeline") or []:
            name = component.get("name") if isinstance(component, dict) else None
            if name not in COMPONENTS:
                raise ConfigError(
                    f"{path}: unknown pipeline component {name!r}; known: {', '.join(COMPONENTS)}"
                )
            by_name[name] = component

        def get(component: str, key: str, default: Any) -> Any:
            value = by_name.get(component, {}).get(key, default)
            return default if value is None else value

        base = cls()
        try:
            return cls(
                typos={str(k): str(v) for k, v in get("Normalizer", "typos", {}).items()},
                user_word_freq=int(get("JiebaTokenizer", "user_word_freq", base.user_word_freq)),
                dictionary_top_words=int(
                    get("JiebaTokenizer", "dictionary_top_words", base.dictionary_top_words)
                ),
                char_ngram_range=_pair(get("NgramFeaturizer", "char_ngram_range", base.char_ngram_range)),
                word_ngram_range=_pair(get("NgramFeaturizer", "word_ngram_range", base.word_ngram_range)),
                min_df=int(get("NgramFeaturizer", "min_df", base.min_df)),
                max_char_features=int(get("NgramFeaturizer", "max_char_features", base.max_char_features)),
                max_word_features=int(get("NgramFeaturizer", "max_word_features", base.max_word_features)),
                intent_c=float(get("IntentClassifier", "C", base.intent_c)),
                augment_share=float(get("IntentClassifier", "augment_share", base.augment_share)),
                augment_templates=[str(t) for t in get("IntentClassifier", "augment_templates", [])],
                appeal_type_c=float(get("AppealTypeClassifier", "C", base.appeal_type_c)),
                category_c=float(get("CategoryClassifier", "C", base.category_c)),
                l1_c=float(get("CategoryClassifier", "l1_C", base.l1_c)),
                alternatives=int(get("CategoryClassifier", "alternatives", base.alternatives)),
                catalogue_weight=float(get("CategoryClassifier", "catalogue_weight", base.catalogue_weight)),
                catalogue_new_leaves=bool(
                    get("CategoryClassifier", "catalogue_new_leaves", base.catalogue_new_leaves)
                ),
                categorise_min_score=float(
                    get("CategoryClassifier", "categorise_min_score", base.categorise_min_score)
                ),
                seed=int(get("CategoryClassifier", "random_state", base.seed)),
                solver={
                    component: (float(get(component, "tol", 1e-4)), int(get(component, "max_iter", 1000)))
                    for component in ("IntentClassifier", "AppealTypeClassifier", "CategoryClassifier")
                },
                min_place_length=int(get("PlaceExtractor", "min_length", base.min_place_length)),
                mask={str(k): str(v) for k, v in get("EntityMasker", "placeholders", {}).items()},
                entity_only_coverage=float(
                    get("EntityOnlyInform", "coverage_threshold", base.entity_only_coverage)
                ),
                negation_window=int(get("FlagDetector", "negation_window", base.negation_window)),
                negations=[str(n) for n in get("FlagDetector", "negations", [])],
                emergency_hedges=[str(n) for n in get("FlagDetector", "emergency_hedges", [])],
                hedge_window=int(get("FlagDetector", "hedge_window", base.hedge_window)),
                flag_exceptions=[str(n) for n in get("FlagDetector", "exceptions", [])],
                emergency=_lexicon(get("FlagDetector", "emergency", {})),
                legal=_lexicon(get("FlagDetector", "legal_channel", {})),
                multi_problem_markers=[str(m) for m in get("MultiProblemDetector", "markers", [])],
                multi_problem_min_categories=int(
                    get("MultiProblemDetector", "min_categories", base.multi_problem_min_categories)
                ),
                multi_problem_min_score=float(
                    get("MultiProblemDetector", "min_score", base.multi_problem_min_score)
                ),
            )
        except (TypeError, ValueError, AttributeError) as exc:
            raise ConfigError(f"{path}: bad pipeline setting: {exc}") from exc


def _pair(value: Any) -> tuple[int, int]:
    low, high = (int(v) for v in value)
    if not 1 <= low <= high:
        raise ValueError(f"n-gram range must be 1 <= low <= high, got {value!r}")
    return low, high


def _lexicon(value: Any) -> dict[str, list[str]]:
    return {str(k): [str(w) for w in words] for k, words in (value or {}).items()}
