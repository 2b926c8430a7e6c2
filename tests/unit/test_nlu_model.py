"""The trained model: the Parse contract, short and long inputs, persistence, staleness, and the
compiled scorer against scikit-learn's own arithmetic."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from bot.nlu.data import load_training
from bot.nlu.features import CompiledScorer, JiebaWords
from bot.nlu.model import ModelError, NLUModel
from bot.nlu.pipeline_config import PipelineConfig
from bot.nlu.train import model_is_stale, train_and_save
from bot.nlu.vectorizers import Features
from tests.unit.nlu_fixture import CONFIG, build_data_dir


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[NLUModel, Path, Path]:
    base = tmp_path_factory.mktemp("nlu")
    data_dir = build_data_dir(base / "nlu_data")
    out = base / "model" / "nlu.pkl"
    model = train_and_save(data_dir, CONFIG, out, progress=False)
    return model, data_dir, out


def test_parse_fills_the_contract(trained: tuple[NLUModel, Path, Path]) -> None:
    model = trained[0]
    text = "我家住在朝阳区望京街道花家地西里3号楼，楼下的路灯坏了一个星期了，晚上特别黑，电话13911112222"
    parse = model.parse(text)
    assert parse.text == text
    assert parse.intent.name == "report_problem"
    assert parse.intent_ranking[0] == parse.intent
    scores = [i.score for i in parse.intent_ranking]
    assert scores == sorted(scores, reverse=True) and 0.9 < sum(scores) <= 1.001 and len(scores) <= 10
    assert parse.category is not None and parse.category.l3 == "城市公共设施"
    assert len(parse.category_alternatives) == 3
    assert parse.appeal_type == "投诉" and 0 < parse.appeal_type_score <= 1
    kinds = {e.type: e for e in parse.entities}
    assert kinds["phone"].value == "13911112222"
    assert text[kinds["address"].start : kinds["address"].end] == "朝阳区望京街道花家地西里3号楼"
    assert text[kinds["time"].start : kinds["time"].end].startswith("一个星期")
    data = parse.to_dict()
    assert data["intent"]["name"] == "report_problem"
    assert set(data["category"]) == {"l1", "l2", "l3", "score"}


@pytest.mark.parametrize(
    ("text", "intent"),
    [("你好", "greet"), ("确认", "affirm"), ("不对", "deny"), ("转人工", "handoff"), ("谢谢", "thank")],
)
def test_short_dialogue_messages(trained: tuple[NLUModel, Path, Path], text: str, intent: str) -> None:
    parse = trained[0].parse(text)
    assert parse.intent.name == intent
    assert parse.category is None and parse.appeal_type is None


@pytest.mark.parametrize(
    ("text", "kind"),
    [("13812345678", "phone"), ("朝阳区望京街道花家地西里3号楼", "address"), ("010-62345678", "landline")],
)
def test_a_bare_entity_is_an_answer(trained: tuple[NLUModel, Path, Path], text: str, kind: str) -> None:
    parse = trained[0].parse(text)
    assert parse.intent.name == "inform"
    assert [(e.type, e.start, e.end) for e in parse.entities] == [(kind, 0, len(text))]


def test_traditional_full_width_and_emoji_input(trained: tuple[NLUModel, Path, Path]) -> None:
    text = "公司拖欠我三個月工資不給！！！😡 電話：１３８１２３４５６７８"
    parse = trained[0].parse(text)
    assert parse.category is not None and parse.category.l3 == "拖欠工资"
    phone = next(e for e in parse.entities if e.type == "phone")
    assert phone.value == "13812345678" and text[phone.start : phone.end] == "１３８１２３４５６７８"


def test_flags(trained: tuple[NLUModel, Path, Path]) -> None:
    model = trained[0]
    assert model.parse("楼下饭店着火了，冒黑烟").emergency == "119"
    assert model.parse("楼道里没有着火，就是堆了很多杂物").emergency is None
    assert model.parse("公司拖欠工资，我准备申请劳动仲裁").legal_channel == "仲裁"
    assert model.parse("小区路灯坏了").legal_channel is None


def test_empty_and_unknown_input(trained: tuple[NLUModel, Path, Path]) -> None:
    model = trained[0]
    assert model.parse("").intent.score < 0.9
    assert model.parse("   ").entities == []


def test_save_and_load_round_trip(trained: tuple[NLUModel, Path, Path]) -> None:
    model, _, out = trained
    loaded = NLUModel.load(out)
    text = "暖气不热，屋里才十五度，另外公司拖欠工资三个月了"
    assert loaded.parse(text).to_dict() == model.parse(text).to_dict()


def test_load_rejects_foreign_files(tmp_path: Path) -> None:
    with pytest.raises(ModelError):
        NLUModel.load(tmp_path / "missing.pkl")
    bad = tmp_path / "bad.pkl"
    bad.write_bytes(pickle.dumps({"format": -1}))
    with pytest.raises(ModelError):
        NLUModel.load(bad)


def test_staleness_follows_the_data(trained: tuple[NLUModel, Path, Path]) -> None:
    _, data_dir, out = trained
    assert not model_is_stale(data_dir, CONFIG, out)
    extra = data_dir / "appeals" / "more.yml"
    extra.write_text('version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - 您好呀\n', encoding="utf-8")
    try:
        assert model_is_stale(data_dir, CONFIG, out)
    finally:
        extra.unlink()
    assert not model_is_stale(data_dir, CONFIG, out)


def test_training_never_reads_the_test_set(trained: tuple[NLUModel, Path, Path]) -> None:
    _, data_dir, _ = trained
    test_dir = data_dir / "test"
    test_dir.mkdir()
    (test_dir / "t.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: secret\n  examples: |\n    - 测试\n', "utf-8"
    )
    try:
        assert "secret" not in {e.intent for e in load_training(data_dir).examples}
    finally:
        (test_dir / "t.yml").unlink()
        test_dir.rmdir()


def test_compiled_scorer_matches_scikit_learn(trained: tuple[NLUModel, Path, Path]) -> None:
    data = load_training(trained[1])
    texts = [e.text for e in data.examples]
    labels = [e.intent for e in data.examples]
    config = PipelineConfig.load(CONFIG)
    features = Features(config, JiebaWords(["望京"]))
    x = features.fit_transform(texts)
    clf = LogisticRegression(C=4.0, max_iter=2000).fit(x, labels)
    scorer = CompiledScorer(features, {"intent": clf})
    probe = ["小区门口路灯坏了 望京", "你好", "查一下2026112300012进度", "完全没见过的字句"]
    expected = clf.predict_proba(features.transform(probe))
    for row, text in enumerate(probe):
        got = scorer.probs(scorer.score(text), "intent")
        assert got is not None
        np.testing.assert_allclose(got, expected[row], atol=1e-4)
        assert scorer.classes("intent") == [str(c) for c in clf.classes_]


def test_fast_tokenizer_segments_exactly_like_jieba(trained: tuple[NLUModel, Path, Path]) -> None:
    import jieba

    from bot.nlu.features import FastTokenizer

    reference, fast = jieba.Tokenizer(), FastTokenizer()
    reference.initialize()
    fast.FREQ, fast.total, fast.initialized = dict(reference.FREQ), reference.total, True
    for tokenizer in (reference, fast):
        tokenizer.add_word("花家地西里", freq=20_000)
    texts = [e.text for e in load_training(trained[1]).examples]
    texts += ["住在花家地西里3号楼ABC-12，电话13812345678。。。", "", "a b  c", "隔壁着火了!!!"]
    for text in texts:
        assert fast.lcut(text, HMM=False) == reference.lcut(text, HMM=False), text


def test_several_problems_in_one_message(trained: tuple[NLUModel, Path, Path]) -> None:
    model = trained[0]
    assert model.parse("暖气不热，屋里才十五度，另外公司拖欠工资三个月了").multi_problem
    assert not model.parse("家里暖气不热，另外屋里才十五度，老人冻得受不了").multi_problem
    assert not model.parse("公司拖欠工资三个月了").multi_problem


def test_local_heads_score_like_full_width_heads(trained: tuple[NLUModel, Path, Path]) -> None:
    from bot.nlu.train import fit_on_columns

    data = load_training(trained[1])
    appeals = [e for e in data.examples if e.category and e.category.startswith("城乡建设/")]
    features = Features(PipelineConfig.load(CONFIG), JiebaWords([]))
    x = features.fit_transform([e.text for e in data.examples])
    rows = [i for i, e in enumerate(data.examples) if e in appeals]
    head = fit_on_columns(x[rows], [str(e.category) for e in appeals], 10.0, 13)
    local = CompiledScorer(features, {"leaf": head}, local_share=1.0)
    shared = CompiledScorer(features, {"leaf": head}, local_share=0.0)
    assert "leaf" in local.local and "leaf" in shared.heads
    for text in ["暖气不热屋里冷", "路灯坏了", "公司拖欠工资", ""]:
        a, b = local.probs(local.score(text), "leaf"), shared.probs(shared.score(text), "leaf")
        assert a is not None and b is not None
        np.testing.assert_allclose(a, b, atol=1e-5)


@pytest.mark.parametrize("text", ["", "   ", "😡😡😡", "！！！？？？"])
def test_nothing_to_understand_gets_no_category(trained: tuple[NLUModel, Path, Path], text: str) -> None:
    parse = trained[0].parse(text)
    assert parse.category is None and parse.intent.score < 0.5
