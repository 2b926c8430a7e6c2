"""Routing hot path: catalogue load, problem matching and ``Router.decide`` latency, and how often
the matched duty item lies in the appeal's labelled leaf.

Pinned to one core. Reads the labelled appeals of ``nlu_data/test/`` (held out from NLU training;
here only read, never tuned on) and, per message, times the matcher on the text alone and
``Router.decide`` with the NLU model's understanding (``var/models/nlu.pkl``; skipped with
``--no-nlu``). Prints p50/p99/mean and the share of messages whose top item is filed under the
labelled leaf and first-level class: words alone, the NLU's own category, both, and the decision
(which turns weak matches into "no item found" and follows the emergency and legal flags).

    .venv/bin/python bench/route.py
Target: matching < 0.3 ms per message.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def labelled(folder: Path) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for path in sorted(folder.glob("*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in doc.get("nlu") or []:
            category = (block.get("metadata") or {}).get("category")
            if not category:
                continue
            for line in str(block.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- ") and line[2:].strip():
                    rows.append((line[2:].strip(), str(category)))
    return rows


def _times(label: str, values: list[float]) -> str:
    p50, p99 = _percentile(values, 0.5) * 1e3, _percentile(values, 0.99) * 1e3
    mean = sum(values) / len(values) * 1e3
    return f"{label}: p50 {p50:.3f} ms, p99 {p99:.3f} ms, mean {mean:.3f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=ROOT / "nlu_data" / "test", help="labelled appeals")
    parser.add_argument("--rules", type=Path, default=ROOT / "routing_rules")
    parser.add_argument("--model", type=Path, default=ROOT / "var" / "models" / "nlu.pkl")
    parser.add_argument("--no-nlu", action="store_true", help="match on the words alone")
    parser.add_argument("--repeat", type=int, default=5, help="timed passes over the messages (default 5)")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    from routing.router import Router

    started = time.perf_counter()
    router = Router.load(args.rules)
    print(
        f"catalogue: {len(router.catalogue.items)} items, version {router.rules_version}, "
        f"loaded with its matcher in {(time.perf_counter() - started) * 1e3:.0f} ms"
    )
    rows = labelled(args.data)
    if not rows:
        print(f"no labelled appeals under {args.data}")
        return 1
    matcher = router.matcher
    for text, _ in rows[:50]:  # warm-up
        matcher.match(text)
    match_times: list[float] = []
    for _ in range(args.repeat):
        for text, _ in rows:
            t0 = time.perf_counter()
            matcher.match(text)
            match_times.append(time.perf_counter() - t0)
    print(f"{len(rows)} messages, mean {sum(len(t) for t, _ in rows) / len(rows):.0f} characters")
    print(_times("match (words only)", match_times))

    hits = {"words": [0, 0], "nlu": [0, 0], "both": [0, 0], "decision": [0, 0]}

    def count(kind: str, leaf: str | None, gold: str) -> None:
        if leaf:
            hits[kind][0] += leaf == gold
            hits[kind][1] += leaf.split("/")[0] == gold.split("/")[0]

    for text, gold in rows:
        found = matcher.match(text)
        count("words", found[0].item.category if found else None, gold)

    if not args.no_nlu:
        from bot.nlu.model import NLUModel

        model = NLUModel.load(args.model)
        now = datetime.now(UTC)
        decide_times: list[float] = []
        with_item, item_hits = 0, [0, 0]
        for text, gold in rows:
            parse = model.parse(text, categorise=True).to_dict()
            understanding: dict[str, Any] = {**parse, "text": text}
            category = parse["category"]
            count("nlu", "/".join(category[k] for k in ("l1", "l2", "l3")) if category else None, gold)
            both = matcher.match(text, category, parse["category_alternatives"], parse["appeal_type"])
            count("both", both[0].item.category if both else None, gold)
            t0 = time.perf_counter()
            decision = router.decide(understanding, None, now)
            decide_times.append(time.perf_counter() - t0)
            count("decision", decision.duty_item.category if decision.duty_item else None, gold)
            if decision.duty_item is not None:
                with_item += 1
                item_hits[0] += decision.duty_item.category == gold
                item_hits[1] += decision.duty_item.category.split("/")[0] == gold.split("/")[0]
        print(_times("Router.decide (with the NLU's category)", decide_times))
        print(
            f"decisions naming a duty item: {with_item / len(rows):.1%} (the rest go to a 12345 desk); "
            f"of these, in the labelled leaf / first-level class: {item_hits[0] / max(with_item, 1):.1%} / "
            f"{item_hits[1] / max(with_item, 1):.1%}"
        )

    for kind, (leaf, first) in hits.items():
        if kind != "words" and args.no_nlu:
            continue
        print(
            f"top item in the labelled leaf / first-level class, {kind}: "
            f"{leaf / len(rows):.1%} / {first / len(rows):.1%}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
