"""The NLU engine: TF-IDF word and character n-grams into logistic regression (scikit-learn).

Chosen by measurement over DIET (reports/nlu.md, "engine"): on the real shoppers' dev set it reads at
least as well, it trains in seconds instead of a quarter of an hour on two cores, and it parses in a
millisecond or two. Two components share the features:

LinearIntentClassifier — the intent, with a ranking of calibrated probabilities (the
FallbackClassifier and the clarifying question read the top two).

LinearAnswerSelector — which FAQ answer (`faq/*`), run only on messages classified `faq`; it writes
what Rasa's ResponseSelector writes, so `utter_faq` picks the answer as before.

Word features come from the tokenizer's lemmas (normalized, order numbers as one lemma); character
features from bot_extensions.text.for_char_ngrams, which carry typos, unsegmented words and English.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import (
    RESPONSE_SELECTOR_PREDICTION_KEY,
    RESPONSE_SELECTOR_PROPERTY_NAME,
    RESPONSE_SELECTOR_RANKING_KEY,
    RESPONSE_SELECTOR_RESPONSES_KEY,
    RESPONSE_SELECTOR_RETRIEVAL_INTENTS,
    RESPONSE_SELECTOR_UTTER_ACTION_KEY,
    TOKENS_NAMES,
)
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    INTENT_RESPONSE_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from bot_extensions import estimator_files
from bot_extensions.text import for_char_ngrams

log = logging.getLogger(__name__)

RANKING_LENGTH = 10


def word_string(message: Message) -> str:
    """The message's lemmas, space-separated (the tokenizer normalized them)."""
    tokens = message.get(TOKENS_NAMES[TEXT]) or []
    return " ".join(t.lemma or t.text for t in tokens)


class _LinearModel(GraphComponent):
    """Features and classifier, trained, persisted and loaded as one."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            # Measured on the held-out and real dev sets (reports/nlu.md); liblinear (one vs rest)
            # trains in seconds where lbfgs took a minute, and reads as well.
            "C": 50.0,
            "class_weight": "balanced",
            "solver": "liblinear",
            "word_ngrams": [1, 2],
            "char_ngrams": [1, 4],
        }

    @classmethod
    def required_components(cls) -> list[type]:
        return [Tokenizer]

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        # Rasa's training cache keys on config and data only: a component trained when the files
        # were another format would be restored from the cache as it was.
        return f"estimator_files {estimator_files.FORMAT}"

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 model: dict[str, Any] | None = None) -> None:
        self.config = {**self.get_default_config(), **config}
        self._storage = model_storage
        self._resource = resource
        self.model = model
        self._scorer: _Scorer | None = None  # built on first use from the loaded model
        self._scorer_built = False

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> _LinearModel:
        return cls(config, model_storage, resource)

    def _vectorizers(self) -> tuple[TfidfVectorizer, TfidfVectorizer]:
        words = TfidfVectorizer(analyzer="word", token_pattern=r"\S+", lowercase=False, sublinear_tf=True,
                                ngram_range=tuple(self.config["word_ngrams"]))
        chars = TfidfVectorizer(analyzer="char_wb", lowercase=False, sublinear_tf=True,
                                ngram_range=tuple(self.config["char_ngrams"]))
        return words, chars

    def fit(self, messages: list[Message], labels: list[str]) -> None:
        words, chars = self._vectorizers()
        x = scipy.sparse.hstack([words.fit_transform([word_string(m) for m in messages]),
                                 chars.fit_transform([for_char_ngrams(m.get(TEXT)) for m in messages])]).tocsr()
        classifier = LogisticRegression(C=self.config["C"], max_iter=3000, class_weight=self.config["class_weight"],
                                        solver=self.config["solver"], random_state=2611)
        classifier.fit(x, labels)
        self.model = {"words": words, "chars": chars, "classifier": classifier}
        self._scorer, self._scorer_built = None, False
        with self._storage.write_to(self._resource) as directory:
            estimator_files.dump(self.model, directory)

    def probabilities(self, messages: list[Message]) -> tuple[np.ndarray, list[str]]:
        """Each message's probability per class, in the order of the returned classes."""
        assert self.model is not None
        if not self._scorer_built:  # once: None where scikit-learn must compute it
            self._scorer, self._scorer_built = _Scorer.of(self.model), True
        classifier = self.model["classifier"]
        if self._scorer is not None:
            rows = [self._scorer.probabilities(word_string(m), for_char_ngrams(m.get(TEXT))) for m in messages]
            return np.vstack(rows), list(classifier.classes_)
        return _sklearn_probabilities(self.model, messages), list(classifier.classes_)

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> _LinearModel:
        try:
            with model_storage.read_from(resource) as directory:
                try:
                    model = (estimator_files.load(directory) if estimator_files.exists(directory)
                             else _load_skops(directory / "model.skops"))
                except ValueError as exc:  # a broken file is no "nothing trained"
                    raise estimator_files.UnreadableModel(f"{directory}: {exc}") from exc
        except ValueError:  # Rasa's, when there is no resource: nothing was trained
            log.warning("%s: nothing trained (no examples)", cls.__name__)
            model = None
        return cls(config, model_storage, resource, model)

    def ranking(self, messages: list[Message]) -> list[list[tuple[str, float]]]:
        if self.model is None or not messages:
            return [[] for _ in messages]
        probabilities, classes = self.probabilities(messages)
        return [sorted(zip(classes, map(float, row), strict=True), key=lambda pair: -pair[1])[:RANKING_LENGTH]
                for row in probabilities]


def _sklearn_probabilities(model: dict[str, Any], messages: list[Message]) -> np.ndarray:
    """scikit-learn's own computation of what _Scorer computes (the reference its tests compare with)."""
    x = scipy.sparse.hstack([model["words"].transform([word_string(m) for m in messages]),
                             model["chars"].transform([for_char_ngrams(m.get(TEXT)) for m in messages])])
    return np.asarray(model["classifier"].predict_proba(x.tocsr()))


@dataclass(frozen=True)
class _Features:
    """One vectorizer's part of the features: its analyzer, vocabulary and IDF weights, and where its
    columns start in the classifier's coefficients."""

    analyze: Callable[[str], list[str]]
    vocabulary: dict[str, int]
    idf: np.ndarray
    offset: int
    sublinear_tf: bool

    def weights(self, text: str) -> tuple[np.ndarray, np.ndarray] | None:
        """The message's column numbers and TF-IDF weights (l2-normalized), as the vectorizer's
        `transform` computes them; None when no feature of it is in the vocabulary."""
        counts: dict[int, int] = {}
        vocabulary = self.vocabulary
        for feature in self.analyze(text):
            index = vocabulary.get(feature)
            if index is not None:
                counts[index] = counts.get(index, 0) + 1
        if not counts:
            return None
        columns = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        if self.sublinear_tf:
            tf = np.log(tf) + 1.0
        weights = tf * self.idf[columns]
        norm = np.sqrt(np.dot(weights, weights))
        if norm > 0.0:
            weights /= norm
        return columns + self.offset, weights


@dataclass(frozen=True)
class _Scorer:
    """The fitted vectorizers and one-vs-rest logistic regression, applied to one message with NumPy
    alone: the same numbers as scikit-learn's `transform` + `predict_proba` (to rounding), without
    the sparse-matrix construction and input checks that were four fifths of the NLU's time per turn
    (py-spy; tests/bot_runtime/test_nlu_engine.py compares both on every training example)."""

    parts: tuple[_Features, ...]
    coef: np.ndarray  # classes × features
    intercept: np.ndarray

    @classmethod
    def of(cls, model: dict[str, Any]) -> _Scorer | None:
        """None for what this does not compute the way scikit-learn does (then scikit-learn runs)."""
        words, chars, classifier = model["words"], model["chars"], model["classifier"]
        vectorizers = (words, chars)
        if (classifier.coef_.shape[0] < 2 or classifier.solver != "liblinear"
                or getattr(classifier, "multi_class", "auto") not in ("auto", "ovr")
                or any(v.binary or v.norm != "l2" or not v.use_idf for v in vectorizers)):
            return None
        parts, offset = [], 0
        for vectorizer in vectorizers:
            vocabulary = {str(k): int(v) for k, v in vectorizer.vocabulary_.items()}
            parts.append(_Features(vectorizer.build_analyzer(), vocabulary, np.asarray(vectorizer.idf_, np.float64),
                                   offset, bool(vectorizer.sublinear_tf)))
            offset += len(vocabulary)
        if offset != classifier.coef_.shape[1]:
            return None
        return cls(tuple(parts), np.asarray(classifier.coef_, np.float64),
                   np.asarray(classifier.intercept_, np.float64))

    def probabilities(self, word_text: str, char_text: str) -> np.ndarray:
        decision = self.intercept.copy()
        for part, text in zip(self.parts, (word_text, char_text), strict=True):
            found = part.weights(text)
            if found is not None:
                columns, weights = found
                decision += self.coef[:, columns] @ weights
        probabilities = 1.0 / (1.0 + np.exp(-decision))  # one vs rest, normalized as scikit-learn does
        return probabilities / probabilities.sum()


def _load_skops(path: Any) -> dict[str, Any]:
    """A model trained before its files were estimator_files' (skops.io: slow to import and to read)."""
    import skops.io as sio

    # Only scikit-learn's and numpy's own types are in the file we wrote.
    trusted = [t for t in sio.get_untrusted_types(file=path) if t.startswith(("sklearn.", "numpy.", "scipy."))]
    return sio.load(path, trusted=trusted)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class LinearIntentClassifier(_LinearModel, IntentClassifier):
    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples if m.get(TEXT)]
        if examples:
            self.fit(examples, [m.get(INTENT) for m in examples])
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        for message, ranking in zip(messages, self.ranking(messages), strict=True):
            if not ranking:
                continue
            ranked = [{INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: p} for name, p in ranking]
            message.set(INTENT, ranked[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranked, add_to_output=True)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class LinearAnswerSelector(_LinearModel):
    """Which answer of the retrieval intent (config `retrieval_intent`, e.g. `faq`)."""

    def train(self, training_data: TrainingData) -> Resource:
        intent = self.config["retrieval_intent"]
        examples = [m for m in training_data.intent_examples
                    if m.get(TEXT) and m.get(INTENT) == intent and m.get(INTENT_RESPONSE_KEY)]
        if examples:
            self.fit(examples, [m.get(INTENT_RESPONSE_KEY) for m in examples])
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        intent = self.config["retrieval_intent"]
        questions = [m for m in messages if (m.get(INTENT) or {}).get(INTENT_NAME_KEY) == intent]
        for message, ranking in zip(questions, self.ranking(questions), strict=True):
            if not ranking:
                continue
            key, confidence = ranking[0]
            prediction = {
                RESPONSE_SELECTOR_PREDICTION_KEY: {
                    # The domain holds the answers (a variant per language); utter_faq reads them there.
                    RESPONSE_SELECTOR_RESPONSES_KEY: [],
                    PREDICTED_CONFIDENCE_KEY: confidence,
                    INTENT_RESPONSE_KEY: key,
                    RESPONSE_SELECTOR_UTTER_ACTION_KEY: f"utter_{key}",
                },
                RESPONSE_SELECTOR_RANKING_KEY: [{INTENT_RESPONSE_KEY: k, PREDICTED_CONFIDENCE_KEY: p}
                                                for k, p in ranking],
            }
            message.set(RESPONSE_SELECTOR_PROPERTY_NAME,
                        {RESPONSE_SELECTOR_RETRIEVAL_INTENTS: [intent], intent: prediction}, add_to_output=True)
        return messages
