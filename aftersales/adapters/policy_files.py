"""Reads policy profiles from YAML files: ``extends`` chains and shop overrides, deep-merged."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import yaml

from aftersales.domain.profile import PolicyError, PolicyProfile

POLICY_DIR = Path(__file__).resolve().parent.parent / "policies"


def profile_names(directory: Path = POLICY_DIR) -> list[str]:
    """Profiles a shop can pick (``base`` only provides defaults)."""
    return sorted(p.stem for p in directory.glob("*.yaml") if p.stem != "base")


def load_profile(name: str, overrides: dict[str, Any] | None = None, directory: Path = POLICY_DIR) -> PolicyProfile:
    return _load_cached(name, json.dumps(overrides or {}, sort_keys=True), str(directory))


@functools.lru_cache(maxsize=256)
def _load_cached(name: str, overrides_json: str, directory: str) -> PolicyProfile:
    data = _read_chain(name, Path(directory), seen=())
    data = deep_merge(data, json.loads(overrides_json))
    return PolicyProfile.from_mapping(name, data)


def _read_chain(name: str, directory: Path, seen: tuple[str, ...]) -> dict[str, Any]:
    if name in seen:
        raise PolicyError(f"policy profiles extend each other in a loop: {' → '.join(seen + (name,))}")
    if not name.replace("_", "").isalnum():
        raise PolicyError(f"not a policy profile name: {name!r}")
    path = directory / f"{name}.yaml"
    if not path.is_file():
        raise PolicyError(f"no policy profile {name!r} (known: {', '.join(profile_names(directory))})")
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise PolicyError(f"{path} must hold a mapping")
    parent = data.pop("extends", None)
    if parent is None:
        return data
    return deep_merge(_read_chain(parent, directory, seen + (name,)), data)


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Mappings merge key by key; anything else in ``override`` replaces what ``base`` had."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged
