"""Rasa's channel SDKs imported only for a channel a server uses. Rasa 3.6's `rasa.core.channels`
package imports all fifteen of its channels the first time anything imports it — Slack's, Telegram's
(aiogram), Webex's, Google's and Twilio's SDKs — and `rasa.core.run` imports the console channel
(its prompt toolkit) for `rasa shell`; ours uses two, REST and socket.io (credentials.yml, through
bot_extensions.channels). That was ~15 % of the rasa server's model load (`-X importtime`:
slack_sdk 0.45 s, aiogram 0.27 s, the console's questionary 0.18 s, webexteamssdk 0.16 s on the
loaded machine) and their memory.

Here `rasa.core.channels` is put in sys.modules as a module of the package's own spec (so its
submodules import as before) holding the four base names its `__init__` re-exports from
`channel`; every other name its `__init__` defines is found on first use: a channel class imports
its own submodule only, `BUILTIN_CHANNELS` is a mapping of the same names whose class is imported
when looked up, and anything else (`input_channel_classes`, …) runs the real `__init__`, after which
the package is Rasa's own. The console channel's module waits, as lazy_tensorflow's deferred
module does, for its first real use. tests/bot_runtime/test_lazy_channels.py compares the names and
classes with Rasa's own.

Installed by `bot_extensions` (before anything imports the package) only on the patched Rasa
release and not with AFTERSALES_RASA_PATCHES=off; like lazy_tensorflow it has an effect where
bot_extensions is imported before Rasa's server — the rasa server started by
`python -m bot_extensions.serve`.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import sys
import threading
from collections.abc import Iterator, Mapping
from typing import Any

from bot_extensions.lazy_tensorflow import attribute, defer_module, names_defined, run_for_real

PACKAGE = "rasa.core.channels"
CONSOLE = f"{PACKAGE}.console"
# Rasa 3.6.21's rasa/core/channels/__init__.py: each built-in channel's name() (its key in the
# credentials) → its submodule and class.
CHANNELS: dict[str, tuple[str, str]] = {
    "cmdline": ("console", "CmdlineInput"), "facebook": ("facebook", "FacebookInput"),
    "slack": ("slack", "SlackInput"), "telegram": ("telegram", "TelegramInput"),
    "mattermost": ("mattermost", "MattermostInput"), "twilio": ("twilio", "TwilioInput"),
    "twilio_voice": ("twilio_voice", "TwilioVoiceInput"), "rasa": ("rasa_chat", "RasaChatInput"),
    "botframework": ("botframework", "BotFrameworkInput"), "rocketchat": ("rocketchat", "RocketChatInput"),
    "callback": ("callback", "CallbackInput"), "rest": ("rest", "RestInput"),
    "socketio": ("socketio", "SocketIOInput"), "webexteams": ("webexteams", "WebexTeamsInput"),
    "hangouts": ("hangouts", "HangoutsInput"),
}
BASE_NAMES = ("InputChannel", "OutputChannel", "UserMessage", "CollectingOutputChannel")  # from .channel
SUBMODULE_OF_CLASS = {cls: submodule for submodule, cls in CHANNELS.values()}


def _channel_class(submodule: str, cls: str) -> type:
    return getattr(importlib.import_module(f"{PACKAGE}.{submodule}"), cls)


class BuiltinChannels(Mapping[str, type]):
    """Rasa's BUILTIN_CHANNELS (name → channel class), a channel's module imported when it is looked up."""

    def __getitem__(self, name: str) -> type:
        return _channel_class(*CHANNELS[name])

    def __contains__(self, name: object) -> bool:  # without importing: `channel in BUILTIN_CHANNELS`
        return name in CHANNELS

    def __iter__(self) -> Iterator[str]:
        return iter(CHANNELS)

    def __len__(self) -> int:
        return len(CHANNELS)


@functools.cache  # once per process
def install() -> None:
    if PACKAGE in sys.modules:  # already imported whole: nothing to save
        return
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.loader is None or spec.origin is None:
        return
    defines = names_defined(spec.origin)
    if defines is None or not set(SUBMODULE_OF_CLASS) | set(BASE_NAMES) | {"BUILTIN_CHANNELS"} <= defines:
        return  # not the __init__ this was written for
    package = importlib.util.module_from_spec(spec)
    lock = threading.RLock()

    def __getattr__(name: str) -> Any:  # PEP 562: only names the module does not hold yet
        if name in SUBMODULE_OF_CLASS:
            cls = _channel_class(SUBMODULE_OF_CLASS[name], name)
            package.__dict__[name] = cls
            return cls
        if name not in defines:  # a submodule (`from rasa.core.channels import console`) or nothing
            raise AttributeError(f"module {PACKAGE!r} has no attribute {name!r}")
        run_for_real(package, spec, __getattr__, lock)  # Rasa's own __init__: from here on, the package is its own
        return attribute(package, name)

    package.__getattr__ = __getattr__  # type: ignore[method-assign]
    sys.modules[PACKAGE] = package
    sys.modules["rasa.core"].channels = package  # type: ignore[attr-defined]  # find_spec imported rasa.core
    channel = importlib.import_module(f"{PACKAGE}.channel")
    if is_lazy():  # nothing imported the whole package meanwhile
        for name in BASE_NAMES:
            package.__dict__[name] = getattr(channel, name)
        package.__dict__["BUILTIN_CHANNELS"] = BuiltinChannels()
    defer_module(CONSOLE)


def is_lazy() -> bool:
    """Whether `rasa.core.channels` still waits for names of its own (tests, diagnostics)."""
    package = sys.modules.get(PACKAGE)
    return package is not None and "__getattr__" in package.__dict__
