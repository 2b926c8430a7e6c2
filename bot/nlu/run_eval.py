"""``jiesu nlu-eval``: cross-validation on the training data, then a model trained on all of it
scored on the held-out test set; both written to one report."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from pathlib import Path

from bot.nlu.data import Example, load_files, load_training
from bot.nlu.evaluate import Scores, cross_validate, evaluate_test, headline, score
from bot.nlu.model import NLUModel
from bot.nlu.pipeline_config import PipelineConfig
from bot.nlu.report import TARGETS, write_report
from bot.nlu.train import TrainingError, catalogue_prior, fit_model, lexicons


def run_evaluation(
    data_dir: Path, test_dir: Path, config_path: Path, out_dir: Path, *, folds: int = 5, progress: bool = True
) -> str:
    config = PipelineConfig.load(config_path)
    data = load_training(data_dir)
    if not data.examples:
        raise TrainingError(f"no training examples under {data_dir}")
    places, terms = lexicons(data)
    prior = catalogue_prior()

    def fit(examples: Sequence[Example]) -> NLUModel:
        return fit_model(
            config,
            examples,
            regexes=data.regexes,
            places=places,
            terms=terms,
            synonyms=data.synonyms,
            prior=prior,
        )

    sections: list[Scores] = []
    notes = [
        f"Training data: {len(data.examples)} messages ({len(data.appeals)} appeals, "
        f"{len({e.category for e in data.appeals})} leaves) from `{data_dir}`; test set: `{test_dir}`.",
        "The test set is written apart from the training data and never trained on.",
    ]
    if folds:
        cv = cross_validate(data.examples, fit, folds=folds, seed=config.seed, progress=progress)
        sections.append(score(f"{folds}-fold cross-validation (training data)", cv))
    test_files = sorted(test_dir.rglob("*.yml")) if test_dir.is_dir() else []
    test = load_files(test_files).examples if test_files else []
    if test:
        started = time.perf_counter()
        model = fit(data.examples)
        notes.append(
            f"Model for the test set trained on all training data in {time.perf_counter() - started:.1f} s."
        )
        sections.append(score("held-out test set", evaluate_test(model, test, progress=progress)))
    else:
        notes.append(f"No test set found under `{test_dir}`.")
    if not sections:
        raise TrainingError("nothing to evaluate: no folds asked for and no test set")
    report = write_report(out_dir, sections, notes)
    lines = [f"报告 / report: {report}"]
    for section in sections:
        figures = ", ".join(f"{k} {_fmt(v, k)}" for k, v in headline(section).items())
        lines.append(f"{section.name}: {figures}")
    return "\n".join(lines)


def _fmt(value: float, key: str) -> str:
    if math.isnan(value):
        return "n/a"
    target = TARGETS.get(key)
    mark = "" if target is None else (" ✓" if value >= target else f" ✗ (target {target:.2f})")
    return f"{value:.3f}{mark}"
