"""Code that runs inside the rasa server (the bot runtime, Python 3.10, Rasa 3.6)."""

from bot_extensions.speedups import install

install()
