"""Reading Rasa NLU YAML: appeal metadata, inline annotations, regexes, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.nlu.data import DataError, load_files, load_training
from bot.nlu.pipeline_config import ConfigError, PipelineConfig

ROOT = Path(__file__).resolve().parents[2]


def _write(path: Path, text: str) -> Path:
    path.write_text('version: "3.1"\nnlu:\n' + text, encoding="utf-8")
    return path


def test_appeal_blocks_annotations_and_regexes(tmp_path: Path) -> None:
    source = _write(
        tmp_path / "a.yml",
        "- intent: report_problem\n"
        "  metadata: {category: 城乡建设 / 城市建设和市政管理 / 冬季采暖, appeal_type: 求助}\n"
        "  examples: |\n"
        "    - [朝阳区](address)的暖气不热\n"
        '    - 家里暖气冰凉[望京]{"entity": "address"}\n'
        "- intent: report_problem\n"
        "  metadata: {category: 民政/社会救助/低保, appeal_type: 求助需求}\n"
        "  examples: |\n"
        "    - 低保怎么申请\n"
        "- regex: time\n"
        "  examples: |\n"
        "    - \\d{1,2}[点时]\n"
        "- synonym: 违法建设\n"
        "  examples: |\n"
        "    - 违建\n",
    )
    data = load_files([source])
    assert [e.text for e in data.examples] == ["朝阳区的暖气不热", "家里暖气冰凉望京", "低保怎么申请"]
    assert data.examples[0].category == "城乡建设/城市建设和市政管理/冬季采暖"
    assert data.examples[0].appeal_type == "求助"
    assert data.examples[2].appeal_type is None and "求助需求" in data.warnings[0]
    assert data.regexes == {"time": [r"\d{1,2}[点时]"]}
    assert data.synonyms == {"违建": "违法建设"}


@pytest.mark.parametrize(
    "block",
    [
        "- intent: report_problem\n  metadata: {category: 城乡建设/采暖}\n  examples: |\n    - 不热\n",
        "- regex: time\n  examples: |\n    - (unclosed\n",
        "- intent: greet\n  metadata: [1, 2]\n  examples: |\n    - 你好\n",
    ],
)
def test_malformed_blocks_name_the_file(tmp_path: Path, block: str) -> None:
    with pytest.raises(DataError, match=r"bad\.yml"):
        load_files([_write(tmp_path / "bad.yml", block)])


def test_the_project_data_loads_and_covers_every_dialogue_intent() -> None:
    data = load_training(ROOT / "nlu_data")
    counts: dict[str, int] = {}
    for example in data.examples:
        counts[example.intent] = counts.get(example.intent, 0) + 1
    dialogue = [
        "greet", "goodbye", "thank", "affirm", "deny", "handoff", "query_status", "inform",
        "anonymous", "correct", "stop", "ask_capability", "out_of_scope",
    ]  # fmt: skip
    assert all(counts.get(intent, 0) >= 40 for intent in dialogue), counts
    assert counts.get("report_problem", 0) > 0
    assert {"phone", "landline", "id_number", "ticket_id", "time"} <= set(data.regexes)


def test_config_rejects_unknown_components(tmp_path: Path) -> None:
    config = tmp_path / "config.yml"
    config.write_text("pipeline:\n  - name: Normalizer\n  - name: BertFeaturizer\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="BertFeaturizer"):
        PipelineConfig.load(config)
    assert PipelineConfig.load(ROOT / "config.yml").emergency["119"]
