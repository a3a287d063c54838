"""QuestionResponseSelector — Rasa's ResponseSelector run only on FAQ questions. Apart from
bot_extensions.nlu because it subclasses a TensorFlow component: the pipeline in config.yml does not
use it (scripts/nlu_report.py's DIET pipeline does, as `bot_extensions.nlu.QuestionResponseSelector`)."""

from __future__ import annotations

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.selectors.response_selector import ResponseSelector
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY
from rasa.shared.nlu.training_data.message import Message


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class QuestionResponseSelector(ResponseSelector):
    """Rasa's ResponseSelector, run only on messages the intent classifier took for its retrieval
    intent (`faq`). Rasa's runs on every message, and its answer is read only after `faq`: a second
    neural network per message for nothing, 11 % of the rasa server's CPU per turn (py-spy)."""

    def process(self, messages: list[Message]) -> list[Message]:
        asked_for = self.component_config["retrieval_intent"]  # set at training and at loading alike
        questions = [m for m in messages if (m.get(INTENT) or {}).get(INTENT_NAME_KEY) == asked_for]
        if questions:
            super().process(questions)
        return messages
