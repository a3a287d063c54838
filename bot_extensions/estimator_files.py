"""Fitted scikit-learn estimators saved as data and loaded without running code from the file:
their state as JSON (model.json), their arrays as NumPy's .npz read with `allow_pickle=False`
(model.npz), and only the classes named in ALLOWED rebuilt — the way pickle rebuilds them
(`cls.__new__`, then `__setstate__` or the instance dict), so a loaded estimator holds the state
the trained one had, attribute for attribute (tests/bot_runtime/test_estimator_files.py).

Why not skops.io, which the linear NLU used before: loading the intent classifier's file built and
audited a node for each of its ~100,000 vocabulary entries, twice (`get_untrusted_types`, then
`load`), and importing skops.io imports every scikit-learn estimator (`all_estimators`, for its
list of trusted types) — together ~6 s of the rasa server's ~10 s model load on 2 cores; this reads
the same model in well under a second. Models trained before still hold `model.skops`; the linear
NLU still reads those with skops (bot_extensions/linear_nlu.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse
from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression

STATE_FILE = "model.json"
ARRAYS_FILE = "model.npz"
FORMAT = 1
# Every class a saved model may hold: the linear NLU's vectorizers, their transformer and its
# sparse IDF diagonal, and the classifier. Anything else in a file is refused.
ALLOWED: dict[str, type] = {f"{cls.__module__}.{cls.__qualname__}": cls for cls in (
    TfidfVectorizer, TfidfTransformer, LogisticRegression, scipy.sparse.csr_matrix)}


class UnreadableModel(Exception):
    """A model file this module did not write: another format, or a class a model may not hold."""


def exists(directory: Path) -> bool:
    return (directory / STATE_FILE).exists()


def dump(model: dict[str, Any], directory: Path) -> None:
    """Writes `model` (a dict of fitted estimators) to `directory`; TypeError for what it cannot save."""
    arrays: dict[str, np.ndarray] = {}

    def encode(value: Any) -> Any:
        if value is None or type(value) in (bool, int, float, str):  # not numpy's subclasses of float
            return value
        if isinstance(value, list):
            return [encode(item) for item in value]
        if isinstance(value, tuple):
            return {"tuple": [encode(item) for item in value]}
        if isinstance(value, (set, frozenset)):
            return {"set": sorted(encode(item) for item in value), "frozen": isinstance(value, frozenset)}
        if type(value) is dict:
            if not all(type(key) is str for key in value):
                raise TypeError("only dicts with str keys can be saved")
            return {"dict": {key: encode(item) for key, item in value.items()}}
        if isinstance(value, (np.ndarray, np.generic)):
            if value.dtype.hasobject:
                raise TypeError("arrays of Python objects cannot be saved")
            name = f"a{len(arrays)}"
            arrays[name] = np.asarray(value)
            return {"array": name, "scalar": isinstance(value, np.generic)}
        if isinstance(value, type) and issubclass(value, np.generic):
            return {"numpy_type": np.dtype(value).str}
        name = f"{type(value).__module__}.{type(value).__qualname__}"
        if ALLOWED.get(name) is type(value):
            state = value.__getstate__() if hasattr(value, "__getstate__") else vars(value)
            return {"object": name, "state": encode(dict(state))}
        raise TypeError(f"cannot save a {name}")

    state = {"format": FORMAT, "model": encode(model)}
    with open(directory / ARRAYS_FILE, "wb") as out:
        np.savez(out, **arrays)
    (directory / STATE_FILE).write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")


def load(directory: Path) -> dict[str, Any]:
    """The model `dump` wrote; UnreadableModel for a file it did not write."""
    state = json.loads((directory / STATE_FILE).read_text(encoding="utf-8"))
    if state.get("format") != FORMAT:
        raise UnreadableModel(f"{directory / STATE_FILE}: format {state.get('format')!r}, not {FORMAT}")
    with np.load(directory / ARRAYS_FILE, allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files}

    def decode(value: Any) -> Any:
        if not isinstance(value, (dict, list)):
            return value
        if isinstance(value, list):
            return [decode(item) for item in value]
        if "dict" in value:
            return {key: decode(item) for key, item in value["dict"].items()}
        if "tuple" in value:
            return tuple(decode(item) for item in value["tuple"])
        if "set" in value:
            return (frozenset if value["frozen"] else set)(decode(item) for item in value["set"])
        if "array" in value:
            array = arrays[value["array"]]
            return array[()] if value["scalar"] else array
        if "numpy_type" in value:
            return np.dtype(value["numpy_type"]).type
        if "object" in value:
            cls = ALLOWED.get(value["object"])
            if cls is None:
                raise UnreadableModel(f"{directory / STATE_FILE}: {value['object']} is not a class a model may hold")
            instance = cls.__new__(cls)
            object_state = decode(value["state"])
            if hasattr(instance, "__setstate__"):
                instance.__setstate__(object_state)
            else:
                instance.__dict__.update(object_state)
            return instance
        raise UnreadableModel(f"{directory / STATE_FILE}: unknown entry {sorted(value)}")

    return decode(state["model"])
