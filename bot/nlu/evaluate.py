"""Honest evaluation: k-fold cross-validation on the training data and the separate held-out test set
(nlu_data/test/, written by someone else and never trained on)."""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold
from tqdm import tqdm

from bot.nlu.data import Example
from bot.nlu.model import NLUModel


@dataclass
class Predictions:
    """Gold and predicted labels, per task; appeals only for category and appeal type."""

    intent_gold: list[str] = field(default_factory=list)
    intent_pred: list[str] = field(default_factory=list)
    leaf_gold: list[str] = field(default_factory=list)
    leaf_pred: list[str] = field(default_factory=list)
    type_gold: list[str] = field(default_factory=list)
    type_pred: list[str] = field(default_factory=list)

    def add(self, model: NLUModel, examples: Sequence[Example]) -> None:
        for example in examples:
            parse = model.parse(example.text, categorise=example.category is not None)
            self.intent_gold.append(example.intent)
            self.intent_pred.append(parse.intent.name)
            if example.category:
                self.leaf_gold.append(example.category)
                self.leaf_pred.append(parse.category.path if parse.category else "?/?/?")
                if example.appeal_type:
                    self.type_gold.append(example.appeal_type)
                    self.type_pred.append(parse.appeal_type or "?")

    @property
    def l1_gold(self) -> list[str]:
        return [leaf.split("/", 1)[0] for leaf in self.leaf_gold]

    @property
    def l1_pred(self) -> list[str]:
        return [leaf.split("/", 1)[0] for leaf in self.leaf_pred]


@dataclass(frozen=True)
class ClassScore:
    label: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass
class Scores:
    name: str
    n_messages: int
    n_appeals: int
    intent_accuracy: float
    l1_accuracy: float
    l1_macro_f1: float
    l3_accuracy: float
    type_macro_f1: float
    l1_classes: list[ClassScore]
    type_classes: list[ClassScore]
    intent_classes: list[ClassScore]
    l1_confused: list[tuple[str, str, int]]
    leaf_confused: list[tuple[str, str, int]]
    intent_confused: list[tuple[str, str, int]]
    l1_labels: list[str]
    l1_gold: list[str]
    l1_pred: list[str]


def _per_class(gold: list[str], pred: list[str]) -> list[ClassScore]:
    labels = sorted(set(gold))
    if not labels:
        return []
    p, r, f, s = precision_recall_fscore_support(gold, pred, labels=labels, zero_division=0)
    return [
        ClassScore(label, float(p[i]), float(r[i]), float(f[i]), int(s[i])) for i, label in enumerate(labels)
    ]


def _confused(gold: list[str], pred: list[str], top: int = 10) -> list[tuple[str, str, int]]:
    pairs = Counter((g, p) for g, p in zip(gold, pred, strict=True) if g != p)
    return [(g, p, n) for (g, p), n in pairs.most_common(top)]


def _macro_f1(gold: list[str], pred: list[str]) -> float:
    if not gold:
        return float("nan")
    return float(f1_score(gold, pred, labels=sorted(set(gold)), average="macro", zero_division=0))


def _accuracy(gold: list[str], pred: list[str]) -> float:
    return float(accuracy_score(gold, pred)) if gold else float("nan")


def score(name: str, predictions: Predictions) -> Scores:
    p = predictions
    l1_gold, l1_pred = p.l1_gold, p.l1_pred
    return Scores(
        name=name,
        n_messages=len(p.intent_gold),
        n_appeals=len(p.leaf_gold),
        intent_accuracy=_accuracy(p.intent_gold, p.intent_pred),
        l1_accuracy=_accuracy(l1_gold, l1_pred),
        l1_macro_f1=_macro_f1(l1_gold, l1_pred),
        l3_accuracy=_accuracy(p.leaf_gold, p.leaf_pred),
        type_macro_f1=_macro_f1(p.type_gold, p.type_pred),
        l1_classes=_per_class(l1_gold, l1_pred),
        type_classes=_per_class(p.type_gold, p.type_pred),
        intent_classes=_per_class(p.intent_gold, p.intent_pred),
        l1_confused=_confused(l1_gold, l1_pred),
        leaf_confused=_confused(p.leaf_gold, p.leaf_pred),
        intent_confused=_confused(p.intent_gold, p.intent_pred),
        l1_labels=sorted(set(l1_gold) | set(l1_pred)),
        l1_gold=l1_gold,
        l1_pred=l1_pred,
    )


def cross_validate(
    examples: Sequence[Example],
    fit: Callable[[Sequence[Example]], NLUModel],
    folds: int = 5,
    seed: int = 13,
    progress: bool = True,
) -> Predictions:
    """Pooled out-of-fold predictions of ``folds``-fold stratified cross-validation (by leaf for
    appeals, by intent otherwise)."""
    strata = [e.category or e.intent for e in examples]
    predictions = Predictions()
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    with warnings.catch_warnings():  # leaves with fewer examples than folds are expected
        warnings.filterwarnings("ignore", message="The least populated class", category=UserWarning)
        splits = list(splitter.split(strata, strata))
    for train_rows, test_rows in tqdm(splits, desc=f"{folds} 折交叉验证", unit="折", disable=not progress):
        model = fit([examples[i] for i in train_rows])
        predictions.add(model, [examples[i] for i in test_rows])
    return predictions


def evaluate_test(model: NLUModel, examples: Sequence[Example], progress: bool = True) -> Predictions:
    predictions = Predictions()
    for example in tqdm(examples, desc="测试集", unit="条", disable=not progress, mininterval=0.5):
        predictions.add(model, [example])
    return predictions


def headline(scores: Scores) -> dict[str, float]:
    return {
        "L1 accuracy": scores.l1_accuracy,
        "L1 macro-F1": scores.l1_macro_f1,
        "appeal-type macro-F1": scores.type_macro_f1,
        "intent accuracy": scores.intent_accuracy,
        "L3 accuracy": scores.l3_accuracy,
    }
