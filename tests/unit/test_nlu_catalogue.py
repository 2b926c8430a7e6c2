"""The duty catalogue as a keyword prior for the category heads."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from bot.nlu.catalogue import category_terms
from bot.nlu.data import Example
from bot.nlu.pipeline_config import PipelineConfig
from bot.nlu.train import fit_model
from tests.unit.nlu_fixture import CONFIG

CATALOGUE = """version: "1"
items:
- id: MZ-1
  name: 城镇低保
  category: 民政/社会救助/城镇低保
  keywords: [低保, 最低生活保障, 低保金]
  synonyms: [低收入]
- id: BAD
  category: 只有一级
- not an item
"""


def test_reads_catalogue_files_and_skips_bad_items(tmp_path: Path) -> None:
    (tmp_path / "catalogue").mkdir()
    (tmp_path / "catalogue" / "civil.yml").write_text(CATALOGUE, encoding="utf-8")
    (tmp_path / "catalogue" / "broken.yml").write_text("items: [\n", encoding="utf-8")
    assert category_terms(tmp_path) == {
        "民政/社会救助/城镇低保": ["城镇低保", "低保", "最低生活保障", "低保金", "低收入"]
    }
    assert category_terms(tmp_path / "missing") == {}


def test_the_prior_teaches_leaves_no_message_names() -> None:
    examples = [
        Example("家里暖气不热", "report_problem", "城乡建设/城市建设和市政管理/冬季采暖", "求助"),
        Example("暖气片冰凉屋里冷", "report_problem", "城乡建设/城市建设和市政管理/冬季采暖", "投诉"),
        Example("公司拖欠工资", "report_problem", "劳动和社会保障/劳动关系/拖欠工资", "投诉"),
        Example("老板不发工资", "report_problem", "劳动和社会保障/劳动关系/拖欠工资", "投诉"),
        Example("你好", "greet"),
        Example("您好", "greet"),
    ]
    prior = {"民政/社会救助/城镇低保": ["低保", "低保申请", "最低生活保障", "低保金", "低保户"]}
    base = PipelineConfig.load(CONFIG)
    config = dataclasses.replace(base, catalogue_weight=1.0, catalogue_new_leaves=True, min_df=1)
    model = fit_model(config, examples, regexes={}, places=[], terms=[], synonyms={}, prior=prior)
    parse = model.parse("我想申请低保，怎么办理", categorise=True)
    assert parse.category is not None and parse.category.l1 == "民政"
    without = fit_model(
        dataclasses.replace(config, catalogue_weight=0.0),
        examples,
        regexes={},
        places=[],
        terms=[],
        synonyms={},
        prior=prior,
    )
    assert all(c.l1 != "民政" for c in [without.parse("我想申请低保", categorise=True).category] if c)
