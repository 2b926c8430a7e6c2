"""Address resolver: accuracy and latency on the held-out Beijing addresses, against cpca and jionlp.

In one run, on tests/data/addresses_beijing.csv (499 labelled addresses, see its README):
- ours on the Beijing gazetteer (city to village, country to street) and on the national
  five-level one (built here into a temporary directory: build time and peak memory measured,
  then the resolver's memory after loading it, in a fresh process);
- cpca 0.5.5 (province / city / district) and jionlp 1.5.31 ``parse_location(town_village=True)``
  (district, township, village).
Per-address latency p50 / p99 (each address resolved ``--repeat`` times, one core), accuracy at
district, street and community level (rows without a true street / community are not scored at
that level; names are compared without their 街道/地区/镇/乡 and 社区居委会/村委会 suffixes so that
older naming is not held against the competitors), and for ours the not-sure rate, the
wrong-when-sure rate and how often it is sure on rows whose street the text does not determine.

    .venv/bin/pip install -c constraints.txt cpca==0.5.5 jionlp==1.5.31   # or: make bench
    .venv/bin/python bench/resolve.py [--repeat 5] [--no-national] [--no-competitors]
Targets: Beijing p50 ≤ 0.2 ms, p99 ≤ 1 ms; national p99 ≤ 2 ms, build ≤ 60 s, memory ≤ 300 MB.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DATA = ROOT / "tests" / "data" / "addresses_beijing.csv"
_STREET_SUFFIXES = ("街道办事处", "地区办事处", "街道", "地区", "镇", "乡")
_COMMITTEE_SUFFIXES = (
    "社区居民委员会",
    "社区居委会",
    "居民委员会",
    "村民委员会",
    "村委会",
    "居委会",
    "社区",
    "村",
)

NATIONAL_SCRIPT = """
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
started = time.perf_counter()
from routing.gazetteer import build
manifest = build(Path(sys.argv[2]), Path(sys.argv[1]) / "routing_rules", national=True, progress=False,
                 cache_dir=Path(sys.argv[1]) / "var" / "cache")
print(json.dumps({"build_seconds": time.perf_counter() - started, "manifest": manifest,
                  "build_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

LOAD_SCRIPT = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
def rss():
    with open("/proc/self/status") as handle:
        return next(int(line.split()[1]) for line in handle if line.startswith("VmRSS")) / 1024
import rapidfuzz, yaml, opencc  # the libraries' own memory is not the index's
from routing import aliases, gazetteer, resolver
aliases.normalise("x")
before = rss()
started = time.perf_counter()
resolver_ = resolver.AddressResolver.load(
    Path(sys.argv[2]), Path(sys.argv[1]) / "routing_rules", national=True
)
print(json.dumps({"load_seconds": time.perf_counter() - started, "memory_mb": rss() - before,
                  "nodes": len(resolver_.gazetteer)}))
"""


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def _street(name: Any) -> str:
    if not isinstance(name, str) or not name:
        return ""
    for suffix in _STREET_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def _community(name: Any) -> str:
    if not isinstance(name, str) or not name:
        return ""
    for suffix in _COMMITTEE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def load_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return [dict(row) for row in csv.DictReader(handle)]


def timed(
    fn: Callable[[str], dict[str, Any]], rows: list[dict[str, str]], repeat: int
) -> tuple[list[dict[str, Any]], list[float]]:
    """Answers (from the first pass) and per-call latencies in ms (all passes)."""
    answers = [fn(row["address"]) for row in rows]  # also the warm-up
    latencies: list[float] = []
    for _ in range(repeat):
        for row in rows:
            started = time.perf_counter_ns()
            fn(row["address"])
            latencies.append((time.perf_counter_ns() - started) / 1e6)
    return answers, latencies


def score(rows: list[dict[str, str]], answers: list[dict[str, Any]]) -> dict[str, Any]:
    district_ok = sum(a.get("district") == r["district"] for r, a in zip(rows, answers, strict=True))
    street_rows = [(r, a) for r, a in zip(rows, answers, strict=True) if r["street"]]
    street_ok = sum(_street(a.get("street")) == _street(r["street"]) for r, a in street_rows)
    community_rows = [(r, a) for r, a in zip(rows, answers, strict=True) if r["community"]]
    community_ok = sum(
        _community(a.get("community")) == _community(r["community"]) for r, a in community_rows
    )
    out: dict[str, Any] = {
        "district_acc": district_ok / len(rows),
        "street_acc": street_ok / len(street_rows) if street_rows else None,
        "community_acc": community_ok / len(community_rows) if community_rows else None,
        "n": len(rows),
        "n_street": len(street_rows),
        "n_community": len(community_rows),
    }
    if answers and "sure" in answers[0]:
        sure = [(r, a) for r, a in zip(rows, answers, strict=True) if a["sure"]]
        sure_labelled = [(r, a) for r, a in sure if r["street"]]
        wrong = sum(
            _street(a.get("street")) != _street(r["street"]) or a.get("district") != r["district"]
            for r, a in sure_labelled
        )
        undetermined = [a for r, a in zip(rows, answers, strict=True) if not r["street"]]
        out["not_sure_rate"] = 1 - len(sure) / len(rows)
        out["wrong_when_sure"] = wrong / len(sure_labelled) if sure_labelled else 0.0
        out["wrong_when_sure_n"] = f"{wrong}/{len(sure_labelled)}"
        out["sure_on_undetermined"] = f"{sum(a['sure'] for a in undetermined)}/{len(undetermined)}"
        out["street_acc_when_sure"] = 1 - out["wrong_when_sure"]
        out["street_coverage_sure"] = len(sure_labelled) / len(street_rows) if street_rows else None
        out["calibration"] = calibration(rows, answers)
    return out


def calibration(rows: list[dict[str, str]], answers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Confidence bins of the answers that name a street: how often that street is the true one
    (a street named for a row whose street the text does not determine counts as wrong)."""
    edges = (0.0, 0.5, 0.75, 0.9, 1.01)
    bins = []
    for low, high in itertools.pairwise(edges):
        picked = [
            (row, answer)
            for row, answer in zip(rows, answers, strict=True)
            if answer.get("street") and low <= answer["confidence"] < high
        ]
        right = sum(
            bool(row["street"]) and _street(a["street"]) == _street(row["street"]) for row, a in picked
        )
        mean = sum(a["confidence"] for _, a in picked) / len(picked) if picked else 0.0
        bins.append({"from": low, "to": min(high, 1.0), "n": len(picked), "right": right, "mean_conf": mean})
    return bins


def ours(gazetteer_dir: Path, national: bool) -> Callable[[str], dict[str, Any]]:
    from routing.resolver import AddressResolver

    resolver = AddressResolver.load(gazetteer_dir, ROOT / "routing_rules", national=national)

    def run(text: str) -> dict[str, Any]:
        return resolver.resolve(text).to_dict()

    return run


def cpca_runner() -> Callable[[str], dict[str, Any]]:
    warnings.filterwarnings("ignore")
    import cpca

    def run(text: str) -> dict[str, Any]:
        record = cpca.transform([text]).to_dict("records")[0]
        district = record.get("区")
        return {"district": district if isinstance(district, str) else None}

    return run


def jionlp_runner() -> Callable[[str], dict[str, Any]]:
    warnings.filterwarnings("ignore")
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):
        import jionlp

    def run(text: str) -> dict[str, Any]:
        result = jionlp.parse_location(text, town_village=True)
        return {
            "district": result.get("county"),
            "street": result.get("town"),
            "community": result.get("village"),
        }

    return run


def _fmt(value: Any, percent: bool = True) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return f"{100 * value:.1f}%" if percent else f"{value:.3f}"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--repeat", type=int, default=5, help="timed passes over the addresses (default 5)")
    parser.add_argument("--no-national", action="store_true", help="skip the national five-level gazetteer")
    parser.add_argument("--no-competitors", action="store_true", help="skip cpca and jionlp")
    parser.add_argument(
        "--errors", action="store_true", help="list our wrong and not-sure rows (for diagnosis)"
    )
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    from jiesu.settings import Settings
    from routing.gazetteer import ensure_built

    settings = Settings.from_env()
    ensure_built(settings.gazetteer_dir, settings.routing_rules_dir, progress=False)
    rows = load_rows(args.data)
    results: dict[str, dict[str, Any]] = {}
    extra: dict[str, Any] = {}

    answers, latencies = timed(ours(settings.gazetteer_dir, national=False), rows, args.repeat)
    results["jiesu (Beijing)"] = {
        **score(rows, answers),
        "p50": _percentile(latencies, 0.5),
        "p99": _percentile(latencies, 0.99),
    }
    our_answers = answers

    if not args.no_national:
        with tempfile.TemporaryDirectory(prefix="jiesu-national-") as tmp:
            target = Path(tmp) / "gazetteer"
            built = subprocess.run(
                [sys.executable, "-c", NATIONAL_SCRIPT, str(ROOT), str(target)],
                capture_output=True,
                text=True,
                check=True,
            )
            extra["national_build"] = json.loads(built.stdout.strip().splitlines()[-1])
            loaded = subprocess.run(
                [sys.executable, "-c", LOAD_SCRIPT, str(ROOT), str(target)],
                capture_output=True,
                text=True,
                check=True,
            )
            extra["national_load"] = json.loads(loaded.stdout.strip().splitlines()[-1])
            answers, latencies = timed(ours(target, national=True), rows, args.repeat)
            results["jiesu (national)"] = {
                **score(rows, answers),
                "p50": _percentile(latencies, 0.5),
                "p99": _percentile(latencies, 0.99),
            }

    if not args.no_competitors:
        for name, factory, repeat in (("cpca 0.5.5", cpca_runner, 1), ("jionlp 1.5.31", jionlp_runner, 1)):
            try:
                runner = factory()
            except ImportError as exc:
                hint = "pip install -c constraints.txt cpca==0.5.5 jionlp==1.5.31"
                print(f"{name}: not installed ({exc}); {hint}")
                continue
            answers, latencies = timed(runner, rows, repeat)
            results[name] = {
                **score(rows, answers),
                "p50": _percentile(latencies, 0.5),
                "p99": _percentile(latencies, 0.99),
            }
            if name.startswith("cpca"):  # cpca stops at the district
                results[name]["street_acc"] = results[name]["community_acc"] = None

    print(
        f"\n{len(rows)} addresses ({args.data.name}); latency per address, one core, "
        f"{args.repeat} passes for ours\n"
    )
    header = (
        f"{'resolver':<18}{'district':>10}{'street':>10}{'community':>11}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'not sure':>10}{'wrong|sure':>12}{'sure on undet.':>16}"
    )
    print(header)
    print("-" * len(header))
    for name, result in results.items():
        print(
            f"{name:<18}{_fmt(result['district_acc']):>10}{_fmt(result['street_acc']):>10}"
            f"{_fmt(result['community_acc']):>11}{result['p50']:>9.3f}{result['p99']:>9.3f}"
            f"{_fmt(result.get('not_sure_rate')):>10}{_fmt(result.get('wrong_when_sure')):>12}"
            f"{result.get('sure_on_undetermined', '—'):>16}"
        )
    first = results["jiesu (Beijing)"]
    print(
        f"\nrows scored: district {first['n']}, street {first['n_street']} (street given), "
        f"community {first['n_community']}; ours wrong when sure: {first['wrong_when_sure_n']}, "
        f"street coverage when sure {_fmt(first['street_coverage_sure'])}"
    )
    print("calibration (ours, Beijing; answers naming a street):")
    for row in first["calibration"]:
        share = f"{100 * row['right'] / row['n']:.1f}%" if row["n"] else "—"
        print(
            f"  confidence {row['from']:.2f}–{row['to']:.2f}: {row['n']:>4} answers, mean confidence "
            f"{row['mean_conf']:.2f}, street right {share}"
        )
    if "national_build" in extra:
        build, load = extra["national_build"], extra["national_load"]
        print(
            f"national five-level gazetteer: {build['manifest']['national']['nodes']} units, "
            f"build {build['build_seconds']:.1f} s (peak RSS {build['build_peak_mb']:.0f} MB), "
            f"load {load['load_seconds']:.2f} s, resolver memory {load['memory_mb']:.0f} MB"
        )
    if args.errors:
        for row, answer in zip(rows, our_answers, strict=True):
            wrong_district = answer["district"] != row["district"]
            wrong_street = bool(row["street"]) and _street(answer["street"]) != _street(row["street"])
            undetermined_sure = answer["sure"] and not row["street"]
            if wrong_district or wrong_street or not answer["sure"] or undetermined_sure:
                flag = (
                    "not-sure" if not answer["sure"] else "SURE-UNDET" if undetermined_sure else "WRONG-SURE"
                )
                print(
                    f"{flag:<11}{row['address']:<30} truth {row['district']}/{row['street'] or '?'} "
                    f"got {answer['district']}/{answer['street']} {answer['confidence']}"
                )
    out_dir = ROOT / "bench" / "out"
    out_dir.mkdir(exist_ok=True)
    (out_dir / "resolve.json").write_text(
        json.dumps({"results": results, **extra}, ensure_ascii=False, indent=2)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
