"""Turns per second and latency of the conversation service through its REST channel.

Starts `jiesu run` (all-in-one: bot, in-process actions, dispatch backend; SQLite in a temporary
directory) in its own process, then drives N concurrent simulated citizens, each filing appeals
turn by turn, from this process. Prints turns/s and p50/p95/p99 latency.

Citizens pause between messages like people typing: each waits a random (exponential) time with
mean ``citizens / rate`` seconds, so N conversations together offer ``--rate`` turns per second.
``--rate 0`` removes the pauses (a closed loop: N requests always in flight, which measures the
ceiling, and by Little's law makes latency = N / throughput).

    .venv/bin/python bench/turns.py --citizens 100 --rate 500 --seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.procs import free_port, start, stop  # noqa: E402

PROBLEMS = [
    "我家楼下的路灯坏了一个星期了，晚上特别黑",
    "小区门口的垃圾好几天没人清运了，味道很大",
    "楼上邻居每天半夜装修，噪音特别大，根本睡不着",
    "单位拖欠我三个月工资了，老板一直躲着不见人",
    "家里暖气一点都不热，物业也不管",
    "路边有个井盖丢了，很危险",
]
ADDRESSES = [
    "朝阳区望京街道花家地西里3号楼",
    "海淀区中关村街道科育社区",
    "丰台区方庄芳古园一区",
    "昌平区回龙观龙泽苑",
]
SMALL_TALK = ["你好", "谢谢", "你能做什么"]


def script(rng: random.Random) -> list[str]:
    """One citizen's conversation: a greeting, an appeal through the form, thanks."""
    return [
        rng.choice(SMALL_TALK),
        rng.choice(PROBLEMS),
        rng.choice(ADDRESSES),
        f"13{rng.randint(100000000, 999999999)}",
        "确认",
        "谢谢",
    ]


async def citizen(
    session: aiohttp.ClientSession,
    url: str,
    index: int,
    stop_at: float,
    latencies: list[float],
    errors: list[str],
    mean_pause: float,
) -> None:
    rng = random.Random(index)
    await asyncio.sleep(rng.uniform(0, mean_pause))
    round_ = 0
    while time.perf_counter() < stop_at:
        sender = f"bench-{index}-{round_}"
        for text in script(rng):
            if time.perf_counter() >= stop_at:
                return
            started = time.perf_counter()
            async with session.post(url, json={"sender": sender, "message": text}) as resp:
                await resp.read()
                if resp.status != 200:
                    errors.append(f"{resp.status}")
            latencies.append(time.perf_counter() - started)
            if mean_pause:
                await asyncio.sleep(rng.expovariate(1 / mean_pause))
        round_ += 1


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


async def drive(base: str, citizens: int, seconds: float, warmup: float, rate: float) -> None:
    url = f"{base}/webhooks/rest/webhook"
    pause = citizens / rate if rate > 0 else 0.0
    connector = aiohttp.TCPConnector(limit=citizens + 10)
    async with aiohttp.ClientSession(connector=connector) as session:
        warm: list[float] = []
        await asyncio.gather(
            *(
                citizen(session, url, 10_000 + i, time.perf_counter() + warmup, warm, [], pause)
                for i in range(citizens)
            )
        )
        latencies: list[float] = []
        errors: list[str] = []
        began = time.perf_counter()
        await asyncio.gather(
            *(citizen(session, url, i, began + seconds, latencies, errors, pause) for i in range(citizens))
        )
        elapsed = time.perf_counter() - began
    ms = [x * 1000 for x in latencies]
    print(
        f"concurrent citizens : {citizens} (offered rate: {f'{rate:.0f} turns/s' if rate else 'closed loop'})"
    )
    print(f"turns               : {len(ms)} in {elapsed:.1f} s ({len(errors)} errors)")
    print(f"turns/s             : {len(ms) / elapsed:.0f}")
    print(
        f"latency ms          : p50 {percentile(ms, 50):.1f}  p95 {percentile(ms, 95):.1f}  "
        f"p99 {percentile(ms, 99):.1f}  mean {statistics.fmean(ms):.1f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--citizens", type=int, default=100)
    parser.add_argument("--rate", type=float, default=500.0, help="offered turns/s in all; 0 = no pauses")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--url", help="benchmark a running service instead of starting one")
    args = parser.parse_args()
    runner: Any = asyncio.run
    try:  # the load generator shares the machine: the cheaper its loop, the fairer the figures
        import uvloop

        runner = uvloop.run
    except ImportError:
        pass
    if args.url:
        runner(drive(args.url, args.citizens, args.seconds, args.warmup, args.rate))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        port, dispatch_port = free_port(), free_port()
        env = {
            "JIESU_PORT": str(port),
            "JIESU_DISPATCH_PORT": str(dispatch_port),
            "JIESU_DISPATCH_URL": f"http://127.0.0.1:{dispatch_port}",
            "JIESU_DB_URL": f"sqlite+aiosqlite:///{tmp}/bot.db",
            "JIESU_DISPATCH_DB_URL": f"sqlite+aiosqlite:///{tmp}/dispatch.db",
            "JIESU_REDIS_URL": os.environ.get("BENCH_REDIS_URL", ""),
            "JIESU_LOG_LEVEL": "WARNING",
        }
        proc = start(["-m", "jiesu.cli", "run"], env, f"http://127.0.0.1:{port}/healthz", timeout=60)
        try:
            runner(drive(f"http://127.0.0.1:{port}", args.citizens, args.seconds, args.warmup, args.rate))
        finally:
            stop(proc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
