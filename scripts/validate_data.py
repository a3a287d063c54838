"""`rasa data validate --fail-on-warnings`, with one exception Rasa has no switch for.

Intents named EXTERNAL_* are triggered through Rasa's HTTP API by our own services (the notifier's
EXTERNAL_case_update), never typed by a shopper, so they have — and must have — no NLU examples.
Rasa's validator warns about every domain intent without examples, and --fail-on-warnings turns
that into a failure; this runs the same validation with EXTERNAL_* intents left out of that one
check. Everything else fails exactly as `rasa data validate --fail-on-warnings` does.

    .venv-bot/bin/python scripts/validate_data.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(1, str(ROOT))  # bot_extensions, named by config.yml

from rasa.cli.utils import validate_files  # noqa: E402
from rasa.shared.importers.importer import TrainingDataImporter  # noqa: E402
from rasa.validator import Validator  # noqa: E402

EXTERNAL_PREFIX = "EXTERNAL_"
_rasa_non_default_intents = Validator._non_default_intents


def _typed_intents(self: Validator) -> list[str]:
    return [name for name in _rasa_non_default_intents(self) if not name.startswith(EXTERNAL_PREFIX)]


def main() -> None:
    Validator._non_default_intents = _typed_intents  # type: ignore[method-assign]
    importer = TrainingDataImporter.load_from_config(
        str(ROOT / "config.yml"), str(ROOT / "domain.yml"), [str(ROOT / "data")])
    validate_files(fail_on_warnings=True, max_history=None, importer=importer)
    print("Project validated: no errors, no warnings.")


if __name__ == "__main__":
    main()
