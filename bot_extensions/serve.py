"""`python -m bot_extensions.serve run …` is `rasa run …` with bot_extensions imported first.

Importing bot_extensions installs its Rasa patches (bot_extensions/__init__.py) — among them the one
that keeps TensorFlow out of a rasa server whose model does not use it (bot_extensions/lazy_tensorflow.py),
which has to be in place before Rasa's CLI imports its policies. scripts/run.py starts the rasa server
this way; `rasa train`, `rasa test` and the rest are Rasa's own CLI, unchanged.
"""

from __future__ import annotations

import sys

import bot_extensions  # noqa: F401  (the patches, before Rasa's own imports)


def main() -> None:
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
