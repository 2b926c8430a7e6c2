"""Batch classification of past appeals (``jiesu classify``): CSV or JSONL in, JSONL out, in order."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bot.nlu.model import NLUModel
from bot.nlu.types import Parse

ENCODINGS = ("utf-8-sig", "gb18030")  # utf-8-sig also reads plain utf-8
JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}


class BatchInputError(ValueError):
    """The input file cannot be read as CSV or JSONL with the asked-for column; the message says why."""


def decode(raw: bytes, path: Path) -> str:
    for encoding in ENCODINGS:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise BatchInputError(f"{path}: 不是 UTF-8 或 GB18030 编码的文本 (not UTF-8 or GB18030 text)")


def read_rows(path: Path, text_col: str, fmt: str | None = None) -> Iterator[str | None]:
    """The text of each row, in order; None where a row has no text in that column."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BatchInputError(f"{path}: 无法读取 (cannot read): {exc.strerror or exc}") from exc
    text = decode(raw, path)
    kind = fmt or ("jsonl" if path.suffix.lower() in JSONL_SUFFIXES else "csv")
    if kind == "jsonl":
        yield from _jsonl(text, text_col, path)
    elif kind == "csv":
        yield from _csv(text, text_col, path)
    else:
        raise BatchInputError(f"unknown format {kind!r}: use csv or jsonl")


def _csv(text: str, text_col: str, path: Path) -> Iterator[str | None]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    columns = reader.fieldnames or []
    if text_col not in columns:
        raise BatchInputError(
            f"{path}: 没有名为 {text_col!r} 的列 (no column {text_col!r}); 现有列: {', '.join(columns)}"
        )
    try:
        for row in reader:
            value = row.get(text_col)
            yield value if isinstance(value, str) and value.strip() else None
    except csv.Error as exc:
        raise BatchInputError(f"{path}: line {reader.line_num}: 不是合法的 CSV (bad CSV): {exc}") from exc


def _jsonl(text: str, text_col: str, path: Path) -> Iterator[str | None]:
    seen_column = False
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BatchInputError(
                f"{path}: 第 {number} 行不是合法的 JSON (line {number} is not JSON): {exc.msg}"
            ) from exc
        if not isinstance(record, dict):
            raise BatchInputError(f"{path}: 第 {number} 行不是 JSON 对象 (line {number} is not an object)")
        value = record.get(text_col)
        seen_column = seen_column or text_col in record
        yield str(value) if value is not None and str(value).strip() else None
    if not seen_column:
        raise BatchInputError(
            f"{path}: 没有任何一行含有字段 {text_col!r} (no record has the key {text_col!r})"
        )


def _category(parse: Parse) -> dict[str, Any] | None:
    c = parse.category
    return {"l1": c.l1, "l2": c.l2, "l3": c.l3, "score": c.score} if c else None


def record(row: int, text: str | None, model: NLUModel) -> dict[str, Any]:
    """One output object; a row without text says so instead of being dropped (order is kept)."""
    if text is None:
        return {"row": row, "error": "empty text"}
    parse = model.parse(text, categorise=True)
    return {
        "row": row,
        "intent": parse.intent.name,
        "intent_score": parse.intent.score,
        "appeal_type": parse.appeal_type,
        "appeal_type_score": parse.appeal_type_score,
        "category": _category(parse),
        "alternatives": [
            {"l1": c.l1, "l2": c.l2, "l3": c.l3, "score": c.score} for c in parse.category_alternatives
        ],
        "emergency": parse.emergency is not None,
        "emergency_number": parse.emergency,
        "legal_channel": parse.legal_channel is not None,
        "legal_channel_kind": parse.legal_channel,
        "multi_problem": parse.multi_problem,
        "entities": [
            {"type": e.type, "value": e.value, "start": e.start, "end": e.end} for e in parse.entities
        ],
    }
