"""China's working-day calendar and the time limits (时限) counted on it.

``chinese_calendar`` knows the statutory holidays and the weekend days made workdays (调休) up to
the last year the State Council has published. Beyond that year it raises; we then fall back to
"Monday to Friday are workdays" and say so in ``covered()``, so a deadline is always computable.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import chinese_calendar

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")


def covered(day: date) -> bool:
    """True if the calendar library has holiday data for ``day``'s year."""
    try:
        chinese_calendar.is_workday(day)
    except NotImplementedError:
        return False
    return True


def is_workday(day: date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # beyond the library's data year: weekends only
        return day.weekday() < 5


def add_workdays(start: datetime, days: int) -> datetime:
    """The end (23:59:59 Beijing time) of the ``days``-th workday after the day of ``start``.

    An appeal received on any day, workday or not, is due by the end of the n-th workday that
    follows it: received on Friday with 7 workdays → due the Tuesday after next (no holidays).
    """
    day = start.astimezone(BEIJING).date()
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_workday(day):
            counted += 1
    return datetime.combine(day, time(23, 59, 59), BEIJING)


# Time tiers: (natural duration) or (number of workdays). Urgent tiers run on the natural clock.
TIER_HOURS = {"2h": 2, "24h": 24}
TIER_WORKDAYS = {"7d": 7, "15d": 15}
TIERS = (*TIER_HOURS, *TIER_WORKDAYS)
DEFAULT_TIER = "7d"
TIER_LABELS = {"2h": "2小时", "24h": "24小时", "7d": "7个工作日", "15d": "15个工作日"}


def deadline_for(tier: str, start: datetime) -> datetime:
    if tier in TIER_HOURS:
        return start + timedelta(hours=TIER_HOURS[tier])
    return add_workdays(start, TIER_WORKDAYS[tier])


def extend(deadline: datetime, workdays: int) -> datetime:
    """An approved extension: ``workdays`` more workdays after the current deadline's day."""
    return add_workdays(deadline, workdays)


def light(start: datetime, deadline: datetime, now: datetime) -> str:
    """Traffic light: ``green``, ``yellow`` once half the time is used, ``red`` when overdue."""
    if now >= deadline:
        return "red"
    if now >= start + (deadline - start) / 2:
        return "yellow"
    return "green"
