"""The linear NLU's model files (bot_extensions/estimator_files.py): a loaded model holds the state
the trained one had, attribute for attribute, and ranks exactly as it did; a file holding anything
but the allowed classes is refused; models trained before (skops.io files) still load and rank the
same; and loading imports no skops (the ~6 s the format saves at every start of the rasa server)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse
import skops.io as sio
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.engine.training import fingerprinting
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot_extensions import estimator_files
from bot_extensions.linear_nlu import LinearIntentClassifier
from bot_extensions.nlu import SpacelessJiebaTokenizer

ROOT = Path(__file__).resolve().parents[2]
TRAINING = [
    ("我要退款", "request_refund"), ("退钱给我", "request_refund"), ("申请退款 refund please", "request_refund"),
    ("发票开一下", "invoice"), ("开个电子发票", "invoice"), ("invoice for my order", "invoice"),
    ("快递到哪了", "where_is_order"), ("物流怎么不动了", "where_is_order"), ("where is my parcel", "where_is_order"),
]
PROBES = ["發票怎麼開", "退款", "my parcel is late", "", "？？？", "订单P202611210000105发票"]


def same_state(a: object, b: object, path: str = "model") -> None:
    """Equal types and values all the way down (arrays by dtype, shape and content)."""
    assert type(a) is type(b), f"{path}: {type(a)} is not {type(b)}"
    if isinstance(a, (np.ndarray, np.generic)):
        assert a.dtype == b.dtype and np.shape(a) == np.shape(b) and np.array_equal(a, b), path
    elif isinstance(a, dict):
        assert list(a) == list(b), path
        for key in a:
            same_state(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            same_state(x, y, f"{path}[{index}]")
    elif hasattr(a, "__dict__") and not isinstance(a, type):
        state_a, state_b = dict(vars(a)), dict(vars(b))
        # The id() of the stop-word list at fitting time (scikit-learn's consistency check): a number.
        assert type(state_a.pop("_stop_words_id", 0)) is type(state_b.pop("_stop_words_id", 0))
        same_state(state_a, state_b, path)
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A LinearIntentClassifier trained as `rasa train` trains it; its storage, and a tokenizer."""
    storage = LocalModelStorage(tmp_path_factory.mktemp("storage"))
    context = ExecutionContext(GraphSchema({}), "test")
    tokenizer = SpacelessJiebaTokenizer.create(
        {**SpacelessJiebaTokenizer.get_default_config(), "dictionary_path": str(ROOT / "data" / "jieba")},
        storage, Resource("tokenizer"), context)
    data = TrainingData([Message(data={"text": text, "intent": intent}) for text, intent in TRAINING])
    tokenizer.process_training_data(data)
    config = LinearIntentClassifier.get_default_config()
    classifier = LinearIntentClassifier.create(config, storage, Resource("intents"), context)
    classifier.train(data)
    return classifier, storage, context, tokenizer


def rankings(component, tokenizer) -> list:
    messages = [Message(data={"text": text}) for text in PROBES]
    tokenizer.process(messages)
    component.process(messages)
    return [m.get("intent_ranking") for m in messages]


def test_a_loaded_model_is_the_trained_one_and_ranks_exactly_the_same(trained):
    classifier, storage, context, tokenizer = trained
    with storage.read_from(Resource("intents")) as directory:
        assert sorted(p.name for p in directory.iterdir()) == ["model.json", "model.npz"]
    loaded = LinearIntentClassifier.load(classifier.config, storage, Resource("intents"), context)
    same_state(classifier.model, loaded.model)
    assert rankings(loaded, tokenizer) == rankings(classifier, tokenizer)  # exact floats, not approximately


def test_a_model_trained_before_as_a_skops_file_still_loads_the_same(trained, tmp_path):
    classifier, storage, context, tokenizer = trained
    old_storage = LocalModelStorage(tmp_path)
    with old_storage.write_to(Resource("intents")) as directory:
        sio.dump(classifier.model, directory / "model.skops")
    loaded = LinearIntentClassifier.load(classifier.config, old_storage, Resource("intents"), context)
    same_state(classifier.model, loaded.model)
    assert rankings(loaded, tokenizer) == rankings(classifier, tokenizer)


def test_a_file_naming_another_class_is_refused_before_anything_of_it_runs(trained, tmp_path):
    classifier, *_ = trained
    estimator_files.dump(classifier.model, tmp_path)
    state = json.loads((tmp_path / "model.json").read_text(encoding="utf-8"))
    state["model"]["dict"]["classifier"]["object"] = "subprocess.Popen"
    (tmp_path / "model.json").write_text(json.dumps(state), encoding="utf-8")
    with pytest.raises(estimator_files.UnreadableModel, match="subprocess.Popen is not a class"):
        estimator_files.load(tmp_path)


def test_a_broken_file_is_an_error_not_an_untrained_model(trained, tmp_path):
    classifier, _, context, _ = trained
    storage = LocalModelStorage(tmp_path)
    with storage.write_to(Resource("intents")) as directory:
        estimator_files.dump(classifier.model, directory)
        (directory / "model.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(estimator_files.UnreadableModel):
        LinearIntentClassifier.load(classifier.config, storage, Resource("intents"), context)


@pytest.mark.parametrize("value", [object(), np.array([object()]), {1: "not a str key"}, scipy.sparse.coo_matrix((1, 1))])
def test_what_the_format_cannot_hold_is_refused_at_saving(tmp_path, value):
    with pytest.raises(TypeError):
        estimator_files.dump({"model": value}, tmp_path)


def test_the_training_cache_tells_the_file_format_apart():
    """A component trained (and cached by Rasa) when the files were another format is trained again."""
    config = LinearIntentClassifier.get_default_config()
    key = fingerprinting.calculate_fingerprint_key(LinearIntentClassifier, config, {})
    estimator_files_format = estimator_files.FORMAT
    try:
        estimator_files.FORMAT = estimator_files_format + 1
        assert fingerprinting.calculate_fingerprint_key(LinearIntentClassifier, config, {}) != key
    finally:
        estimator_files.FORMAT = estimator_files_format


def test_loading_a_model_imports_no_skops(trained):
    classifier, storage, *_ = trained
    with storage.read_from(Resource("intents")) as directory:
        verdict = subprocess.run(
            [sys.executable, "-c", "import sys, pathlib\nfrom bot_extensions import estimator_files\n"
             f"model = estimator_files.load(pathlib.Path({str(directory)!r}))\n"
             "import bot_extensions.linear_nlu\n"
             "print(sorted(model), 'skops' in sys.modules)"],
            cwd=ROOT, capture_output=True, text=True, timeout=300, check=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout.strip().splitlines()[-1]
    assert verdict == "['chars', 'classifier', 'words'] False"
