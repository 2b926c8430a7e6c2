"""Training-time features: TF-IDF over character n-grams and jieba word n-grams (scikit-learn)."""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.nlu.features import JiebaWords
from bot.nlu.pipeline_config import PipelineConfig


class Features:
    """Character n-grams (robust to typos and words jieba does not know) beside jieba word n-grams,
    each block TF-IDF weighted (sublinear tf) and L2-normalised on its own."""

    def __init__(self, config: PipelineConfig, words: JiebaWords) -> None:
        self.words_tokenizer = words
        self.chars = TfidfVectorizer(
            analyzer="char",
            ngram_range=config.char_ngram_range,
            min_df=config.min_df,
            max_features=config.max_char_features,
            sublinear_tf=True,
            dtype=np.float32,
        )
        self.words = TfidfVectorizer(
            tokenizer=words,
            token_pattern=None,
            lowercase=False,
            ngram_range=config.word_ngram_range,
            min_df=config.min_df,
            max_features=config.max_word_features,
            sublinear_tf=True,
            dtype=np.float32,
        )

    def fit_transform(self, texts: list[str]) -> csr_matrix:
        self.words_tokenizer.fit(texts)
        return hstack([self.chars.fit_transform(texts), self.words.fit_transform(texts)]).tocsr()

    def transform(self, texts: list[str]) -> csr_matrix:
        return hstack([self.chars.transform(texts), self.words.transform(texts)]).tocsr()

    @property
    def size(self) -> int:
        return len(self.chars.vocabulary_) + len(self.words.vocabulary_)
