"""What the NLU returns for one message (the contract in docs/architecture.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class IntentScore:
    name: str
    score: float


@dataclass(frozen=True)
class CategoryScore:
    l1: str
    l2: str
    l3: str
    score: float

    @property
    def path(self) -> str:
        return f"{self.l1}/{self.l2}/{self.l3}"

    @classmethod
    def from_path(cls, path: str, score: float) -> CategoryScore:
        l1, l2, l3 = path.split("/", 2)
        return cls(l1, l2, l3, score)


@dataclass(frozen=True)
class Entity:
    type: str
    value: str
    start: int
    end: int
    extractor: str
    confidence: float = 1.0


@dataclass
class Parse:
    text: str
    normalized: str
    intent: IntentScore
    intent_ranking: list[IntentScore] = field(default_factory=list)
    appeal_type: str | None = None
    appeal_type_score: float = 0.0
    category: CategoryScore | None = None
    category_alternatives: list[CategoryScore] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    emergency: str | None = None
    legal_channel: str | None = None
    multi_problem: bool = False

    def to_dict(self) -> dict[str, Any]:
        # Written out rather than dataclasses.asdict, which deep-copies recursively and cost more
        # than the parse itself on the hot path.
        return {
            "text": self.text,
            "normalized": self.normalized,
            "intent": {"name": self.intent.name, "score": self.intent.score},
            "intent_ranking": [{"name": i.name, "score": i.score} for i in self.intent_ranking],
            "appeal_type": self.appeal_type,
            "appeal_type_score": self.appeal_type_score,
            "category": _category(self.category) if self.category else None,
            "category_alternatives": [_category(c) for c in self.category_alternatives],
            "entities": [
                {
                    "type": e.type,
                    "value": e.value,
                    "start": e.start,
                    "end": e.end,
                    "extractor": e.extractor,
                    "confidence": e.confidence,
                }
                for e in self.entities
            ],
            "emergency": self.emergency,
            "legal_channel": self.legal_channel,
            "multi_problem": self.multi_problem,
        }


def _category(c: CategoryScore) -> dict[str, Any]:
    return {"l1": c.l1, "l2": c.l2, "l3": c.l3, "score": c.score}
