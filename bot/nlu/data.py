"""Training data in Rasa's NLU YAML formats: intents with examples (appeals carry their category and
appeal type as block metadata), synonyms and lookup tables."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

# libyaml's loader when PyYAML was built with it: the same documents, several times faster.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_ITEM = re.compile(r"^\s*-\s+(.*)$")
# Rasa's inline entity annotations: [朝阳区](address), [望京]{"entity": "address"}.
_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")
TEST_DIR = "test"
APPEAL_TYPES = ("咨询", "建议", "投诉", "举报", "求助", "表扬")


class DataError(ValueError):
    """A training file is malformed; the message names the file and block."""


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    category: str | None = None  # "l1/l2/l3"
    appeal_type: str | None = None
    source: str = ""


@dataclass
class TrainingData:
    examples: list[Example]
    synonyms: dict[str, str]  # variant → canonical
    lookups: dict[str, list[str]]
    regexes: dict[str, list[str]] = field(default_factory=dict)  # entity type → alternatives
    warnings: list[str] = field(default_factory=list)  # problems that did not stop loading

    @property
    def appeals(self) -> list[Example]:
        return [e for e in self.examples if e.category]


def _lines(block: str, annotated: bool) -> list[str]:
    out = []
    for line in block.splitlines():
        match = _ITEM.match(line)
        if match and match.group(1).strip():
            text = match.group(1).strip()
            out.append(_ANNOTATION.sub(r"\1", text) if annotated else text)
    return out


def _examples(value: Any, annotated: bool = True) -> list[str]:
    """The example lines of a block; ``annotated`` strips Rasa's inline entity markup (not for regexes)."""
    if isinstance(value, str):
        return _lines(value, annotated)
    if isinstance(value, list):  # the long form: [{text: ..., metadata: ...}]
        return [
            str(item.get("text", "")).strip() for item in value if isinstance(item, dict) and item.get("text")
        ]
    return []


def yaml_files(root: Path, *, include_test: bool = False) -> list[Path]:
    files = sorted(p for p in root.rglob("*.yml") if p.is_file())
    if not include_test:
        files = [p for p in files if TEST_DIR not in p.relative_to(root).parts[:-1]]
    return [p for p in files if p.name != "rules.yml"]


def load_files(files: Iterable[Path]) -> TrainingData:
    examples: list[Example] = []
    synonyms: dict[str, str] = {}
    lookups: dict[str, list[str]] = {}
    regexes: dict[str, list[str]] = {}
    warnings: list[str] = []
    for path in files:
        try:
            doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER) or {}
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise DataError(f"{path}: not valid YAML: {exc}") from exc
        if not isinstance(doc, dict):
            raise DataError(f"{path}: the top level must be a mapping with an `nlu:` list")
        for index, block in enumerate(doc.get("nlu") or []):
            if not isinstance(block, dict):
                raise DataError(f"{path}: block {index} is not a mapping")
            if "intent" in block:
                meta = block.get("metadata") or {}
                if not isinstance(meta, dict):
                    raise DataError(f"{path}: block {index}: metadata must be a mapping")
                category = meta.get("category")
                if category is not None:
                    parts = [part.strip() for part in str(category).split("/")]
                    if len(parts) != 3 or not all(parts):
                        raise DataError(f"{path}: block {index}: category must be l1/l2/l3, got {category!r}")
                    category = "/".join(parts)
                appeal_type = meta.get("appeal_type")
                if appeal_type is not None and appeal_type not in APPEAL_TYPES:
                    warnings.append(
                        f"{path.name}: block {index}: unknown appeal_type {appeal_type!r} ignored"
                    )
                    appeal_type = None
                for text in _examples(block.get("examples")):
                    examples.append(
                        Example(
                            text=text,
                            intent=str(block["intent"]),
                            category=category,
                            appeal_type=appeal_type,
                            source=path.name,
                        )
                    )
            elif "synonym" in block:
                for variant in _examples(block.get("examples")):
                    synonyms[variant] = str(block["synonym"])
            elif "lookup" in block:
                lookups.setdefault(str(block["lookup"]), []).extend(_examples(block.get("examples")))
            elif "regex" in block:
                patterns = _examples(block.get("examples"), annotated=False)
                for pattern in patterns:
                    try:
                        re.compile(pattern)
                    except re.error as exc:
                        raise DataError(f"{path}: regex {block['regex']!r}: {pattern!r}: {exc}") from exc
                regexes.setdefault(str(block["regex"]), []).extend(patterns)
    return TrainingData(examples, synonyms, lookups, regexes, warnings)


def load_training(root: Path) -> TrainingData:
    return load_files(yaml_files(root))


def load_test(root: Path) -> TrainingData:
    return load_files(sorted((root / TEST_DIR).rglob("*.yml")))
