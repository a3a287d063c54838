"""The rasa server without TensorFlow: this pipeline (a linear classifier, RulePolicy, regex entities)
never calls it, yet Rasa 3.6 imported it while loading the agent — ~10 s and ~300 MB of the rasa
server's start and memory. Two imports did it, both of code the served model never runs:

1. `rasa.nlu.extractors.extractor` (imported by every policy, through the tracker featurizers)
   imports `rasa.utils.train_utils`, which it never uses; that module imports Rasa's Keras training
   callbacks, whose classes subclass `tf.keras` classes. Here `rasa.utils.train_utils` is put in
   `sys.modules` as an empty module of its own spec that runs its real code the first time anything
   asks it for a name it does not have yet — so any real use (training DIET or TED, a CRF extractor,
   a model with TensorFlow components) gets the real module, as before, and only then TensorFlow.
2. Loading a model deserialises its *training* graph schema as well as its prediction schema,
   importing every component class named there — including the default recipe's validator, which
   imports DIETClassifier, ResponseSelector and TEDPolicy for type checks. Serving never reads the
   training schema (only training, fine-tuning and `ModelMetadata.as_dict` do). It is now
   deserialised on first use of its `nodes`, to the same schema; a model whose training schema
   names a class that cannot be imported raises the same `GraphSchemaException`, at that use
   instead of at loading.

Installed by `bot_extensions` (before the other patches import Rasa) only on the patched Rasa release
and not with AFTERSALES_RASA_PATCHES=off. It has an effect only where bot_extensions is imported
before Rasa loads its policies — the rasa server started by `python -m bot_extensions.serve`
(scripts/run.py); `rasa train` and `rasa test` import bot_extensions after Rasa has imported
TensorFlow, and are unchanged.
"""

from __future__ import annotations

import ast
import copy
import functools
import importlib.machinery
import importlib.util
import sys
import threading
import types
from typing import Any

DEFERRED_MODULE = "rasa.utils.train_utils"


@functools.cache  # once per process
def install() -> None:
    defer_module(DEFERRED_MODULE)
    _train_schema_on_demand()


def defer_module(name: str) -> None:
    """`name` in sys.modules as its own, still empty module; its code runs on the first missing name."""
    if name in sys.modules:  # already imported (e.g. training imported it first): nothing to defer
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    defines = names_defined(spec.origin)
    lock = threading.RLock()

    def __getattr__(attr: str) -> Any:  # PEP 562: asked only for names the module does not have
        # Only a name the real module defines runs it: pickle's and skops' `whichmodule` ask every
        # module in sys.modules for the names of the objects they save, and would load it for nothing.
        if defines is not None and attr not in defines:
            raise AttributeError(f"module {name!r} has no attribute {attr!r}")
        run_for_real(module, spec, __getattr__, lock)
        return attribute(module, attr)

    module.__getattr__ = __getattr__  # type: ignore[method-assign]
    sys.modules[name] = module
    parent_name, _, child = name.rpartition(".")
    setattr(sys.modules[parent_name], child, module)  # find_spec imported the parent package


def run_for_real(module: types.ModuleType, spec: importlib.machinery.ModuleSpec, stand_in: Any,
                 lock: threading.RLock) -> None:
    """Run ``module``'s own code once, in place of its stand-in ``__getattr__`` (PEP 562; the real
    module has none). A failure puts the stand-in back: the next use tries again, and fails alike."""
    assert spec.loader is not None
    with lock:
        if module.__dict__.get("__getattr__") is stand_in:
            del module.__dict__["__getattr__"]
            try:
                spec.loader.exec_module(module)
            except BaseException:
                module.__dict__["__getattr__"] = stand_in
                raise


def attribute(module: types.ModuleType, name: str) -> Any:
    try:
        return module.__dict__[name]
    except KeyError:
        raise AttributeError(f"module {module.__name__!r} has no attribute {name!r}") from None


def names_defined(path: str | None) -> frozenset[str] | None:
    """The names a module's top level binds (its source read, not run); None when it cannot tell."""
    try:
        with open(path or "", encoding="utf-8") as source:
            tree = ast.parse(source.read())
    except (OSError, SyntaxError, ValueError):
        return None
    names: set[str] = set()
    statements = list(tree.body)
    while statements:
        statement = statements.pop()
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(statement.name)
        elif isinstance(statement, (ast.Import, ast.ImportFrom)):
            for alias in statement.names:
                if alias.name == "*":
                    return None
                names.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(statement, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
            for block in ("body", "orelse", "finalbody", "handlers"):
                statements += getattr(statement, block, [])
        elif isinstance(statement, ast.ExceptHandler):
            statements += statement.body
        else:
            for node in ast.walk(statement):
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                    names.add(node.id)
    return frozenset(names)


def is_deferred(name: str = DEFERRED_MODULE) -> bool:
    """Whether `name` is still waiting for its first use (tests, diagnostics)."""
    module = sys.modules.get(name)
    return isinstance(module, types.ModuleType) and "__getattr__" in module.__dict__ and \
        getattr(module.__dict__["__getattr__"], "__qualname__", "").startswith("defer_module.")


def _train_schema_on_demand() -> None:
    from rasa.engine.graph import GraphSchema
    from rasa.engine.storage.storage import ModelMetadata

    class TrainSchemaOnDemand(GraphSchema):
        """A `GraphSchema` deserialised, by Rasa's own `from_dict`, when its nodes are first used."""

        def __init__(self, serialized: dict[str, Any]) -> None:  # noqa: D107 (not the dataclass' init)
            self._serialized = serialized
            self._loaded: GraphSchema | None = None
            self._lock = threading.Lock()

        @property  # type: ignore[override]
        def nodes(self) -> dict:
            if self._loaded is None:
                with self._lock:
                    if self._loaded is None:
                        self._loaded = original_from_dict(self._serialized)
            return self._loaded.nodes

        @nodes.setter
        def nodes(self, value: dict) -> None:
            self._loaded = GraphSchema(value)

        def __eq__(self, other: object) -> bool:
            return isinstance(other, GraphSchema) and self.nodes == other.nodes

        __hash__ = None  # type: ignore[assignment]  # as the dataclass' (eq without frozen)

        def __reduce__(self) -> Any:  # pickled and deep-copied as the plain schema it stands for
            return GraphSchema, (self.nodes,)

    original_from_dict = GraphSchema.from_dict
    original_metadata_from_dict = ModelMetadata.from_dict.__func__

    def from_dict(cls: type[ModelMetadata], serialized: dict[str, Any]) -> ModelMetadata:
        # Rasa's own, with an empty training schema; then the real one, to be read when first used.
        metadata = original_metadata_from_dict(cls, {**serialized, "train_schema": {"nodes": {}}})
        metadata.train_schema = TrainSchemaOnDemand(copy.deepcopy(serialized["train_schema"]))
        return metadata

    ModelMetadata.from_dict = classmethod(from_dict)  # type: ignore[method-assign,assignment]
