"""The dispatch backend's framework-free core: calendar and clock, state machine, scores, passwords, units."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest

from dispatch.accounts import hash_password, verify_password
from dispatch.lifecycle import IllegalTransition, after_rating, plan
from dispatch.stats import case_score, governance_from_tops, shift_month
from dispatch.units import guess_kind
from dispatch.workcal import BEIJING, add_workdays, covered, deadline_for, is_workday, light


def test_statutory_holidays_and_makeup_workdays() -> None:
    assert not is_workday(date(2026, 10, 1))  # National Day
    assert is_workday(date(2026, 10, 10))  # a Saturday made a workday (调休)
    assert is_workday(date(2026, 9, 20))  # a Sunday made a workday
    assert not is_workday(date(2026, 9, 25))  # Mid-Autumn Festival, a Friday


def test_seven_workdays_skip_the_golden_week() -> None:
    received = datetime(2026, 9, 30, 10, 0, tzinfo=BEIJING)
    due = deadline_for("7d", received)
    assert due == datetime(2026, 10, 15, 23, 59, 59, tzinfo=BEIJING)  # Oct 8, 9, 10 (Sat), 12–15


def test_urgent_tiers_run_on_the_natural_clock() -> None:
    received = datetime(2026, 10, 1, 9, 0, tzinfo=BEIJING)
    assert deadline_for("2h", received) == received + timedelta(hours=2)
    assert deadline_for("24h", received) == received + timedelta(hours=24)


def test_beyond_the_calendar_data_falls_back_to_weekends() -> None:
    assert covered(date(2026, 12, 31)) and not covered(date(2027, 1, 4))
    assert not is_workday(date(2027, 1, 2)) and is_workday(date(2027, 1, 4))
    received = datetime(2026, 12, 31, 15, 0, tzinfo=BEIJING)
    assert add_workdays(received, 7).date() == date(2027, 1, 11)


def test_traffic_light() -> None:
    start = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
    deadline = start + timedelta(hours=24)
    assert light(start, deadline, start + timedelta(hours=11)) == "green"
    assert light(start, deadline, start + timedelta(hours=12)) == "yellow"
    assert light(start, deadline, deadline) == "red"


def test_state_machine_moves_and_refuses() -> None:
    assert plan("accept", "dispatched", "handler") == "accepted"
    assert plan("resolve", "in_progress", "handler") == "resolved"
    assert plan("dispatch", "returned", "agent") == "dispatched"
    assert plan("request_extension", "accepted", "handler") == "accepted"
    with pytest.raises(IllegalTransition) as illegal:
        plan("resolve", "dispatched", "handler")
    assert illegal.value.code == "illegal_transition" and "已派" in illegal.value.message
    with pytest.raises(IllegalTransition) as forbidden:
        plan("dispatch", "pending", "handler")
    assert forbidden.value.code == "forbidden"
    assert after_rating("不满意") == "in_progress" and after_rating("基本满意") == "visited"
    with pytest.raises(IllegalTransition):
        after_rating("还行")


def _case(**overrides: object) -> SimpleNamespace:
    at = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    values: dict[str, object] = {
        "tier": "24h",
        "status": "visited",
        "dispatched_at": at,
        "accepted_at": at + timedelta(minutes=30),
        "resolved_at": at + timedelta(hours=10),
        "deadline": at + timedelta(hours=24),
        "reopens": 0,
        "returns": 0,
        "reminders": 0,
        "rating": "满意",
    }
    values.update(overrides)
    return SimpleNamespace(**values)


def test_case_score_weights() -> None:
    assert case_score(_case()) == 100.0
    # 基本满意: 10 + 20 + 30 + 0.4 × 80
    assert case_score(_case(rating="基本满意")) == 92.0
    # signed late (60), one return (70), resolved late (60), 不满意 (0)
    late = _case(
        accepted_at=datetime(2026, 11, 2, 15, 0, tzinfo=UTC),
        resolved_at=datetime(2026, 11, 4, 9, 0, tzinfo=UTC),
        returns=1,
        rating="不满意",
    )
    assert case_score(late) == pytest.approx((10 * 60 + 20 * 70 + 30 * 60 + 40 * 0) / 100)
    # unrated: the first three, reweighted
    assert case_score(_case(rating=None, status="resolved")) == 100.0


def test_governance_streets_three_times_in_six_months() -> None:
    tops = [["望京街道", "酒仙桥街道"], ["望京街道"], ["酒仙桥街道"], ["望京街道"], [], ["酒仙桥街道"]]
    assert governance_from_tops(tops) == ["望京街道", "酒仙桥街道"]
    assert governance_from_tops(tops[:4]) == ["望京街道"]
    assert shift_month("2026-02", -3) == "2025-11"


def test_passwords_are_salted_scrypt() -> None:
    stored = hash_password("correct horse")
    assert stored.startswith("scrypt$") and stored != hash_password("correct horse")
    assert verify_password("correct horse", stored)
    assert not verify_password("wrong horse", stored)
    assert not verify_password("x", "md5$abc")


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("望京街道办事处", "street"),
        ("朝阳区城市管理委员会", "district_department"),
        ("北京市自来水集团有限责任公司", "enterprise"),
        ("北京市交通委员会", "city_department"),
        ("南口镇人民政府", "street"),
    ],
)
def test_unit_kind_from_its_name(name: str, kind: str) -> None:
    assert guess_kind(name) == kind
