"""Reads the named thresholds of ``config.yml`` (pipeline components and dialogue policies)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class PolicySettings:
    nlu_threshold: float = 0.35
    ambiguity_threshold: float = 0.08
    category_confirm_threshold: float = 0.45
    max_actions_per_turn: int = 10


@lru_cache(maxsize=8)
def _load(path: str) -> dict[str, Any]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    return data if isinstance(data, dict) else {}


def load_config(path: Path) -> dict[str, Any]:
    return _load(str(path))


def policy_settings(path: Path) -> PolicySettings:
    values: dict[str, Any] = {}
    for policy in load_config(path).get("policies") or []:
        for key in (
            "nlu_threshold",
            "ambiguity_threshold",
            "category_confirm_threshold",
            "max_actions_per_turn",
        ):
            if key in policy:
                values[key] = policy[key]
    return PolicySettings(**values)
