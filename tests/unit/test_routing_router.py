"""The router: every handling branch, unit templates, 12345 desks, tiers, holiday-calendar deadlines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from routing import loader
from routing.catalogue import CatalogueError
from routing.router import Router, TimeLimits

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "routing_rules"
BEIJING = timezone(timedelta(hours=8))
# Wednesday 30 September 2026, 10:00 in Beijing: the last workday before the National Day holiday
# (1–7 October; Saturday 10 October is a make-up workday).
BEFORE_NATIONAL_DAY = datetime(2026, 9, 30, 10, 0, tzinfo=BEIJING)

WANGJING: dict[str, Any] = {
    "province": "北京市",
    "city": "北京市",
    "district": "朝阳区",
    "district_code": "110105000000",
    "street": "望京街道",
    "street_code": "110105021000",
    "community": "花家地西里社区",
    "community_code": "110105021013",
    "confidence": 0.93,
    "sure": True,
    "alternatives": [],
    "spans": [],
    "out_of_city": None,
}
NO_STREET = {**WANGJING, "street": None, "street_code": None, "community": None, "community_code": None}

CONTRACT_KEYS = {
    "units",
    "co_units",
    "mode",
    "tier",
    "deadline",
    "handling",
    "duty_item",
    "confidence",
    "explanation",
    "rule_id",
    "rules_version",
}


@pytest.fixture(scope="module")
def router() -> Router:
    return Router.load(RULES)


def understand(text: str, appeal_type: str = "投诉", **extra: Any) -> dict[str, Any]:
    return {
        "text": text,
        "appeal_type": appeal_type,
        "category": None,
        "category_alternatives": [],
        "emergency": None,
        "legal_channel": None,
        "entities": [],
        **extra,
    }


def decide(
    router: Router, text: str, jurisdiction: dict[str, Any] | None = WANGJING, **kw: Any
) -> dict[str, Any]:
    decision = router.decide(understand(text, **kw), jurisdiction, BEFORE_NATIONAL_DAY).to_dict()
    assert set(decision) == CONTRACT_KEYS
    return decision


def test_street_duty_goes_to_the_street_of_the_address(router: Router) -> None:
    d = decide(router, "楼下路灯坏了一个星期了")
    assert d["handling"] == "dispatch" and d["units"] == ["朝阳区望京街道"] and d["co_units"] == []
    assert d["mode"] == "direct" and d["tier"] == "24h"
    assert d["deadline"] == "2026-10-01T10:00:00+08:00"  # 24 natural hours, holiday or not
    assert d["duty_item"] == {
        "id": "SZ-LD-001",
        "name": "路灯不亮",
        "category": "城乡建设/城市建设和市政管理/城市公共设施",
    }
    assert d["rule_id"] == "SZ-LD-001" and d["rules_version"] == "2026.11.1"
    assert d["explanation"].startswith("依据职责目录 SZ-LD-001（路灯不亮，2026.11.1版）")
    assert "直派朝阳区望京街道" in d["explanation"] and "时限24小时" in d["explanation"]
    assert 0.6 < d["confidence"] <= 1.0


def test_seven_workdays_skip_the_national_day_holiday(router: Router) -> None:
    d = decide(router, "小区健身器材坏了")  # SZ-GG-003: community, 7 workdays
    assert d["tier"] == "7d"
    # 8, 9, 10 (make-up Saturday), 12, 13, 14, 15 October.
    assert d["deadline"] == "2026-10-15T23:59:59+08:00"
    assert d["units"] == ["朝阳区望京街道花家地西里社区"]


def test_dual_dispatch_fills_the_co_units(router: Router) -> None:
    d = decide(router, "路面塌陷了一个大坑")
    assert d["mode"] == "dual" and d["tier"] == "2h"
    assert d["units"] == ["朝阳区望京街道"] and d["co_units"] == ["朝阳区城市管理委员会"]
    assert "双派" in d["explanation"] and "协同办理" in d["explanation"]
    assert d["deadline"] == "2026-09-30T12:00:00+08:00"


def test_district_departments_city_departments_and_enterprises(router: Router) -> None:
    wages = decide(router, "公司拖欠我三个月工资不给")
    assert wages["units"] == ["朝阳区人力资源和社会保障局"] and wages["tier"] == "15d"
    assert wages["deadline"] == "2026-10-27T23:59:59+08:00"
    power = decide(router, "家里停电了", appeal_type="求助")
    assert power["units"] == ["国网北京市电力公司"] and power["co_units"] == ["朝阳区望京街道"]
    city_wide = decide(router, "停电了", jurisdiction=None, appeal_type="求助")
    assert city_wide["units"] == ["国网北京市电力公司"]
    # The street that would help is unknown: no co-unit, and the desk is told to add it.
    assert city_wide["co_units"] == [] and city_wide["mode"] == "direct"
    assert "协办单位待地址确定后由北京市12345市民服务热线补派" in city_wide["explanation"]


def test_unknown_street_goes_to_the_district_desk_and_says_so(router: Router) -> None:
    d = decide(router, "楼下路灯坏了", jurisdiction=NO_STREET)
    assert d["units"] == ["朝阳区12345分中心"] and d["handling"] == "dispatch"
    assert "未能确定所属街道（乡镇）" in d["explanation"] and "先派朝阳区12345分中心" in d["explanation"]
    sure = decide(router, "楼下路灯坏了")
    assert d["confidence"] < sure["confidence"]
    nowhere = decide(router, "楼下路灯坏了", jurisdiction=None)
    assert nowhere["units"] == ["北京市12345市民服务热线"] and "未能确定所属区" in nowhere["explanation"]


def test_unknown_community_falls_back_to_its_street(router: Router) -> None:
    d = decide(router, "小区健身器材坏了", jurisdiction={**WANGJING, "community": None})
    assert d["units"] == ["朝阳区望京街道"] and "由街道（乡镇）转派" in d["explanation"]


def test_emergency_is_transferred_with_its_number(router: Router) -> None:
    d = decide(router, "楼道里全是烟，好像着火了", emergency="119")
    assert d["handling"] == "transfer_emergency" and d["units"] == ["119火警台"]
    assert "请立即拨打119" in d["explanation"] and d["tier"] == "2h"
    assert d["rule_id"] == "GA-XF-010" and d["duty_item"]["name"] == "火灾（正在发生）"
    bare = decide(router, "快来人啊，出大事了", emergency="120")
    assert bare["rule_id"] == "EMERGENCY-120" and bare["units"] == ["120急救中心"]
    assert "2026.11.1版" in bare["explanation"] and bare["duty_item"] is None
    # The item's own flag counts when its words found it, even if the NLU did not raise one.
    fight = decide(router, "有人在小区门口打架", appeal_type="求助")
    assert fight["handling"] == "transfer_emergency" and fight["rule_id"] == "GA-ZA-001"
    assert "110" in fight["units"][0]
    # ... but not when its words are negated, nor for a complaint about what keeps happening.
    assert decide(router, "楼下没有打架，是邻居吵架", appeal_type="求助")["handling"] != "transfer_emergency"
    assert decide(router, "小区楼下天天有人喝酒打架")["handling"] == "dispatch"
    # A praise or a suggestion is dispatched whatever flag the NLU raised.
    praise = decide(router, "表扬司机，老人晕倒他马上打了120", appeal_type="表扬", emergency="120")
    assert praise["handling"] == "dispatch"
    advice = decide(router, "建议法院的诉讼服务热线多配几个人", appeal_type="建议", legal_channel="诉讼")
    assert advice["handling"] == "dispatch"


def test_legal_matters_are_guided_to_their_channel(router: Router) -> None:
    d = decide(router, "我要起诉我的房东", appeal_type="咨询", legal_channel="诉讼")
    assert d["handling"] == "guide_legal" and d["rule_id"] == "FL-SS-001"
    assert "属诉讼事项" in d["explanation"] and d["units"] == ["朝阳区人民法院"]
    review = decide(router, "对这个处罚决定不服", legal_channel="行政复议")
    assert review["handling"] == "guide_legal" and "行政复议" in review["explanation"]


def test_a_consultation_the_item_answers_is_answered(router: Router) -> None:
    d = decide(router, "我想问一下公租房怎么申请", appeal_type="咨询")
    assert d["handling"] == "answer" and d["rule_id"] == "FW-BZ-008"
    assert "直接答复" in d["explanation"]
    # A complaint about the same item is dispatched; a consultation about an item without 咨询 too.
    assert decide(router, "公租房申请一直不给办")["handling"] == "dispatch"
    assert decide(router, "楼下路灯坏了", appeal_type="咨询")["handling"] == "dispatch"


def test_out_of_city_is_refused_with_the_local_hotline(router: Router) -> None:
    where = {**WANGJING, "out_of_city": {"province": "河北省", "city": "廊坊市", "district": "三河市"}}
    d = decide(router, "楼下路灯坏了", jurisdiction=where)
    assert d["handling"] == "out_of_city" and d["units"] == [] and d["rule_id"] == "OUT-OF-CITY"
    assert "河北省廊坊市三河市" in d["explanation"] and "当地12345" in d["explanation"]
    # A mention the resolver is not sure of ("日照分析") refuses nothing: the place is unknown.
    unsure = {**where, "sure": False, "confidence": 0.12, "district": None, "street": None}
    d = decide(router, "楼下路灯坏了", jurisdiction=unsure)
    assert d["handling"] == "dispatch" and d["units"] == ["北京市12345市民服务热线"]


def test_nothing_found_is_still_a_decision(router: Router) -> None:
    d = decide(router, "你好，我想说个事")
    assert d["duty_item"] is None and d["rule_id"] == "NO-ITEM"
    assert d["units"] == ["朝阳区12345分中心"] and d["tier"] == "7d"
    assert "未找到对应事项" in d["explanation"] and d["confidence"] < 0.3


def test_the_nlu_category_alone_picks_an_item_of_its_leaf(router: Router) -> None:
    leaf = {"l1": "城乡建设", "l2": "城市建设和市政管理", "l3": "冬季采暖", "score": 0.9}
    d = decide(router, "这个情况一直没人管", category=leaf)
    assert d["duty_item"] is not None and d["duty_item"]["category"].endswith("冬季采暖")
    assert "归入“冬季采暖”类" in d["explanation"]
    as_path = decide(router, "这个情况一直没人管", category="城乡建设/城市建设和市政管理/冬季采暖")
    assert as_path["duty_item"] == d["duty_item"]
    assert decide(router, "这个情况一直没人管", category="不是/分类")["rule_id"] == "NO-ITEM"


def test_suggestions_take_the_time_limit_table_tier(router: Router) -> None:
    d = decide(router, "建议这条路多装几个路灯", appeal_type="建议")
    assert d["rule_id"] == "SZ-LD-001" and d["tier"] == "15d" and "时限表" in d["explanation"]


def test_time_limit_table_overrides_and_validation(tmp_path: Path) -> None:
    path = tmp_path / "time_limits.yml"
    path.write_text("default_tier: 15d\noverrides: {SZ-LD-001: 2h}\n", encoding="utf-8")
    limits = TimeLimits.load(path)
    router = Router(Router.load(RULES).catalogue, limits)
    d = router.decide(understand("路灯坏了"), WANGJING, BEFORE_NATIONAL_DAY).to_dict()
    assert d["tier"] == "2h"
    assert router.decide(understand("随便说说"), WANGJING, BEFORE_NATIONAL_DAY).tier == "15d"
    path.write_text("default_tier: 3d\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match="default_tier 的时限 '3d' 未知"):
        TimeLimits.load(path)
    path.write_text("appeal_type_tiers: {抱怨: 7d}\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match="抱怨"):
        TimeLimits.load(path)
    assert TimeLimits.load(tmp_path / "absent.yml").default_tier == "7d"


def test_bad_input_is_a_clear_error(router: Router) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        router.decide(understand("路灯坏了"), WANGJING, datetime(2026, 9, 30, 10))
    with pytest.raises(TypeError, match="understanding must be a dict"):
        router.decide("路灯坏了", WANGJING, BEFORE_NATIONAL_DAY)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="jurisdiction must be a dict"):
        router.decide(understand("路灯坏了"), "朝阳区", BEFORE_NATIONAL_DAY)  # type: ignore[arg-type]


def test_the_loader_builds_once_and_works_without_a_gazetteer(tmp_path: Path) -> None:
    loader.clear_cache()
    resolver, first = loader.load_resolver_and_router(tmp_path / "no-gazetteer", RULES)
    assert resolver is None
    _, second = loader.load_resolver_and_router(tmp_path / "no-gazetteer", RULES)
    assert first is second
    d = first.decide(understand("路灯坏了"), None, datetime(2026, 11, 25, 2, 0, tzinfo=UTC))
    assert d.handling == "dispatch"
    loader.clear_cache()
