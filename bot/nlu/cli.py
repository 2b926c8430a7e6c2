"""``jiesu train``, ``jiesu nlu-eval`` and ``jiesu classify``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from jiesu.settings import Settings


def register(sub: Any) -> None:
    train = sub.add_parser("train", help="train the NLU model from nlu_data/ (never nlu_data/test/)")
    train.add_argument("--data", type=Path, help="training data directory (default nlu_data/)")
    train.add_argument("--config", type=Path, help="pipeline configuration (default config.yml)")
    train.add_argument("--out", type=Path, help="where to write the model (default var/models/nlu.pkl)")
    train.set_defaults(handler=cmd_train)

    ev = sub.add_parser(
        "nlu-eval", help="evaluate the NLU on the held-out test set and by k-fold cross-validation"
    )
    ev.add_argument("--data", type=Path, help="training data directory (default nlu_data/)")
    ev.add_argument("--test", type=Path, help="held-out test set directory (default nlu_data/test/)")
    ev.add_argument("--config", type=Path, help="pipeline configuration (default config.yml)")
    ev.add_argument("--folds", type=int, default=5, help="cross-validation folds (default 5; 0 skips)")
    ev.add_argument(
        "--out", type=Path, default=Path("reports/nlu"), help="report directory (default reports/nlu)"
    )
    ev.set_defaults(handler=cmd_eval)

    cl = sub.add_parser("classify", help="classify a batch of past appeals from a CSV or JSONL file")
    cl.add_argument(
        "--in", dest="infile", type=Path, required=True, help="CSV or JSONL (utf-8, utf-8-sig, GB18030)"
    )
    cl.add_argument("--text-col", required=True, help="the column (CSV) or key (JSONL) holding the message")
    cl.add_argument(
        "--out", type=Path, required=True, help="output JSONL, one object per input row, in order"
    )
    cl.add_argument("--format", choices=["csv", "jsonl"], help="input format (default: from the file name)")
    cl.add_argument("--model", type=Path, help="NLU model (default var/models/nlu.pkl)")
    cl.set_defaults(handler=cmd_classify)


def _fail(message: str, code: int = 1) -> int:
    print(f"错误 / error: {message}", file=sys.stderr)
    return code


def cmd_train(args: argparse.Namespace) -> int:
    from bot.nlu.data import DataError
    from bot.nlu.pipeline_config import ConfigError
    from bot.nlu.train import TrainingError, train_and_save

    settings = Settings.from_env()
    try:
        train_and_save(
            args.data or settings.nlu_data_dir,
            args.config or settings.config_path,
            args.out or settings.model_path,
        )
    except (DataError, ConfigError, TrainingError) as exc:
        return _fail(f"训练失败 (training failed): {exc}")
    except OSError as exc:
        return _fail(f"训练失败 (training failed): {exc}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from bot.nlu.data import DataError
    from bot.nlu.pipeline_config import ConfigError
    from bot.nlu.run_eval import run_evaluation
    from bot.nlu.train import TrainingError

    settings = Settings.from_env()
    data_dir = args.data or settings.nlu_data_dir
    if args.folds == 1 or args.folds < 0:
        return _fail("--folds must be 0 (skip) or at least 2", 2)
    try:
        summary = run_evaluation(
            data_dir,
            args.test or data_dir / "test",
            args.config or settings.config_path,
            args.out,
            folds=args.folds,
        )
    except (DataError, ConfigError, TrainingError, OSError) as exc:
        return _fail(f"评估失败 (evaluation failed): {exc}")
    print(summary)
    return 0


def cmd_classify(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from bot.nlu.batch import BatchInputError, read_rows, record
    from bot.nlu.model import ModelError, NLUModel

    settings = Settings.from_env()
    try:
        model = NLUModel.load(args.model or settings.model_path)
        rows = list(read_rows(args.infile, args.text_col, args.format))
    except (ModelError, BatchInputError) as exc:
        return _fail(str(exc), 2)
    try:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with args.out.open("w", encoding="utf-8") as out:
            for row, text in enumerate(tqdm(rows, desc="分类", unit="条", mininterval=0.5)):
                out.write(json.dumps(record(row, text, model), ensure_ascii=False) + "\n")
    except OSError as exc:
        return _fail(f"cannot write {args.out}: {exc.strerror or exc}")
    print(f"{len(rows)} 行 → {args.out}")
    return 0
