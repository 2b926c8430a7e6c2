"""The duty catalogue: loading, validation errors, the problem matcher, and the lexicons for the NLU."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from routing import lexicon
from routing.catalogue import Catalogue, CatalogueError, ProblemMatcher, load_taxonomy, normalize

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "routing_rules"

GOOD_ITEM: dict[str, Any] = {
    "id": "SZ-LD-001",
    "name": "路灯不亮",
    "category": "城乡建设/城市建设和市政管理/城市公共设施",
    "keywords": ["路灯", "路灯不亮"],
    "synonyms": ["灯杆"],
    "level": "B",
    "unit_kind": "street",
    "units": ["{street}"],
    "co_units": [],
    "mode": "direct",
    "tier": "24h",
    "appeal_types": ["投诉", "求助"],
    "emergency": None,
    "legal_channel": None,
}


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue.load(RULES)


@pytest.fixture(scope="module")
def matcher(catalogue: Catalogue) -> ProblemMatcher:
    return ProblemMatcher(catalogue)


def _rules(tmp_path: Path, items: list[dict[str, Any]], version: str = "2026.11.1") -> Path:
    rules = tmp_path / "rules"
    (rules / "catalogue").mkdir(parents=True)
    shutil.copy(RULES / "taxonomy.csv", rules / "taxonomy.csv")
    doc = {"version": version, "items": items}
    (rules / "catalogue" / "test.yml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return rules


# --------------------------------------------------------------------------- loading


def test_the_real_catalogue_loads_and_is_filed_under_taxonomy_leaves(catalogue: Catalogue) -> None:
    leaves = load_taxonomy(RULES)
    assert len(leaves) == 517
    assert len(catalogue.items) >= 150
    assert catalogue.version == "2026.11.1"
    assert all(item.category in leaves for item in catalogue.items)
    street_light = catalogue.by_id["SZ-LD-001"]
    assert street_light.units == ("{street}",) and street_light.tier == "24h"
    assert street_light in catalogue.by_leaf[street_light.category]


def test_a_good_item_loads(tmp_path: Path) -> None:
    loaded = Catalogue.load(_rules(tmp_path, [GOOD_ITEM]))
    assert [i.id for i in loaded.items] == ["SZ-LD-001"]
    assert loaded.items[0].source == "test.yml"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"tier": "3d"}, "未知的 tier '3d'"),
        ({"level": "E"}, "未知的 level 'E'"),
        ({"mode": "triple"}, "未知的 mode 'triple'"),
        ({"unit_kind": "ministry"}, "未知的 unit_kind"),
        ({"category": "城乡建设/城市建设和市政管理/不存在的分类"}, "不是分类表的三级分类"),
        ({"category": "城乡建设/城市建设和市政管理"}, "不是分类表的三级分类"),
        ({"mode": "dual", "co_units": []}, "co_units"),
        ({"units": ["{town}"]}, "占位符 {town} 未知"),
        ({"units": []}, "units 不能为空"),
        ({"keywords": "路灯"}, "keywords 应为非空字符串列表"),
        ({"appeal_types": ["抱怨"]}, "未知的 appeal_type '抱怨'"),
        ({"emergency": "999"}, "未知的 emergency '999'"),
        ({"legal_channel": "上访"}, "未知的 legal_channel"),
        ({"id": "lowercase"}, "id 'lowercase' 格式不对"),
    ],
)
def test_a_bad_item_is_named_with_its_file_and_id(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    second = {**GOOD_ITEM, "id": "SZ-LD-002", **change}
    with pytest.raises(CatalogueError) as caught:
        Catalogue.load(_rules(tmp_path, [GOOD_ITEM, second]))
    text = str(caught.value)
    assert message in text
    assert "test.yml" in text and "第 2 项" in text


def test_missing_keys_duplicates_and_versions_are_errors(tmp_path: Path) -> None:
    incomplete = {k: v for k, v in GOOD_ITEM.items() if k not in ("tier", "units")}
    with pytest.raises(CatalogueError, match=r"缺少字段 \(missing keys\): units, tier"):
        Catalogue.load(_rules(tmp_path / "a", [incomplete]))
    with pytest.raises(CatalogueError, match="SZ-LD-001 重复"):
        Catalogue.load(_rules(tmp_path / "b", [GOOD_ITEM, GOOD_ITEM]))
    rules = _rules(tmp_path / "c", [GOOD_ITEM])
    other = {"version": "2027.1", "items": [{**GOOD_ITEM, "id": "SZ-LD-009"}]}
    (rules / "catalogue" / "other.yml").write_text(
        yaml.safe_dump(other, allow_unicode=True), encoding="utf-8"
    )
    with pytest.raises(CatalogueError, match="version 不一致"):
        Catalogue.load(rules)
    (rules / "catalogue" / "other.yml").write_text("items: [\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"other\.yml: 不是合法的 YAML"):
        Catalogue.load(rules)
    with pytest.raises(OSError, match="cannot read the taxonomy"):
        Catalogue.load(tmp_path / "nowhere")
    shutil.rmtree(rules / "catalogue")
    with pytest.raises(OSError, match="no catalogue"):
        Catalogue.load(rules)


def test_normalize_folds_traditional_full_width_and_case() -> None:
    assert normalize("路燈壞了ＡＢＣ１２３") == "路灯坏了abc123"
    assert len(normalize("樓下　路燈")) == len("樓下　路燈")


# --------------------------------------------------------------------------- matching

TYPICAL = [
    ("我家楼下的路灯坏了一个星期了，晚上特别黑", "SZ-LD-001"),
    ("小区门口井盖丢了一个，特别危险", "SZ-JG-002"),
    ("楼上邻居装修噪音太大，晚上十点还在砸墙", "HB-ZY-003"),
    ("家里暖气一点都不热，屋里才十五度", "GY-GN-015"),
    ("公司拖欠我三个月工资不给", "LD-GZ-001"),
    ("我想问一下公租房怎么申请", "FW-BZ-008"),
    ("饭店后厨卫生太差，吃坏肚子了", "WS-SP-007"),
    ("停水了一整天也没有通知", "GY-TS-001"),
    ("小区里有人私搭乱建", "FW-JZ-033"),
    ("路面塌陷了一个大坑", "SZ-DL-005"),
    ("有人在小区门口打架", "GA-ZA-001"),
]


@pytest.mark.parametrize(("text", "item_id"), TYPICAL)
def test_the_matcher_picks_the_right_item_for_typical_texts(
    matcher: ProblemMatcher, text: str, item_id: str
) -> None:
    best = matcher.match(text)[0]
    assert best.item.id == item_id, [(m.item.id, m.score, m.hits) for m in matcher.match(text)]
    assert best.keyword_evidence


def test_traditional_characters_and_typos_still_match(matcher: ProblemMatcher) -> None:
    assert matcher.match("樓下路燈壞了")[0].item.id == "SZ-LD-001"
    typo = matcher.match("小区门口井概丢了一个")[0]  # 井盖 misspelt
    assert typo.item.id == "SZ-JG-002" and typo.fuzzy == ("井盖丢了",) and not typo.hits
    # A wrong first or last character is another word, not a typo.
    assert all("承包合同" not in m.fuzzy for m in matcher.match("签了全包合同，装修公司跑了"))
    assert all("搬家公司" not in m.fuzzy for m in matcher.match("被一家公司拿去做广告"))
    # Two halves of a four-character word a few characters apart.
    gapped = matcher.match("公司拖欠我三个月工资")[0]
    assert gapped.item.id == "LD-GZ-001" and gapped.fuzzy == ("拖欠工资",)


def test_longest_keyword_wins_over_its_parts(matcher: ProblemMatcher) -> None:
    spans = [word for _, _, word in matcher.scan("楼下路灯不亮了")]
    assert spans == ["路灯不亮了"]


def test_the_nlu_leaf_is_a_strong_prior(matcher: ProblemMatcher) -> None:
    leaf = {"l1": "城乡建设", "l2": "城市建设和市政管理", "l3": "冬季采暖", "score": 0.9}
    assert matcher.match("这个情况一直没人管") == []
    guided = matcher.match("这个情况一直没人管", leaf)
    assert guided and guided[0].item.category == "城乡建设/城市建设和市政管理/冬季采暖"
    assert not guided[0].keyword_evidence and guided[0].score == pytest.approx(0.63)
    # The words decide within the leaf, and a sure leaf outweighs a synonym of another leaf.
    assert matcher.match("暖气费怎么退", leaf)[0].item.name == "供暖费报停"
    alternative = {**leaf, "score": 0.5}
    ranked = matcher.match("屋里冷", None, [alternative])
    assert ranked[0].item.id == "GY-GN-015" and ranked[0].prior == pytest.approx(0.175)


def test_an_appeal_type_the_item_does_not_take_lowers_it(matcher: ProblemMatcher) -> None:
    plain = matcher.match("路灯不亮")[0]
    praise = matcher.match("路灯不亮", appeal_type="表扬")[0]
    assert praise.item.id == plain.item.id and praise.score < plain.score


def test_the_matcher_is_fast(matcher: ProblemMatcher) -> None:
    texts = [t for t, _ in TYPICAL] * 20
    leaf = {"l1": "城乡建设", "l2": "城市建设和市政管理", "l3": "城市公共设施", "score": 0.6}
    start = time.perf_counter()
    for text in texts:
        matcher.match(text, leaf)
    per_message = (time.perf_counter() - start) / len(texts)
    assert per_message < 0.3e-3, f"{per_message * 1e3:.3f} ms per message"


# --------------------------------------------------------------------------- lexicons


def test_lexicons_for_the_nlu(tmp_path: Path) -> None:
    terms = lexicon.problem_terms(RULES)
    assert {"路灯", "路灯不亮", "黑灯瞎火", "拖欠工资"} <= set(terms)
    assert terms == sorted(set(terms))
    by_leaf = lexicon.category_terms(RULES)
    words = by_leaf["城乡建设/城市建设和市政管理/城市公共设施"]
    assert words[0] == "路灯不亮" and "井盖" in words and len(words) == len(set(words))
    with pytest.raises(OSError):
        lexicon.place_names(tmp_path / "no-gazetteer")
    with pytest.raises(OSError):
        lexicon.problem_terms(tmp_path)
    # A catalogue that does not validate still gives the NLU the words of its well-formed items.
    rules = _rules(
        tmp_path / "half", [GOOD_ITEM, {**GOOD_ITEM, "id": "SZ-LD-002", "tier": "3d", "name": "灯坏"}]
    )
    (rules / "catalogue" / "broken.yml").write_text("items: [\n", encoding="utf-8")
    with pytest.raises(CatalogueError):
        Catalogue.load(rules)
    assert lexicon.category_terms(rules) == {
        "城乡建设/城市建设和市政管理/城市公共设施": ["路灯不亮", "路灯", "灯杆", "灯坏"]
    }
