"""``jiesu route`` through the real command line, on a small NLU model trained for the test."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from jiesu.cli import main
from routing import loader
from routing.route_cli import read_pairs
from tests.unit.nlu_fixture import CONFIG, build_data_dir

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "routing_rules"
NOW = "2026-09-30T10:00:00"  # Beijing time, the last workday before the National Day holiday

ROWS = [
    ("楼下路灯坏了一个星期了，晚上特别黑", "朝阳区望京街道花家地西里3号楼"),
    ("", ""),
    ("公司拖欠我三个月工资不给，电话13812345678", ""),
    ("有人在小区门口打架，快来人", "海淀区中关村"),
]


class FakeResolver:
    """Records what it was asked; knows one street."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def resolve(self, text: str) -> dict[str, Any]:
        self.asked.append(text)
        known = "望京" in text
        return {
            "province": "北京市",
            "city": "北京市",
            "district": "朝阳区" if known else None,
            "district_code": "110105000000" if known else None,
            "street": "望京街道" if known else None,
            "street_code": "110105021000" if known else None,
            "community": None,
            "community_code": None,
            "confidence": 0.9 if known else 0.0,
            "sure": known,
            "alternatives": [],
            "spans": [],
            "out_of_city": None,
        }


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("route_cli")
    data_dir = build_data_dir(base / "nlu_data")
    path = base / "nlu.pkl"
    assert main(["train", "--data", str(data_dir), "--config", str(CONFIG), "--out", str(path)]) == 0
    return path


@pytest.fixture
def fake_resolver(monkeypatch: pytest.MonkeyPatch) -> FakeResolver:
    resolver = FakeResolver()
    router = loader.load_router(RULES)
    monkeypatch.setattr(loader, "load_resolver_and_router", lambda gazetteer, rules: (resolver, router))
    return resolver


def _csv(path: Path, encoding: str = "utf-8", rows: list[tuple[str, str]] = ROWS) -> Path:
    lines = ["编号,内容,地址"] + [f'{i},"{text}","{address}"' for i, (text, address) in enumerate(rows)]
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def _route(model: Path, source: Path, out: Path, *extra: str, col: str = "内容") -> int:
    return main(
        [
            "route",
            "--in",
            str(source),
            "--text-col",
            col,
            "--out",
            str(out),
            "--model",
            str(model),
            "--rules",
            str(RULES),
            "--now",
            NOW,
            *extra,
        ]
    )


def _records(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_route_csv_with_an_address_column(
    model: Path, fake_resolver: FakeResolver, tmp_path: Path, encoding: str
) -> None:
    out = tmp_path / "out.jsonl"
    assert _route(model, _csv(tmp_path / "in.csv", encoding), out, "--address-col", "地址") == 0
    records = _records(out)
    assert [r["row"] for r in records] == [0, 1, 2, 3]
    # The address column when a row has one, the text when it does not.
    assert fake_resolver.asked == [ROWS[0][1], ROWS[2][0], ROWS[3][1]]

    light = records[0]
    assert light["intent"] == "report_problem" and light["category"]["l3"] == "城市公共设施"
    assert light["jurisdiction"]["street"] == "望京街道" and light["jurisdiction"]["sure"] is True
    decision = light["decision"]
    assert decision["units"] == ["朝阳区望京街道"] and decision["handling"] == "dispatch"
    assert decision["tier"] == "24h" and decision["deadline"] == "2026-10-01T10:00:00+08:00"
    assert decision["rule_id"] == "SZ-LD-001" and "2026.11.1版" in decision["explanation"]

    assert records[1] == {"row": 1, "error": "empty text", "jurisdiction": None, "decision": None}

    wages = records[2]
    assert {"type": "phone", "value": "13812345678", "start": 15, "end": 26} in wages["entities"]
    assert wages["decision"]["rule_id"] == "LD-GZ-001"
    assert wages["decision"]["units"] == ["北京市12345市民服务热线"]  # no district in the text
    assert wages["decision"]["deadline"] == "2026-10-27T23:59:59+08:00"  # 15 workdays after the holiday

    assert records[3]["decision"]["handling"] == "transfer_emergency"


def test_route_jsonl_and_without_an_address_column(
    model: Path, fake_resolver: FakeResolver, tmp_path: Path
) -> None:
    source = tmp_path / "in.jsonl"
    lines = [json.dumps({"text": t, "addr": a}, ensure_ascii=False) for t, a in ROWS]
    source.write_text("\n".join(lines), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert _route(model, source, out, col="text") == 0
    assert fake_resolver.asked == [ROWS[0][0], ROWS[2][0], ROWS[3][0]]  # the text: no --address-col
    records = _records(out)
    assert len(records) == 4 and records[0]["decision"]["units"] == ["北京市12345市民服务热线"]


def test_route_without_a_gazetteer_still_decides(model: Path, tmp_path: Path) -> None:
    loader.clear_cache()
    out = tmp_path / "out.jsonl"
    source = _csv(tmp_path / "in.csv")
    assert _route(model, source, out, "--gazetteer", str(tmp_path / "none"), "--address-col", "地址") == 0
    records = _records(out)
    assert records[0]["jurisdiction"] is None
    assert records[0]["decision"]["units"] == ["北京市12345市民服务热线"]
    loader.clear_cache()


def test_route_bad_input_is_a_clear_error(
    model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _csv(tmp_path / "in.csv")
    out = tmp_path / "o.jsonl"
    assert _route(model, source, out, "--address-col", "住址") == 2
    assert "住址" in capsys.readouterr().err
    assert _route(model, source, out, col="正文") == 2
    assert "正文" in capsys.readouterr().err
    assert _route(model, tmp_path / "missing.csv", out) == 2
    assert "missing.csv" in capsys.readouterr().err
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(b"\xff\xfe\x00\xff,\xff\n")
    assert _route(model, garbage, out) == 2
    assert "GB18030" in capsys.readouterr().err
    assert _route(tmp_path / "no-model.pkl", source, out) == 2
    assert main(["route", "--in", str(source), "--text-col", "内容", "--out", str(out), "--now", "昨天"]) == 2
    assert "ISO 8601" in capsys.readouterr().err
    broken = tmp_path / "in.jsonl"
    broken.write_text('{"text": "好"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="'addr'"):
        list(read_pairs(broken, "text", "addr"))


RESOLVER_READY = (
    importlib.util.find_spec("routing.resolver") is not None and (ROOT / "var" / "gazetteer").is_dir()
)


@pytest.mark.skipif(not RESOLVER_READY, reason="routing.resolver or var/gazetteer is not built")
def test_route_end_to_end_with_the_real_resolver(model: Path, tmp_path: Path) -> None:
    loader.clear_cache()
    out = tmp_path / "out.jsonl"
    rows = [
        ("楼下路灯坏了一个星期了", "北京市朝阳区望京街道花家地西里"),
        ("小区健身器材坏了", "朝阳区望京街道花家地西里"),
        ("河北省廊坊市三河市燕郊镇的路灯坏了", ""),
    ]
    source = _csv(tmp_path / "in.csv", rows=rows)
    code = _route(model, source, out, "--address-col", "地址", "--gazetteer", str(ROOT / "var" / "gazetteer"))
    assert code == 0
    light, fitness, elsewhere = _records(out)
    assert light["jurisdiction"]["district"] == "朝阳区" and light["jurisdiction"]["street"] == "望京街道"
    assert light["jurisdiction"]["sure"] is True
    assert light["decision"]["units"] == ["朝阳区望京街道"]
    assert fitness["decision"]["units"][0].startswith("朝阳区望京街道花家地西里社区")
    assert elsewhere["jurisdiction"]["out_of_city"]["city"] == "廊坊市"
    assert elsewhere["decision"]["handling"] == "out_of_city"
    loader.clear_cache()
