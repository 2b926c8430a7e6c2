"""Parse.to_dict is written out for speed; it must stay equal to the dataclass's own view."""

from __future__ import annotations

from dataclasses import asdict

from bot.nlu.types import CategoryScore, Entity, IntentScore, Parse


def test_to_dict_matches_asdict() -> None:
    parse = Parse(
        text="楼道着火了 13812345678",
        normalized="楼道着火了 13812345678",
        intent=IntentScore("report_problem", 0.9),
        intent_ranking=[IntentScore("report_problem", 0.9), IntentScore("inform", 0.05)],
        appeal_type="求助",
        appeal_type_score=0.7,
        category=CategoryScore("政法", "社会治安", "消防安全", 0.6),
        category_alternatives=[CategoryScore("城乡建设", "安全生产", "安全隐患", 0.2)],
        entities=[Entity("phone", "13812345678", 6, 17, "regex")],
        emergency="119",
        legal_channel=None,
        multi_problem=False,
    )
    assert parse.to_dict() == asdict(parse)
