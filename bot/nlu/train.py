"""Training: read nlu_data/ (never nlu_data/test/), fit the pipeline of config.yml, save the model."""

from __future__ import annotations

import hashlib
import importlib
import random
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix, vstack
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from tqdm import tqdm

from bot.nlu.catalogue import category_terms
from bot.nlu.data import Example, TrainingData, load_training, yaml_files
from bot.nlu.entities import Extractors, mask
from bot.nlu.features import CompiledScorer, JiebaWords, LinearHead, LinearModel
from bot.nlu.model import INTENT_HEAD, L1_HEAD, LEAF_HEAD, MODEL_FORMAT, REPORT_PROBLEM, TYPE_HEAD, NLUModel
from bot.nlu.normalize import finish, load_typos, same_length
from bot.nlu.pipeline_config import PipelineConfig
from bot.nlu.vectorizers import Features


class TrainingError(ValueError):
    """Nothing to train on, or the data cannot make a model."""


def _routing_lexicon(name: str, path: Path) -> list[str]:
    """Place names or problem terms from routing/, when that part and its data are built."""
    try:
        lexicon = importlib.import_module("routing.lexicon")
    except ImportError:
        return []
    function: Callable[[Path], Sequence[str]] | None = getattr(lexicon, name, None)
    if function is None:
        return []
    try:
        return [str(w) for w in function(path)]
    except (OSError, ValueError):  # the gazetteer or catalogue is half-built: train without it
        return []


def lexicons(data: TrainingData) -> tuple[list[str], list[str]]:
    """(place names, problem terms): routing's gazetteer and duty catalogue plus our own lookups."""
    from jiesu.settings import Settings

    settings = Settings.from_env()
    places = _routing_lexicon("place_names", settings.gazetteer_dir) + data.lookups.get("place", [])
    terms = _routing_lexicon("problem_terms", settings.routing_rules_dir) + data.lookups.get(
        "problem_term", []
    )
    return sorted(set(places)), sorted(set(terms))


def catalogue_prior() -> dict[str, list[str]]:
    """Leaf → the duty catalogue's words for it (``bot.nlu.catalogue``)."""
    from jiesu.settings import Settings

    return category_terms(Settings.from_env().routing_rules_dir)


def _prior_words(prior: dict[str, list[str]]) -> list[str]:
    return [f"{leaf}:{word}" for leaf, words in sorted(prior.items()) for word in words]


def fingerprint(data_dir: Path, config_path: Path, words: Sequence[str]) -> str:
    digest = hashlib.sha256(f"format {MODEL_FORMAT}".encode())
    for path in [*yaml_files(data_dir), config_path]:
        digest.update(
            str(path.relative_to(data_dir) if path.is_relative_to(data_dir) else path.name).encode()
        )
        digest.update(path.read_bytes())
    for word in words:
        digest.update(word.encode())
    return digest.hexdigest()


def _stamp(out_path: Path) -> Path:
    return out_path.with_name(out_path.name + ".fingerprint")


def model_is_stale(data_dir: Path, config_path: Path, out_path: Path) -> bool:
    """True when the model is missing or was trained on other data, config or lexicons."""
    stamp = _stamp(out_path)
    if not out_path.exists() or not stamp.exists():
        return True
    places, terms = lexicons(load_training(data_dir))
    words = places + terms + _prior_words(catalogue_prior())
    return stamp.read_text().strip() != fingerprint(data_dir, config_path, words)


def fit_on_columns(
    x: csr_matrix,
    labels: Sequence[str],
    c: float,
    seed: int,
    solver: tuple[float, int] = (1e-4, 1000),
    sample_weight: NDArray[np.float64] | None = None,
) -> LinearModel:
    """A logistic regression fitted only on the feature columns that occur in ``x``.

    A column that is zero in every training row gets a zero weight under L2 regularisation anyway,
    so dropping it changes nothing but the cost: a first level's leaf head sees a fraction of the
    vocabulary, and L-BFGS's work grows with the number of weights."""
    if len(set(labels)) < 2:
        raise TrainingError("a head needs at least two classes")
    x = x.tocsc()
    columns = np.flatnonzero(np.diff(x.indptr))
    tol, max_iter = solver
    clf = LogisticRegression(C=c, tol=tol, max_iter=max_iter, class_weight="balanced", random_state=seed)
    with warnings.catch_warnings():  # max_iter is a time budget (config.yml); hitting it is expected
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        clf.fit(x[:, columns].tocsr(), list(labels), sample_weight=sample_weight)
    return LinearHead(
        clf.coef_.astype(np.float32),
        clf.intercept_.astype(np.float32),
        [str(k) for k in clf.classes_],
        columns,
    )


def _augment(config: PipelineConfig, masked: list[str], examples: Sequence[Example]) -> list[str]:
    """Extra report_problem rows for the intent head: a share of the appeals with an address, a
    phone number or a time around them ("我家住在◎，…，电话▣"), so that these, which bare answers
    (``inform``) are made of, do not outweigh the problem the message describes."""
    if not config.augment_templates or config.augment_share <= 0:
        return []
    rng = random.Random(config.seed)
    return [
        rng.choice(config.augment_templates).format(text)
        for text, example in zip(masked, examples, strict=True)
        if example.intent == REPORT_PROBLEM and rng.random() < config.augment_share
    ]


def fit_model(
    config: PipelineConfig,
    examples: Sequence[Example],
    *,
    regexes: dict[str, list[str]],
    places: list[str],
    terms: list[str],
    synonyms: dict[str, str],
    prior: dict[str, list[str]] | None = None,
    data_fingerprint: str = "",
    step: Callable[[str], None] = lambda _: None,
) -> NLUModel:
    """Fits the features and the linear heads on ``examples`` and compiles them into a model:
    intents (all messages); for appeals the first level, the leaf within each first level, and the
    appeal type."""
    intents = {e.intent for e in examples}
    if len(intents) < 2:
        raise TrainingError(f"need at least two intents to train, found {sorted(intents) or 'none'}")
    typo_re = load_typos(config.typos)
    extractors = Extractors(regexes, places, terms, synonyms, config.min_place_length)
    masked = []
    for example in examples:
        same = same_length(example.text)
        masked.append(mask(same, extractors.extract(same), config.mask))
    texts = [finish(m, config.typos, typo_re) for m in masked]
    augmented = _augment(config, masked, examples)
    augmented_texts = [finish(m, config.typos, typo_re) for m in augmented]
    known_leaves = {e.category for e in examples if e.category}
    prior_rows = [
        (finish(same_length(word), config.typos, typo_re), leaf)
        for leaf, words in sorted((prior or {}).items())
        if config.catalogue_weight > 0 and (config.catalogue_new_leaves or leaf in known_leaves)
        for word in sorted(set(words))
    ]
    words = JiebaWords(
        [*places, *terms, *synonyms, *synonyms.values()], config.user_word_freq, config.dictionary_top_words
    )
    features = Features(config, words)
    x_every = features.fit_transform(texts + augmented_texts + [text for text, _ in prior_rows])
    x_both = x_every[: len(texts) + len(augmented_texts)]
    x_all = x_every[: len(texts)]
    x_prior = x_every[len(texts) + len(augmented_texts) :]
    step("features")
    heads: dict[str, LinearModel] = {
        INTENT_HEAD: fit_on_columns(
            x_both,
            [e.intent for e in examples] + [REPORT_PROBLEM] * len(augmented_texts),
            config.intent_c,
            config.seed,
            config.solver.get("IntentClassifier", (1e-4, 1000)),
        )
    }
    step("intent")
    single_leaf: dict[str, str] = {}
    category_solver = config.solver.get("CategoryClassifier", (1e-4, 1000))
    appeal_rows = np.array([i for i, e in enumerate(examples) if e.category], dtype=np.intp)
    if len(appeal_rows):
        # Appeals, then the catalogue's rows with their lighter weight.
        leaves = np.array([str(examples[i].category) for i in appeal_rows] + [leaf for _, leaf in prior_rows])
        weights = np.concatenate(
            [np.ones(len(appeal_rows)), np.full(len(prior_rows), config.catalogue_weight)]
        )
        l1 = np.array([leaf.split("/", 1)[0] for leaf in leaves])
        x_appeals = vstack([x_all[appeal_rows], x_prior]).tocsr()
        if len(set(l1)) >= 2:
            heads[L1_HEAD] = fit_on_columns(
                x_appeals, list(l1), config.l1_c, config.seed, category_solver, weights
            )
        for name in sorted(set(l1)):
            rows = np.flatnonzero(l1 == name)
            if len(set(leaves[rows])) >= 2:
                heads[LEAF_HEAD + name] = fit_on_columns(
                    x_appeals[rows],
                    list(leaves[rows]),
                    config.category_c,
                    config.seed,
                    category_solver,
                    weights[rows],
                )
            else:
                single_leaf[name] = str(leaves[rows[0]])
        step("category")
        typed = [i for i in appeal_rows if examples[i].appeal_type]
        types = [str(examples[i].appeal_type) for i in typed]
        if len(set(types)) >= 2:
            heads[TYPE_HEAD] = fit_on_columns(
                x_all[typed],
                types,
                config.appeal_type_c,
                config.seed,
                config.solver.get("AppealTypeClassifier", (1e-4, 1000)),
            )
        step("appeal type")
    return NLUModel(
        config=config,
        scorer=CompiledScorer(features, heads),
        single_leaf=single_leaf,
        regexes=regexes,
        place_names=places,
        terms=terms,
        synonyms=synonyms,
        data_fingerprint=data_fingerprint,
    )


def train(data_dir: Path, config_path: Path, *, progress: bool = True) -> NLUModel:
    config = PipelineConfig.load(config_path)
    data = load_training(data_dir)
    if not data.examples:
        raise TrainingError(f"no training examples under {data_dir}")
    places, terms = lexicons(data)
    prior = catalogue_prior()
    if progress:
        for warning in data.warnings:
            print(f"注意 / warning: {warning}", file=sys.stderr)
    stages = ["data", "features", "intent", "category", "appeal type"]
    with tqdm(total=len(stages), desc="训练 NLU 模型", unit="步", disable=not progress) as bar:
        bar.set_postfix_str(f"{len(data.examples)} 条样例, {len(data.appeals)} 条诉求")
        bar.update(1)

        def step(name: str) -> None:
            bar.set_postfix_str(name)
            bar.update(1)

        model = fit_model(
            config,
            data.examples,
            regexes=data.regexes,
            places=places,
            terms=terms,
            synonyms=data.synonyms,
            prior=prior,
            data_fingerprint=fingerprint(data_dir, config_path, places + terms + _prior_words(prior)),
            step=step,
        )
        bar.update(bar.total - bar.n)
    return model


def train_and_save(data_dir: Path, config_path: Path, out_path: Path, progress: bool = True) -> NLUModel:
    started = time.perf_counter()
    model = train(data_dir, config_path, progress=progress)
    model.save(out_path)
    _stamp(out_path).write_text(model.data_fingerprint)
    if progress:
        print(f"NLU 模型已保存: {out_path} ({time.perf_counter() - started:.1f} 秒)")
    return model
