"""Words routing knows, for the NLU's jieba user dictionary and its keyword prior.

``bot/nlu`` calls these at training time (``bot.nlu.train``, ``bot.nlu.catalogue``); they raise
OSError when the data is not there, which the NLU treats as "train without it". The words come from
the validated catalogue; when it does not validate (an admin's half-finished edit) they are read
leniently, skipping what is malformed, with a warning: the router refuses such a catalogue loudly,
and the NLU need not fail with it.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml

from routing.catalogue import Catalogue, CatalogueError

log = logging.getLogger(__name__)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_cache: dict[Path, tuple[tuple[tuple[str, int, int], ...], Catalogue]] = {}
_lock = threading.Lock()


def _signature(rules_dir: Path) -> tuple[tuple[str, int, int], ...]:
    paths = [rules_dir / "taxonomy.csv", *sorted((rules_dir / "catalogue").glob("*.y*ml"))]
    out = []
    for path in paths:
        try:
            stat = path.stat()
        except OSError:
            continue
        out.append((path.name, stat.st_mtime_ns, stat.st_size))
    return tuple(out)


def load_catalogue(rules_dir: Path) -> Catalogue:
    """The catalogue of ``rules_dir``, read again only when one of its files changed."""
    key = rules_dir.resolve()
    signature = _signature(key)
    with _lock:
        cached = _cache.get(key)
        if cached is not None and cached[0] == signature:
            return cached[1]
    catalogue = Catalogue.load(key)
    with _lock:
        _cache[key] = (signature, catalogue)
    return catalogue


def place_names(gazetteer_dir: Path) -> list[str]:
    """District, street and community names with their short forms (``routing.gazetteer``)."""
    try:
        gazetteer = importlib.import_module("routing.gazetteer")
    except ModuleNotFoundError as exc:
        raise OSError("routing.gazetteer is not available: no place names") from exc
    function: Callable[[Path], Sequence[str]] | None = getattr(gazetteer, "place_names", None)
    if function is None:
        raise OSError("routing.gazetteer has no place_names(): no place names")
    return [str(name) for name in function(gazetteer_dir)]


def _lenient(rules_dir: Path) -> list[tuple[str, list[str]]]:
    """(leaf, words) of every well-formed item of every readable file, without validation."""
    out: list[tuple[str, list[str]]] = []
    for path in sorted((rules_dir / "catalogue").glob("*.y*ml")):
        try:
            doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        items = doc.get("items") if isinstance(doc, dict) else None
        for item in items if isinstance(items, list) else []:
            category = item.get("category") if isinstance(item, dict) else None
            if not isinstance(category, str) or len([p for p in category.split("/") if p]) != 3:
                continue
            raw: list[Any] = [item.get("name"), *(item.get("keywords") or []), *(item.get("synonyms") or [])]
            words = list(dict.fromkeys(str(w).strip() for w in raw if isinstance(w, str) and w.strip()))
            out.append((category, words))
    return out


def _item_words(rules_dir: Path) -> list[tuple[str, list[str]]]:
    try:
        return [(item.category, item.words()) for item in load_catalogue(rules_dir).items]
    except (CatalogueError, OSError) as exc:
        if not any((rules_dir / "catalogue").glob("*.y*ml")):
            raise OSError(f"{rules_dir / 'catalogue'}: 没有职责目录文件 (no catalogue files)") from exc
        log.warning("duty catalogue does not validate (%s): its words are read leniently", exc)
        return _lenient(rules_dir)


def problem_terms(rules_dir: Path) -> list[str]:
    """Every catalogue item's name, keywords and synonyms, sorted, without repeats."""
    return sorted({word for _, words in _item_words(rules_dir) for word in words})


def category_terms(rules_dir: Path) -> dict[str, list[str]]:
    """Taxonomy leaf ("l1/l2/l3") → the catalogue's words for it, in catalogue order, without repeats."""
    terms: dict[str, list[str]] = {}
    for leaf, words in _item_words(rules_dir):
        known = terms.setdefault(leaf, [])
        known.extend(word for word in words if word not in known)
    return terms
