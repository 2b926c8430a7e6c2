"""A keyword prior from the duty catalogue: each catalogue item's name, keywords and synonyms become
short, lightly weighted training rows for the item's leaf.

The appeal files cannot cover every leaf with realistic messages; the catalogue names, for every
item it files, the words citizens use for it. As extra rows of the first-level and leaf heads (with
``catalogue_weight`` as their sample weight) they tell the classifiers that "低保" is 民政 even when
no training message said so. They never touch the intent or appeal-type heads.

The catalogue is routing's data (``routing_rules/catalogue/*.yml``: ``items`` with ``category``,
``name``, ``keywords``, ``synonyms``); ``routing.lexicon.category_terms(rules_dir)`` is used when
routing provides it, else the files are read directly; a missing or malformed catalogue gives no rows.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

# libyaml's loader when PyYAML was built with it: the same documents, several times faster.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _from_files(rules_dir: Path) -> dict[str, list[str]]:
    terms: dict[str, list[str]] = {}
    for path in sorted((rules_dir / "catalogue").glob("*.yml")):
        try:
            doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        items = doc.get("items") if isinstance(doc, dict) else None
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict) or not isinstance(item.get("category"), str):
                continue
            if len(item["category"].split("/")) != 3:
                continue
            words: list[Any] = [
                item.get("name"),
                *(item.get("keywords") or []),
                *(item.get("synonyms") or []),
            ]
            terms.setdefault(item["category"], []).extend(str(w) for w in words if w)
    return terms


def category_terms(rules_dir: Path) -> dict[str, list[str]]:
    """Leaf ("l1/l2/l3") → the catalogue's words for it."""
    try:
        lexicon = importlib.import_module("routing.lexicon")
    except ImportError:
        lexicon = None
    provided: Callable[[Path], dict[str, list[str]]] | None = getattr(lexicon, "category_terms", None)
    if provided is not None:
        try:
            return {str(k): [str(w) for w in v] for k, v in provided(rules_dir).items()}
        except (OSError, ValueError):
            return {}
    return _from_files(rules_dir)
