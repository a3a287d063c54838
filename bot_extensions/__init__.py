"""Code that runs inside the rasa server (the bot runtime, Python 3.10, Rasa 3.6)."""

import importlib.util

# The speed-ups patch Rasa; the pure modules here (language) are also imported by the app
# runtime's tests, where Rasa is not installed.
if importlib.util.find_spec("rasa") is not None:
    from bot_extensions.speedups import install

    install()
