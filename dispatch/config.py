"""Knobs of the dispatch backend, from the environment (JIESU_DISPATCH_*)."""

from __future__ import annotations

import os
from dataclasses import dataclass


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


@dataclass(frozen=True)
class DispatchConfig:
    # Same place + same duty item within this window → one problem with many reporters.
    duplicate_window_hours: int = 72
    # How often the SLA sweep (reminders, escalation, 挂账 reminders) runs; 0 = never in-process.
    sweep_interval_seconds: int = 60
    # 挂账 tickets: a reminder to the unit every this many days.
    tracked_reminder_days: int = 7
    session_hours: int = 12

    @classmethod
    def from_env(cls) -> DispatchConfig:
        base = cls()
        return cls(
            duplicate_window_hours=_int("JIESU_DISPATCH_DUPLICATE_WINDOW_HOURS", base.duplicate_window_hours),
            sweep_interval_seconds=_int("JIESU_DISPATCH_SWEEP_INTERVAL_SECONDS", base.sweep_interval_seconds),
            tracked_reminder_days=_int("JIESU_DISPATCH_TRACKED_REMINDER_DAYS", base.tracked_reminder_days),
            session_hours=_int("JIESU_DISPATCH_SESSION_HOURS", base.session_hours),
        )
