"""Rasa's channel SDKs wait for a channel that uses them (bot_extensions/lazy_channels.py): the rasa
server's modules and our two channels leave them out, yet every name `rasa.core.channels` has is
the same as Rasa's own — each built-in channel by its credentials key, the class list, the console
channel `rasa shell` records with. Each check runs in a fresh Python, with the patches on and off."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import bot_extensions
from bot_extensions import lazy_channels

ROOT = Path(__file__).resolve().parents[2]
SDKS = ("slack_sdk", "aiogram", "questionary", "prompt_toolkit", "webexteamssdk", "twilio", "fbmessenger")


def fresh_python(code: str, setting: str = "on") -> dict:
    result = subprocess.run([sys.executable, "-c", "import bot_extensions, json, sys\n" + code], cwd=ROOT,
                            capture_output=True, text=True, timeout=300, check=True,
                            env={**os.environ, bot_extensions.PATCHES_SETTING: setting})
    return json.loads(result.stdout.strip().splitlines()[-1])


SERVER_AND_OUR_CHANNELS = f"SDKS = {SDKS!r}\n" + """
import rasa.core.run, rasa.server, bot_extensions.channels
from rasa.core.channels import BUILTIN_CHANNELS, UserMessage, OutputChannel, CollectingOutputChannel, InputChannel
from bot_extensions.lazy_channels import is_lazy
found = {name: rasa.core.run._create_single_channel(name, {}).__class__.__name__
         for name in ("bot_extensions.channels.ResilientRestInput", "rest")}
print(json.dumps({"lazy": is_lazy(), "sdks": sorted(m for m in SDKS if m in sys.modules), "found": found,
                  "rest_in_builtins": "rest" in BUILTIN_CHANNELS, "user_message": UserMessage.__module__}))
"""


def test_the_server_and_our_channels_import_no_channel_sdk():
    on, off = fresh_python(SERVER_AND_OUR_CHANNELS), fresh_python(SERVER_AND_OUR_CHANNELS, "off")
    assert on["lazy"] and not off["lazy"]
    assert on["sdks"] == [] and {"slack_sdk", "aiogram", "questionary"} <= set(off["sdks"])
    assert on["found"] == off["found"] == {"bot_extensions.channels.ResilientRestInput": "ResilientRestInput",
                                           "rest": "RestInput"}
    assert on["rest_in_builtins"] and on["user_message"] == off["user_message"] == "rasa.core.channels.channel"


EVERY_NAME = """
import rasa.core.run, rasa.core.channels as channels
builtins = {name: f"{cls.__module__}.{cls.__qualname__}" for name, cls in channels.BUILTIN_CHANNELS.items()}
slack = channels.SlackInput.__module__
classes = [f"{cls.__module__}.{cls.__qualname__}" for cls in channels.input_channel_classes]
print(json.dumps({"builtins": builtins, "slack": slack, "classes": classes,
                  "record": rasa.core.run.console.record_messages.__module__,
                  "cmdline": channels.BUILTIN_CHANNELS["cmdline"].name()}))
"""


def test_every_name_of_the_package_is_rasa_s_own():
    on, off = fresh_python(EVERY_NAME), fresh_python(EVERY_NAME, "off")
    assert on == off
    assert on["record"] == "rasa.core.channels.console" and on["cmdline"] == "cmdline"
    assert list(on["builtins"]) == list(lazy_channels.CHANNELS)  # the same keys, in Rasa's order


def test_a_channel_looked_up_imports_its_own_sdk_only():
    looked_up = fresh_python("""
import rasa.core.run
from rasa.core.channels import BUILTIN_CHANNELS
from bot_extensions.lazy_channels import is_lazy
telegram = BUILTIN_CHANNELS["telegram"].name()
print(json.dumps({"telegram": telegram, "aiogram": "aiogram" in sys.modules, "slack": "slack_sdk" in sys.modules,
                  "lazy": is_lazy(), "missing": "no_such_channel" in BUILTIN_CHANNELS}))
""")
    assert looked_up == {"telegram": "telegram", "aiogram": True, "slack": False, "lazy": True, "missing": False}
