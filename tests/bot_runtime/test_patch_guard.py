"""The Rasa patches install themselves only on the release they were made for, and can be switched off."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import bot_extensions
from bot_extensions import PATCHED_RASA, patches_wanted

ROOT = Path(__file__).resolve().parents[2]
WHERE_RETRIEVE_COMES_FROM = ("import bot_extensions; from rasa.core.tracker_store import FailSafeTrackerStore; "
                             "print(FailSafeTrackerStore.retrieve.__module__)")


def test_the_pinned_release_is_the_one_installed():
    import importlib.metadata

    assert importlib.metadata.version("rasa") == PATCHED_RASA


@pytest.mark.parametrize(("version", "setting", "wanted"), [
    (PATCHED_RASA, None, True), (PATCHED_RASA, "on", True), (PATCHED_RASA, "off", False),
    (PATCHED_RASA, " OFF ", False), (PATCHED_RASA, "0", False), ("3.6.20", None, False), ("3.7.0", "on", False),
])
def test_patches_are_wanted_only_on_their_release_and_when_not_switched_off(version, setting, wanted):
    assert patches_wanted(version, setting) is wanted


@pytest.mark.parametrize(("setting", "module"), [("on", "bot_extensions.tracker_reads"),
                                                 ("off", "rasa.core.tracker_store")])
def test_the_switch_decides_whether_rasa_is_patched(setting, module):
    env = {**os.environ, bot_extensions.PATCHES_SETTING: setting}
    result = subprocess.run([sys.executable, "-c", WHERE_RETRIEVE_COMES_FROM], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip().splitlines()[-1] == module
