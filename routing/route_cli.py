"""``jiesu route``: batch routing of past appeals with the code the bot uses.

Per input row, in order: the fields of ``jiesu classify`` (``bot.nlu.batch.record``), plus
``jurisdiction`` (the address column resolved, or the text when there is no address) and
``decision`` (``Router.decide`` on the NLU's understanding and that jurisdiction).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.nlu.batch import JSONL_SUFFIXES, BatchInputError, decode
from dispatch.workcal import BEIJING

Pair = tuple[str | None, str | None]


def register(sub: Any) -> None:
    route = sub.add_parser(
        "route", help="route a batch of appeals (CSV or JSONL): understanding, jurisdiction, decision"
    )
    route.add_argument(
        "--in", dest="infile", type=Path, required=True, help="CSV or JSONL (utf-8, utf-8-sig, GB18030)"
    )
    route.add_argument("--text-col", required=True, help="the column (CSV) or key (JSONL) of the message")
    route.add_argument(
        "--address-col", help="the column holding the address (default: the address is read from the text)"
    )
    route.add_argument("--out", type=Path, required=True, help="output JSONL, one object per input row")
    route.add_argument("--format", choices=["csv", "jsonl"], help="input format (default: from the name)")
    route.add_argument("--model", type=Path, help="NLU model (default var/models/nlu.pkl)")
    route.add_argument("--gazetteer", type=Path, help="gazetteer directory (default var/gazetteer)")
    route.add_argument("--rules", type=Path, help="routing rules directory (default routing_rules/)")
    route.add_argument(
        "--now", help="when the appeals were received, ISO 8601 (default: now; no zone = Beijing time)"
    )
    route.set_defaults(handler=cmd_route)


# --------------------------------------------------------------------------- input


def read_pairs(path: Path, text_col: str, address_col: str | None, fmt: str | None = None) -> Iterator[Pair]:
    """(text, address) of each row, in order; None where a row leaves a column empty."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BatchInputError(f"{path}: 无法读取 (cannot read): {exc.strerror or exc}") from exc
    text = decode(raw, path)
    kind = fmt or ("jsonl" if path.suffix.lower() in JSONL_SUFFIXES else "csv")
    if kind == "jsonl":
        return _jsonl(text, text_col, address_col, path)
    if kind == "csv":
        return _csv(text, text_col, address_col, path)
    raise BatchInputError(f"unknown format {kind!r}: use csv or jsonl")


def _value(value: Any) -> str | None:
    return str(value) if value is not None and str(value).strip() else None


def _csv(text: str, text_col: str, address_col: str | None, path: Path) -> Iterator[Pair]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    columns = reader.fieldnames or []
    for col in [text_col, address_col]:
        if col is not None and col not in columns:
            raise BatchInputError(
                f"{path}: 没有名为 {col!r} 的列 (no column {col!r}); 现有列: {', '.join(columns)}"
            )

    def rows() -> Iterator[Pair]:
        try:
            for row in reader:
                yield _value(row.get(text_col)), _value(row.get(address_col)) if address_col else None
        except csv.Error as exc:
            raise BatchInputError(f"{path}: line {reader.line_num}: 不是合法的 CSV (bad CSV): {exc}") from exc

    return rows()


def _jsonl(text: str, text_col: str, address_col: str | None, path: Path) -> Iterator[Pair]:
    pairs: list[Pair] = []
    seen = {text_col: False, **({address_col: False} if address_col else {})}
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
        for key in seen:
            seen[key] = seen[key] or key in record
        pairs.append((_value(record.get(text_col)), _value(record.get(address_col)) if address_col else None))
    for key, found in seen.items():
        if not found:
            raise BatchInputError(f"{path}: 没有任何一行含有字段 {key!r} (no record has the key {key!r})")
    return iter(pairs)


# --------------------------------------------------------------------------- routing one row


def understanding_of(record: dict[str, Any], text: str) -> dict[str, Any]:
    """The router's understanding dict from a ``classify`` record (the NLU parse, not parsed twice)."""
    return {
        "text": text,
        "appeal_type": record.get("appeal_type"),
        "category": record.get("category"),
        "category_alternatives": record.get("alternatives") or [],
        "emergency": record.get("emergency_number"),
        "legal_channel": record.get("legal_channel_kind"),
        "entities": record.get("entities") or [],
    }


def route_record(
    row: int, text: str | None, address: str | None, model: Any, resolver: Any, router: Any, now: datetime
) -> dict[str, Any]:
    from bot.nlu.batch import record as classify_record

    out = classify_record(row, text, model)
    if text is None:
        return {**out, "jurisdiction": None, "decision": None}
    jurisdiction: dict[str, Any] | None = None
    if resolver is not None:
        resolution = resolver.resolve(address or text)
        jurisdiction = resolution.to_dict() if hasattr(resolution, "to_dict") else dict(resolution)
    decision = router.decide(understanding_of(out, text), jurisdiction, now)
    return {**out, "jurisdiction": jurisdiction, "decision": decision.to_dict()}


# --------------------------------------------------------------------------- command


def _fail(message: str, code: int = 1) -> int:
    print(f"错误 / error: {message}", file=sys.stderr)
    return code


def parse_now(value: str | None) -> datetime:
    if not value:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"--now {value!r} 不是 ISO 8601 时间 (not an ISO 8601 time)") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=BEIJING)


def cmd_route(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from bot.nlu.model import ModelError, NLUModel
    from jiesu.settings import Settings
    from routing.catalogue import CatalogueError
    from routing.loader import load_resolver_and_router

    settings = Settings.from_env()
    try:
        now = parse_now(args.now)
        rows = list(read_pairs(args.infile, args.text_col, args.address_col, args.format))
        model = NLUModel.load(args.model or settings.model_path)
    except (ValueError, ModelError) as exc:  # BatchInputError is a ValueError
        return _fail(str(exc), 2)
    try:
        resolver, router = load_resolver_and_router(
            args.gazetteer or settings.gazetteer_dir, args.rules or settings.routing_rules_dir
        )
    except (CatalogueError, OSError) as exc:
        return _fail(f"职责目录无法加载 (cannot load the routing rules): {exc}", 2)
    if resolver is None:
        print("注意 / note: 地名库未构建，不解析地址 (no gazetteer: jurisdiction is null)", file=sys.stderr)
    try:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with args.out.open("w", encoding="utf-8") as out:
            for row, (text, address) in enumerate(tqdm(rows, desc="派单", unit="条", mininterval=0.5)):
                result = route_record(row, text, address, model, resolver, router, now)
                out.write(json.dumps(result, ensure_ascii=False) + "\n")
    except OSError as exc:
        return _fail(f"cannot write {args.out}: {exc.strerror or exc}")
    print(f"{len(rows)} 行 → {args.out}")
    return 0
