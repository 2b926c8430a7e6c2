"""Adapts the NLU model to the engine's interpreter."""

from __future__ import annotations

from pathlib import Path
from typing import Any


class ModelUnderstanding:
    """The trained NLU model (bot.nlu), loaded once per process."""

    def __init__(self, model_path: Path) -> None:
        from bot.nlu.model import NLUModel

        if not model_path.exists():
            raise FileNotFoundError(f"NLU model {model_path} is missing: run `jiesu train` (or `make run`)")
        self.model = NLUModel.load(model_path)

    def parse_dict(self, text: str) -> dict[str, Any]:
        result: dict[str, Any] = self.model.parse(text).to_dict()
        return result
