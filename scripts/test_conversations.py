"""`rasa test core --fail-on-prediction-errors` over the conversation tests, with one difference.

Every message the bot reads is tagged with the language to answer in (the entity `language`, from
bot_extensions.nlu.LanguageDetector): a tag about the whole message, with no span of text. Test
stories can only annotate entities as spans of their text, so Rasa's evaluation would count the tag
as a wrong entity in every story. This leaves that one tag out of the comparison; intents, the other
entities and every predicted action are checked exactly as `rasa test` checks them.

    .venv-bot/bin/python scripts/test_conversations.py tests/conversations results/conversations
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(1, str(ROOT))  # bot_extensions, named by config.yml

from rasa.__main__ import main as rasa_main  # noqa: E402
from rasa.core import test as core_test  # noqa: E402

from bot_extensions.language import LANGUAGE  # noqa: E402

_rasa_clean_entity_results = core_test._clean_entity_results


def _without_language_tag(text: str, entities: list[dict[str, Any]]) -> list[Any]:
    return _rasa_clean_entity_results(text, [e for e in entities or [] if e.get("entity") != LANGUAGE])


def main() -> None:
    stories, out = sys.argv[1:3]
    core_test._clean_entity_results = _without_language_tag
    sys.argv = ["rasa", "test", "core", "--stories", stories, "--fail-on-prediction-errors", "--out", out]
    rasa_main()


if __name__ == "__main__":
    main()
