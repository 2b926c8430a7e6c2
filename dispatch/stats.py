"""The monthly exam (三率 per unit), the per-case score (一事一评), and hot spots (未诉先办).

Definitions (also in docs/architecture.md), for unit U and month M (Beijing time), over the tickets
dispatched to U as main unit (主办) and received in M:
- 响应率 = tickets U signed for (签收) within the response window of their tier
  (2h → 30 min, 24h → 2 h, 7d/15d → 24 h after dispatch) / tickets dispatched to U.
- 解决率 = tickets U resolved (已办结, 已回访 or 已关闭) by the deadline (extensions included) and never
  reopened by a 不满意 rating / tickets dispatched to U.
- 满意率 = ratings 满意 or 基本满意 / tickets rated by the citizen.
Per-case score = 10% 响应度 + 20% 配合度 + 30% 办结度 + 40% 满意度, each on 0–100 (see ``case_score``);
an unrated case is scored on the first three, their weights rescaled to 100%.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select

from dispatch.lifecycle import RATINGS
from dispatch.schema import tickets, units
from dispatch.tickets import utc
from dispatch.workcal import BEIJING
from jiesu.database import Database

RESPONSE_WINDOW = {
    "2h": timedelta(minutes=30),
    "24h": timedelta(hours=2),
    "7d": timedelta(hours=24),
    "15d": timedelta(hours=24),
}
DONE = ("resolved", "visited", "closed")
WEIGHTS = {"response": 10, "cooperation": 20, "completion": 30, "satisfaction": 40}


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """``"2026-11"`` → the month's first instant and the next month's, in Beijing time."""
    start = datetime.strptime(month, "%Y-%m").replace(tzinfo=BEIJING)
    end = (start + timedelta(days=32)).replace(day=1)
    return start, end


def shift_month(month: str, delta: int) -> str:
    year, mon = map(int, month.split("-"))
    index = year * 12 + mon - 1 + delta
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def responded(row: Any) -> bool:
    if row.accepted_at is None or row.dispatched_at is None:
        return False
    return utc(row.accepted_at) - utc(row.dispatched_at) <= RESPONSE_WINDOW.get(row.tier, timedelta(hours=24))


def resolved_on_time(row: Any) -> bool:
    return (
        row.status in DONE
        and row.resolved_at is not None
        and utc(row.resolved_at) <= utc(row.deadline)
        and row.reopens == 0
    )


def case_score(row: Any) -> float:
    """一事一评: 响应度 (signed in window 100, late 60, never 0), 配合度 (100 − 30 per return − 20 per
    reminder or escalation, at least 0), 办结度 (on time 100, late 60, open 0), 满意度 (满意 100,
    基本满意 80, 不满意 0)."""
    parts = {
        "response": 100.0 if responded(row) else 60.0 if row.accepted_at is not None else 0.0,
        "cooperation": float(max(0, 100 - 30 * row.returns - 20 * row.reminders)),
        "completion": 100.0 if resolved_on_time(row) else 60.0 if row.status in DONE else 0.0,
    }
    if row.rating in RATINGS:
        parts["satisfaction"] = float(RATINGS[row.rating])
    total = sum(WEIGHTS[k] for k in parts)
    return round(sum(WEIGHTS[k] * v for k, v in parts.items()) / total, 1)


@dataclass(frozen=True)
class UnitRates:
    unit_id: int
    unit: str
    kind: str
    dispatched: int
    responded: int
    resolved: int
    rated: int
    satisfied: int
    response_rate: float | None
    resolution_rate: float | None
    satisfaction_rate: float | None
    score: float | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _rate(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


_COLUMNS = (
    tickets.c.unit_id,
    tickets.c.status,
    tickets.c.tier,
    tickets.c.dispatched_at,
    tickets.c.accepted_at,
    tickets.c.resolved_at,
    tickets.c.deadline,
    tickets.c.reopens,
    tickets.c.returns,
    tickets.c.reminders,
    tickets.c.rating,
)


async def unit_rates(database: Database, month: str, unit_id: int | None = None) -> list[UnitRates]:
    start, end = month_bounds(month)

    def load(conn: Connection) -> tuple[list[Any], dict[int, Any]]:
        query = select(*_COLUMNS).where(
            tickets.c.created_at >= start, tickets.c.created_at < end, tickets.c.unit_id.is_not(None)
        )
        if unit_id is not None:
            query = query.where(tickets.c.unit_id == unit_id)
        rows = list(conn.execute(query))
        names = {u.id: u for u in conn.execute(select(units.c.id, units.c.name, units.c.kind))}
        return rows, names

    rows, names = await database.read(load)
    by_unit: dict[int, list[Any]] = {}
    for row in rows:
        by_unit.setdefault(row.unit_id, []).append(row)
    result = []
    for uid, group in by_unit.items():
        n_resp = sum(responded(r) for r in group)
        n_res = sum(resolved_on_time(r) for r in group)
        rated = [r for r in group if r.rating in RATINGS]
        n_sat = sum(r.rating in ("满意", "基本满意") for r in rated)
        result.append(
            UnitRates(
                unit_id=uid,
                unit=names[uid].name,
                kind=names[uid].kind,
                dispatched=len(group),
                responded=n_resp,
                resolved=n_res,
                rated=len(rated),
                satisfied=n_sat,
                response_rate=_rate(n_resp, len(group)),
                resolution_rate=_rate(n_res, len(group)),
                satisfaction_rate=_rate(n_sat, len(rated)),
                score=round(sum(case_score(r) for r in group) / len(group), 1),
            )
        )
    return sorted(result, key=lambda r: (-(r.score or 0), r.unit))


async def street_volumes(database: Database, month: str) -> list[tuple[str, int]]:
    start, end = month_bounds(month)
    count = func.count().label("n")
    query = (
        select(tickets.c.street, count)
        .where(tickets.c.created_at >= start, tickets.c.created_at < end, tickets.c.street.is_not(None))
        .group_by(tickets.c.street)
        .order_by(count.desc(), tickets.c.street)
    )
    return [(r.street, int(r.n)) for r in await database.read(lambda conn: list(conn.execute(query)))]


async def hot_categories(database: Database, month: str, top: int = 5) -> dict[str, list[tuple[str, int]]]:
    """Top ``top`` categories per street in the month (streets in order of volume)."""
    start, end = month_bounds(month)
    count = func.count().label("n")
    query = (
        select(tickets.c.street, tickets.c.category_path, count)
        .where(
            tickets.c.created_at >= start,
            tickets.c.created_at < end,
            tickets.c.street.is_not(None),
            tickets.c.category_path.is_not(None),
        )
        .group_by(tickets.c.street, tickets.c.category_path)
        .order_by(count.desc(), tickets.c.category_path)
    )
    rows = await database.read(lambda conn: list(conn.execute(query)))
    order = [s for s, _ in await street_volumes(database, month)]
    result: dict[str, list[tuple[str, int]]] = {s: [] for s in order}
    for r in rows:
        bucket = result.setdefault(r.street, [])
        if len(bucket) < top:
            bucket.append((r.category_path, int(r.n)))
    return result


async def governance_streets(database: Database, month: str, *, times: int = 3, top: int = 10) -> list[str]:
    """治理类 streets: in the monthly top ``top`` by volume at least ``times`` times in the six months
    ending with ``month``."""
    tops = []
    for back in range(6):
        tops.append(
            [street for street, _ in (await street_volumes(database, shift_month(month, -back)))[:top]]
        )
    return governance_from_tops(tops, times)


def governance_from_tops(tops: list[list[str]], times: int = 3) -> list[str]:
    """Streets appearing in at least ``times`` of the monthly top lists."""
    seen: dict[str, int] = {}
    for top in tops:
        for street in set(top):
            seen[street] = seen.get(street, 0) + 1
    return sorted(s for s, n in seen.items() if n >= times)


def rates_chart(rates: list[UnitRates]) -> bytes:
    """A PNG bar chart of the three rates per unit (matplotlib, headless)."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    cjk = [f.name for f in font_manager.fontManager.ttflist if "CJK" in f.name]
    if cjk:
        plt.rcParams["font.family"] = [cjk[0], "DejaVu Sans"]
    fig, ax = plt.subplots(figsize=(8, 0.5 + 0.45 * max(1, len(rates))), dpi=100)
    names = [r.unit for r in rates][::-1]
    ys = range(len(names))
    for offset, (label, key) in enumerate(
        (("响应率", "response_rate"), ("解决率", "resolution_rate"), ("满意率", "satisfaction_rate"))
    ):
        values = [getattr(r, key) or 0.0 for r in rates][::-1]
        ax.barh([y + (offset - 1) * 0.27 for y in ys], values, height=0.27, label=label)
    ax.set_yticks(list(ys), names)
    ax.set_xlim(0, 100)
    ax.set_xlabel("%")
    ax.legend(loc="lower right")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()
