"""Code that runs inside the rasa server (the bot runtime, Python 3.10, Rasa 3.6)."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import logging
import os

log = logging.getLogger(__name__)
# The Rasa release the patches were written against and are tested with (tests/bot_runtime): they
# replace private internals, which another release may have changed.
PATCHED_RASA = "3.6.21"
PATCHES_SETTING = "AFTERSALES_RASA_PATCHES"


def patches_wanted(rasa_version: str, setting: str | None) -> bool:
    """Patch only the release the patches were made for, and not at all when the setting says off."""
    if (setting or "on").strip().lower() in ("off", "0", "false", "no"):
        return False
    return rasa_version == PATCHED_RASA


# Both patch Rasa (speed; a failed conversation read is an error); the pure modules here (language)
# are also imported by the app runtime's tests, where Rasa is not installed.
if importlib.util.find_spec("rasa") is not None:
    _version = importlib.metadata.version("rasa")
    if patches_wanted(_version, os.environ.get(PATCHES_SETTING)):
        from bot_extensions import dialogue_speedups, lazy_channels, lazy_tensorflow, speedups, tracker_reads

        lazy_tensorflow.install()  # first: the others import Rasa
        lazy_channels.install()  # before anything imports rasa.core.channels
        speedups.install()
        dialogue_speedups.install()
        tracker_reads.install()
    elif _version != PATCHED_RASA:
        log.warning("Rasa %s is not %s, the release bot_extensions' patches are made for: running without them "
                    "(slower; a failed conversation read starts a blank conversation)", _version, PATCHED_RASA)
    else:
        log.info("Rasa patches off (%s)", PATCHES_SETTING)
