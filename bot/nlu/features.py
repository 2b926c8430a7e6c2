"""The run-time side of the features: the jieba tokeniser and a compiled form of the fitted
vectorisers (``bot.nlu.vectorizers``) and linear heads, for parsing one message fast. This module
imports neither scikit-learn nor SciPy, so loading a model takes a fraction of a second.

scikit-learn's ``transform``/``predict_proba`` spend most of a single-message call on input
validation and sparse-matrix construction (hundreds of microseconds each, times two vectorisers and
four heads). ``CompiledScorer`` keeps exactly the fitted vocabularies, IDF weights and coefficients
and does the same arithmetic with a dictionary look-up and one dense gather; a unit test checks it
against scikit-learn's own output.
"""

from __future__ import annotations

import logging
import math
import re
import warnings
from dataclasses import dataclass
from functools import lru_cache
from itertools import repeat
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from numpy.typing import NDArray

with warnings.catch_warnings():  # jieba 0.42 imports pkg_resources, which warns on every start
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
    import jieba

if TYPE_CHECKING:
    from bot.nlu.vectorizers import Features

_WHITESPACE = re.compile(r"\s\s+")


class FastTokenizer(jieba.Tokenizer):
    """jieba's tokenizer with its two hot loops (``get_DAG``, ``calc``) written with local names and
    a memo of each word's log-probability instead of a ``log`` per candidate. The segmentation is
    jieba's own, token for token (a unit test compares them); only the cost changes."""

    def __init__(self) -> None:
        super().__init__()
        self._logp: dict[str, float] = {}

    def add_word(self, word: str, freq: int | None = None, tag: str | None = None) -> None:
        super().add_word(word, freq, tag)
        self._logp.clear()

    def get_DAG(self, sentence: str) -> dict[int, list[int]]:
        freq = self.FREQ
        dag: dict[int, list[int]] = {}
        n = len(sentence)
        for k in range(n):
            ends = []
            i = k
            frag = sentence[k]
            while i < n and frag in freq:
                if freq[frag]:
                    ends.append(i)
                i += 1
                frag = sentence[k : i + 1]
            dag[k] = ends or [k]
        return dag

    def calc(self, sentence: str, DAG: dict[int, list[int]], route: dict[int, tuple[float, int]]) -> None:
        n = len(sentence)
        route[n] = (0, 0)
        logp, freq = self._logp, self.FREQ
        logtotal = math.log(self.total)
        for idx in range(n - 1, -1, -1):
            best: tuple[float, int] | None = None
            for x in DAG[idx]:
                word = sentence[idx : x + 1]
                lp = logp.get(word)
                if lp is None:
                    lp = logp[word] = math.log(freq.get(word) or 1) - logtotal
                candidate = (lp + route[x + 1][0], x)
                if best is None or candidate > best:
                    best = candidate
            assert best is not None
            route[idx] = best


@lru_cache(maxsize=1)
def _full_dictionary() -> tuple[dict[str, int], int, list[tuple[str, int]]]:
    """jieba's whole dictionary (word → frequency, total, words by falling frequency), loaded once
    per training process."""
    jieba.setLogLevel(logging.WARNING)  # no "Building prefix dict" chatter in the commands' output
    full = jieba.Tokenizer()
    full.initialize()
    by_frequency = sorted(((w, f) for w, f in full.FREQ.items() if f), key=lambda wf: -wf[1])
    return full.FREQ, int(full.total), by_frequency


class JiebaWords:
    """Word tokeniser: the project's own ``jieba.Tokenizer``, on a dictionary cut down at training time.

    jieba's full dictionary takes over a second to load (half a million prefix entries), which would
    break the model's load-time budget. ``fit`` keeps the dictionary words that occur in the training
    texts plus the ``top_words`` most frequent ones, with the full dictionary's total, so training
    texts segment exactly as with the full dictionary; a word the model never saw has no feature
    either way. User words (places, catalogue terms, synonyms) are added with ``user_freq``.
    Pickled as its word table; the tokenizer is rebuilt lazily after loading.
    """

    MAX_WORD_LENGTH = 8

    def __init__(self, user_words: list[str], user_freq: int = 20_000, top_words: int = 30_000) -> None:
        self.user_words = sorted({w for w in user_words if w.strip()})
        self.user_freq = user_freq
        self.top_words = top_words
        self.words: dict[str, int] = {}
        self.total = 0
        self._tokenizer: jieba.Tokenizer | None = None

    def fit(self, texts: list[str]) -> JiebaWords:
        freq, total, by_frequency = _full_dictionary()
        keep: dict[str, int] = dict(by_frequency[: self.top_words])
        for text in texts:
            length = len(text)
            for i in range(length):
                for n in range(1, min(self.MAX_WORD_LENGTH, length - i) + 1):
                    count = freq.get(text[i : i + n])
                    if count:
                        keep[text[i : i + n]] = count
        self.words, self.total = keep, total
        self._tokenizer = None
        return self

    def tokenizer(self) -> jieba.Tokenizer:
        if self._tokenizer is None:
            table: dict[str, int] = {}
            for word, count in self.words.items():
                table[word] = count
                for end in range(1, len(word)):
                    table.setdefault(word[:end], 0)
            tokenizer = FastTokenizer()
            # jieba's own state, filled from our table instead of its dictionary file.
            tokenizer.FREQ, tokenizer.total, tokenizer.initialized = table, self.total or 1, True
            for word in self.user_words:
                tokenizer.add_word(word, freq=self.user_freq)
            self._tokenizer = tokenizer
        return self._tokenizer

    def __call__(self, text: str) -> list[str]:
        return [w for w in self.tokenizer().lcut(text, HMM=False) if w.strip()]

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if not k.startswith("_")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._tokenizer = None


class LinearModel(Protocol):
    """What a fitted linear classifier exposes (scikit-learn's ``LogisticRegression`` or ``LinearHead``)."""

    @property
    def coef_(self) -> Any: ...
    @property
    def intercept_(self) -> Any: ...
    @property
    def classes_(self) -> Any: ...


@dataclass
class LinearHead:
    """A fitted classifier restricted to the feature columns it was fitted on (``train.fit_on_columns``)."""

    coef_: NDArray[np.float32]  # (classes or 1, len(columns))
    intercept_: NDArray[np.float32]
    classes_: list[str]
    columns: NDArray[np.intp] | None = None  # the feature columns ``coef_`` covers; None: all of them


@dataclass
class Head:
    """A head in the shared weight matrix: its slice of the outputs."""

    classes: list[str]
    start: int
    stop: int
    binary: bool


@dataclass
class LocalHead:
    """A head that sees few of the feature columns (a first level's leaves): its own small matrix,
    and ``rows[column]`` = the matrix row of a feature column, or -1."""

    classes: list[str]
    binary: bool
    rows: NDArray[np.int32]
    coef: NDArray[np.float32]  # (len(used columns), outputs)
    bias: NDArray[np.float32]


@dataclass
class Scored:
    """One message's sparse feature row and the logits of the shared heads."""

    index: NDArray[np.intp]
    values: NDArray[np.float32]
    logits: NDArray[np.float32]


def _logits_to_probs(logits: NDArray[np.float32], binary: bool) -> NDArray[np.float64]:
    z = logits.astype(np.float64)
    if binary:  # scikit-learn's binary logistic regression: one logit z, P = [1 - σ(z), σ(z)]
        z = np.array([0.0, z[0]])
    z -= z.max()
    e = np.exp(z)
    probs: NDArray[np.float64] = e / e.sum()
    return probs


class CompiledScorer:
    """The fitted vectorisers and every linear head, as plain arrays and dictionaries.

    Heads that see most feature columns (intent, first level, appeal type) share one dense matrix,
    row-major (n_features, outputs), so a message's few hundred features gather a few hundred rows.
    Heads fitted on a small share of the columns (``local_share``; a first level's leaves) keep
    their own small matrix and are computed only when asked for."""

    def __init__(self, features: Features, heads: dict[str, LinearModel], local_share: float = 0.5) -> None:
        chars, words = features.chars, features.words
        self.char_range: tuple[int, int] = chars.ngram_range
        self.word_range: tuple[int, int] = words.ngram_range
        self.char_vocab: dict[str, int] = {k: int(v) for k, v in chars.vocabulary_.items()}
        self.word_vocab: dict[str, int] = {k: int(v) for k, v in words.vocabulary_.items()}
        self.char_idf: NDArray[np.float32] = chars.idf_.astype(np.float32)
        self.word_idf: NDArray[np.float32] = words.idf_.astype(np.float32)
        self.offset = len(self.char_vocab)
        n_features = self.offset + len(self.word_vocab)
        self.words_tokenizer = features.words_tokenizer
        self.heads: dict[str, Head] = {}
        self.local: dict[str, LocalHead] = {}
        blocks: list[NDArray[np.float32]] = []
        biases: list[NDArray[np.float32]] = []
        column = 0
        for name, clf in heads.items():
            coef = np.asarray(clf.coef_, dtype=np.float32)
            bias = np.asarray(clf.intercept_, dtype=np.float32)
            classes = [str(c) for c in clf.classes_]
            binary = coef.shape[0] == 1
            used = getattr(clf, "columns", None)
            if used is not None and len(used) < local_share * n_features:
                rows = np.full(n_features, -1, dtype=np.int32)
                rows[used] = np.arange(len(used), dtype=np.int32)
                self.local[name] = LocalHead(classes, binary, rows, np.ascontiguousarray(coef.T), bias)
                continue
            if used is not None:  # back to the full feature space
                full = np.zeros((coef.shape[0], n_features), dtype=np.float32)
                full[:, used] = coef
                coef = full
            self.heads[name] = Head(classes, column, column + coef.shape[0], binary)
            column += coef.shape[0]
            blocks.append(coef.T)
            biases.append(bias)
        shared = np.hstack(blocks) if blocks else np.zeros((n_features, 0), dtype=np.float32)
        self.weights: NDArray[np.float32] = np.ascontiguousarray(shared, dtype=np.float32)
        self.bias: NDArray[np.float32] = (
            np.concatenate(biases).astype(np.float32) if biases else np.zeros(0, np.float32)
        )

    def _char_ngrams(self, text: str) -> list[str]:
        """scikit-learn's ``char`` analyser: whitespace runs folded, then every n-gram in range."""
        text = _WHITESPACE.sub(" ", text)
        low, high = self.char_range
        length = len(text)
        return [text[i : i + n] for n in range(low, min(high, length) + 1) for i in range(length - n + 1)]

    def _word_ngrams(self, text: str) -> list[str]:
        """scikit-learn's word n-grams over the jieba tokens: unigrams, then space-joined n-grams."""
        tokens = self.words_tokenizer(text)
        low, high = self.word_range
        grams: list[str] = tokens[:] if low == 1 else []
        for n in range(max(low, 2), min(high, len(tokens)) + 1):
            grams += [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
        return grams

    @staticmethod
    def _weights(
        grams: list[str], vocab: dict[str, int], idf: NDArray[np.float32], offset: int
    ) -> tuple[NDArray[np.intp], NDArray[np.float32]]:
        """Sublinear TF times IDF, L2-normalised, for the grams in the vocabulary."""
        looked_up = np.fromiter(
            map(vocab.get, grams, repeat(-1, len(grams))), dtype=np.intp, count=len(grams)
        )
        hits = looked_up[looked_up >= 0]
        if not len(hits):
            return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.float32)
        columns, counts = np.unique(hits, return_counts=True)
        values = ((1.0 + np.log(counts)) * idf[columns]).astype(np.float32)
        norm = float(np.sqrt(values @ values))
        if norm > 0:
            values /= norm
        return columns + offset, values

    def vector(self, text: str) -> tuple[NDArray[np.intp], NDArray[np.float32]]:
        """The sparse TF-IDF row of ``text`` (already normalised), as column indices and values."""
        ci, cv = self._weights(self._char_ngrams(text), self.char_vocab, self.char_idf, 0)
        wi, wv = self._weights(self._word_ngrams(text), self.word_vocab, self.word_idf, self.offset)
        return np.concatenate([ci, wi]), np.concatenate([cv, wv])

    def score(self, text: str) -> Scored:
        """Features of ``text`` (already normalised) and the shared heads' logits."""
        index, values = self.vector(text)
        logits: NDArray[np.float32] = values @ self.weights[index] + self.bias
        return Scored(index, values, logits)

    def probs(self, scored: Scored, head: str) -> NDArray[np.float64] | None:
        """The class probabilities of ``head``; None if the model has no such head."""
        shared = self.heads.get(head)
        if shared is not None:
            return _logits_to_probs(scored.logits[shared.start : shared.stop], shared.binary)
        local = self.local.get(head)
        if local is None:
            return None
        rows = local.rows[scored.index]
        keep = rows >= 0
        logits: NDArray[np.float32] = scored.values[keep] @ local.coef[rows[keep]] + local.bias
        return _logits_to_probs(logits, local.binary)

    def classes(self, head: str) -> list[str]:
        shared = self.heads.get(head)
        if shared is not None:
            return shared.classes
        local = self.local.get(head)
        return local.classes if local else []

    def has(self, head: str) -> bool:
        return head in self.heads or head in self.local

    @property
    def head_names(self) -> list[str]:
        return [*self.heads, *self.local]
