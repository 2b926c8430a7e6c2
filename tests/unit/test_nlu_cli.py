"""``jiesu train``, ``jiesu classify`` and ``jiesu nlu-eval`` through the real command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.nlu.batch import BatchInputError, read_rows
from jiesu.cli import main
from tests.unit.nlu_fixture import CONFIG, build_data_dir

TEST_SET = """version: "3.1"
nlu:
- intent: report_problem
  metadata: {category: 劳动和社会保障/劳动关系/拖欠工资, appeal_type: 投诉}
  examples: |
    - 老板欠了我两个月工资一直拖着
    - 装修队干完活不给工钱
- intent: report_problem
  metadata: {category: 城乡建设/城市建设和市政管理/冬季采暖, appeal_type: 求助}
  examples: |
    - 屋里暖气冰凉，老人受不了
    - 供暖温度不够，家里只有十四度
- intent: greet
  examples: |
    - 您好啊
"""


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("nlu_cli")
    data_dir = build_data_dir(base / "nlu_data")
    model = base / "nlu.pkl"
    assert main(["train", "--data", str(data_dir), "--config", str(CONFIG), "--out", str(model)]) == 0
    return data_dir, model


ROWS = ["公司拖欠我三个月工资，电话13812345678", "", "家里暖气不热，朝阳区望京街道花家地西里3号楼"]


def _classify(model: Path, source: Path, out: Path, col: str = "内容") -> int:
    return main(
        ["classify", "--in", str(source), "--text-col", col, "--out", str(out), "--model", str(model)]
    )


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_classify_csv_in_every_encoding(workspace: tuple[Path, Path], tmp_path: Path, encoding: str) -> None:
    source = tmp_path / "in.csv"
    lines = ["编号,内容"] + [f'{i},"{text}"' for i, text in enumerate(ROWS)]
    source.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    out = tmp_path / "out.jsonl"
    assert _classify(workspace[1], source, out) == 0
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["row"] for r in records] == [0, 1, 2]
    assert records[0]["category"]["l3"] == "拖欠工资"
    assert records[0]["appeal_type"] in {"投诉", "求助", "举报", "咨询"}
    assert records[0]["emergency"] is False and records[0]["legal_channel"] is False
    assert {"type": "phone", "value": "13812345678", "start": 13, "end": 24} in records[0]["entities"]
    assert len(records[0]["alternatives"]) == 3
    assert records[1] == {"row": 1, "error": "empty text"}
    assert records[2]["category"]["l3"] == "冬季采暖"


def test_classify_jsonl(workspace: tuple[Path, Path], tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps({"text": t}, ensure_ascii=False) for t in ROWS), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert _classify(workspace[1], source, out, col="text") == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == 3


def test_classify_bad_input_is_a_clear_error(
    workspace: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "in.csv"
    source.write_text("a,b\n1,2\n", encoding="utf-8")
    assert _classify(workspace[1], source, tmp_path / "o.jsonl") == 2
    assert "内容" in capsys.readouterr().err
    assert _classify(workspace[1], tmp_path / "missing.csv", tmp_path / "o.jsonl") == 2
    assert _classify(tmp_path / "no-model.pkl", source, tmp_path / "o.jsonl") == 2
    broken = tmp_path / "in.jsonl"
    broken.write_text('{"text": "好"}\n{not json\n', encoding="utf-8")
    with pytest.raises(BatchInputError, match="第 2 行"):
        list(read_rows(broken, "text"))


def test_train_reports_bad_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "broken.yml").write_text("nlu: [\n", encoding="utf-8")
    assert (
        main(["train", "--data", str(data), "--config", str(CONFIG), "--out", str(tmp_path / "m.pkl")]) == 1
    )
    assert "broken.yml" in capsys.readouterr().err


def test_nlu_eval_writes_a_report(workspace: tuple[Path, Path], tmp_path: Path) -> None:
    data_dir = workspace[0]
    test_dir = tmp_path / "test"
    test_dir.mkdir()
    (test_dir / "appeals.yml").write_text(TEST_SET, encoding="utf-8")
    out = tmp_path / "report"
    args = ["nlu-eval", "--data", str(data_dir), "--test", str(test_dir), "--config", str(CONFIG)]
    assert main([*args, "--folds", "2", "--out", str(out)]) == 0
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "2-fold cross-validation" in report and "held-out test set" in report
    assert "L1 accuracy" in report and "Most confused" in report
    assert (out / "confusion_l1_1.png").stat().st_size > 1000
    assert (out / "confusion_l1_2.png").stat().st_size > 1000
