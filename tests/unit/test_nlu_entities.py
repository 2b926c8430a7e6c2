"""Entity extractors and normalisation: spans on the original text, values normalised."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.nlu.data import load_training
from bot.nlu.entities import Extractors, FlagFinder, LexiconMatcher, mask
from bot.nlu.normalize import for_features, same_length

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def extractors() -> Extractors:
    data = load_training(ROOT / "nlu_data")
    return Extractors(
        data.regexes, data.lookups.get("place", []), data.lookups.get("problem_term", []), data.synonyms
    )


def _found(extractors: Extractors, text: str) -> list[tuple[str, str, str]]:
    return [(e.type, e.value, text[e.start : e.end]) for e in extractors.extract(same_length(text))]


def test_same_length_keeps_positions() -> None:
    text = "小區門口ＡＢＣ１２３，（路燈）　壞了😡"
    out = same_length(text)
    assert len(out) == len(text)
    assert out.startswith("小区门口ABC123,(路灯) 坏了")


def test_for_features_collapses_noise() -> None:
    assert for_features("路燈壞了！！！！😡😡😡   真的") == "路灯坏了! 真的"
    assert (
        for_features("以经反应问题好几次", {"以经": "已经", "反应问题": "反映问题"}, None)
        == "以经反应问题好几次"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("电话13812345678", [("phone", "13812345678", "13812345678")]),
        ("手机 138-1234-5678 打我", [("phone", "13812345678", "138-1234-5678")]),
        ("座机010-62345678", [("landline", "01062345678", "010-62345678")]),
        ("身份证号110105198803152345", [("id_number", "110105198803152345", "110105198803152345")]),
        ("工单2026112300012到哪了", [("ticket_id", "2026112300012", "2026112300012")]),
    ],
)
def test_numbers(extractors: Extractors, text: str, expected: list[tuple[str, str, str]]) -> None:
    assert [f for f in _found(extractors, text) if f[0] != "problem_term"] == expected


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("昨天晚上十点楼上还在装修", "昨天晚上十点"),
        ("这一个星期天天这样", "这一个星期"),
        ("11月20日下午三点停的水", "11月20日下午三点"),
        ("已经半个月了没人管", "已经半个月了"),
    ],
)
def test_times(extractors: Extractors, text: str, span: str) -> None:
    assert ("time", span, span) in _found(extractors, text)


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("我家住在朝阳区望京街道花家地西里3号楼，楼下太吵", "朝阳区望京街道花家地西里3号楼"),
        ("幸福家园小区5号楼2单元门口漏水", "幸福家园小区5号楼2单元"),
        ("就在建设路18号旁边", "建设路18号"),
        ("我们是张家村的村民", "张家村"),
        ("在海淀区學院路30號", "海淀区學院路30號"),
    ],
)
def test_address_patterns_and_lookups(extractors: Extractors, text: str, span: str) -> None:
    addresses = [f[2] for f in _found(extractors, text) if f[0] == "address"]
    assert addresses == [span]


@pytest.mark.parametrize("text", ["路灯坏了", "马路上全是垃圾", "去医院看病", "小区里太吵了"])
def test_no_address_in_plain_complaints(extractors: Extractors, text: str) -> None:
    assert [f for f in _found(extractors, text) if f[0] == "address"] == []


def test_problem_terms_use_synonyms(extractors: Extractors) -> None:
    found = _found(extractors, "楼上私搭乱建，还有群租")
    assert ("problem_term", "违法建设", "私搭乱建") in found
    assert ("problem_term", "群租房", "群租") in found


def test_lexicon_matcher_takes_the_longest_word() -> None:
    matcher = LexiconMatcher(["望京", "望京西园", "西园"])
    assert matcher.find("住在望京西园三区") == [(2, 6)]


def test_flags_respect_negation() -> None:
    flags = FlagFinder(
        {"emergency": {"119": ["着火"], "120": ["晕倒"]}, "legal": {"仲裁": ["仲裁"]}}, ["没有", "没"], 3
    )
    assert flags.find("厨房着火了") == {"emergency": "119"}
    assert flags.find("没有着火，但是有人晕倒了，要去仲裁") == {"emergency": "120", "legal": "仲裁"}
    assert flags.find("没着火") == {}


def test_emergencies_are_happening_now_not_past_or_possible() -> None:
    flags = FlagFinder(
        {"emergency": {"119": ["着火", "燃气泄漏"]}, "legal": {}},
        ["没有"],
        3,
        hedges=["上次", "差点", "隐患"],
        exceptions=["打不着火"],
    )
    assert flags.find("楼道里着火了，快来人") == {"emergency": "119"}
    assert flags.find("闻到很大的味，可能燃气泄漏了") == {"emergency": "119"}
    assert flags.find("上次楼道着火以后物业还是不清理杂物") == {}
    assert flags.find("电动车在楼道充电差点着火") == {}
    assert flags.find("燃气灶打不着火，找谁修") == {}
    assert flags.find("存在燃气泄漏隐患，但是厨房已经着火了") == {"emergency": "119"}


def test_mask_replaces_entities_with_symbols(extractors: Extractors) -> None:
    same = same_length("朝阳区望京街道3号楼路灯坏了，电话13812345678")
    masked = mask(same, extractors.extract(same), {"address": "◎", "phone": "▣"})
    assert masked == "◎路灯坏了,电话▣"
