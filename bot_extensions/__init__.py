"""Code that runs inside the rasa server (the bot runtime, Python 3.10, Rasa 3.6)."""

import importlib.util

# Both patch Rasa (speed; a failed conversation read is an error); the pure modules here (language)
# are also imported by the app runtime's tests, where Rasa is not installed.
if importlib.util.find_spec("rasa") is not None:
    from bot_extensions import speedups, tracker_reads

    speedups.install()
    tracker_reads.install()
