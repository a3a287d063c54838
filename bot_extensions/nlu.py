"""Our NLU components.

BareValueIsInform — a message that is nothing but a number is the shopper answering the bot's
question. Asked for an order number or the last four digits of a phone, shoppers type just the
digits. DIET has too little to go on in "9999" and, trained on another machine, may call it goodbye
or thanks — and the form then drops the answer. A bare number is never a greeting, a complaint or a
goodbye, so this component states it outright instead of leaving it to the classifier: such a
message is `inform`, with full confidence (so the FallbackClassifier after it leaves it alone).

MoneyIntentGuard — cancel, refund, return and interception start a flow that ends in money moving, so
the classifier's word alone is not enough: such a reading needs confidence and a word that asks for it
(bot_extensions.text.MONEY_CUES). Otherwise the message becomes `nlu_fallback`, its ranking kept, and
the bot asks which of the likeliest readings was meant. Measured on real shoppers' messages: without
it, questions about invoices or delivery times were walked into a refund (reports/nlu.md).

ParcelMeansReturnShipped — a message naming a courier's tracking number (the regex entity
`tracking_no`, data/nlu.yml) read as a return, an exchange, an answer or nothing clear is the shopper
telling the parcel they sent back ("给你退货单号 JT…", "SF1234567890" alone): `return_shipped`, not a
new return request.

LanguageDetector — which language to answer in (bot_extensions.language).

QuestionResponseSelector — the FAQ answer is chosen only for FAQ questions (bot_extensions/diet_nlu.py;
DIET's pipeline only, importable here by this name).

SpacelessJiebaTokenizer — Rasa's JiebaTokenizer with the spaces left out. jieba returns every space
as a token of its own, so "will it rain tomorrow" reaches DIET as seven tokens, three of them empty
(no features); Chinese text has no spaces, English text is half spaces. Measured on the English
held-out phrasings: with the spaces, confident nonsense (weather questions as check_order_status at
1.00) and 86.9 %; figures without them in reports/nlu.md. It also gives every order number the
same lemma (SpacelessJiebaTokenizer.NUMBER_LEMMA)."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot_extensions.language import LANGUAGE, language_of
from bot_extensions.text import (
    MONEY_INTENTS,
    asks_for_money,
    for_classifier,
    is_only_order_reference,
    order_card_spans,
)

INFORM = "inform"
NLU_FALLBACK = "nlu_fallback"
RETURN_SHIPPED = "return_shipped"
TRACKING_NO = "tracking_no"
# Readings a named parcel overrides; a question about the shop's own parcel ("SF… 到哪了",
# check_order_status) or a refund keeps its own.
_PARCEL_READINGS = frozenset({"return_goods", "exchange_goods", INFORM, NLU_FALLBACK})
# An order number (optional letter prefix, spaces or dashes between digits) or a phone's last four
# digits, with at most a closing punctuation mark: "P2026 1121 0000 103", "9999。".
_BARE_VALUE = re.compile(r"(?:[A-Za-z]{1,3} ?)?[0-9](?:[ \-]?[0-9]){3,19}[.。!！]?")


def is_bare_value(text: str) -> bool:
    """Digits alone, or the order card the shop's chat pastes (bot_extensions.text)."""
    digits = _BARE_VALUE.fullmatch(unicodedata.normalize("NFKC", text or "").strip())
    return bool(digits) or is_only_order_reference(text)


def state(message: Message, intent: str) -> None:
    """``intent`` as the message's reading, with full confidence, at the top of its ranking."""
    ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) != intent]
    top = {INTENT_NAME_KEY: intent, PREDICTED_CONFIDENCE_KEY: 1.0}
    message.set(INTENT, top, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [top, *ranking], add_to_output=True)


class _Rule(GraphComponent):
    """A component with nothing to train or keep: built the same way every time."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> _Rule:
        return cls()


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class BareValueIsInform(_Rule):
    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            if not is_bare_value(message.get(TEXT)):
                continue
            state(message, INFORM)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class MoneyIntentGuard(GraphComponent):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"min_confidence": 0.5}

    def __init__(self, config: dict[str, Any]) -> None:
        self.min_confidence = float(config["min_confidence"])

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> MoneyIntentGuard:
        return cls({**cls.get_default_config(), **config})

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            top = message.get(INTENT) or {}
            if top.get(INTENT_NAME_KEY) not in MONEY_INTENTS:
                continue
            confidence = float(top.get(PREDICTED_CONFIDENCE_KEY) or 0.0)
            if confidence >= self.min_confidence and asks_for_money(message.get(TEXT)):
                continue
            fallback = {INTENT_NAME_KEY: NLU_FALLBACK, PREDICTED_CONFIDENCE_KEY: confidence}
            message.set(INTENT, fallback, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [fallback, *(message.get(INTENT_RANKING_KEY) or [])], add_to_output=True)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class ParcelMeansReturnShipped(_Rule):
    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            top = message.get(INTENT) or {}
            named = any(e.get("entity") == TRACKING_NO for e in message.get(ENTITIES) or [])
            if not named or top.get(INTENT_NAME_KEY) not in _PARCEL_READINGS:
                continue
            state(message, RETURN_SHIPPED)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class LanguageDetector(_Rule):
    """Tags each message with the language to answer in, as the entity `language`; the slot of the
    same name follows it, and the responses and the actions' words follow the slot. A message that
    does not tell leaves the slot alone, so "P2026…" or "9999" mid-form keeps the shopper's
    language. Messages sent as `/intent{…}` (buttons) skip the pipeline and never change it."""

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            language = language_of(message.get(TEXT), message.get("metadata"))
            if language is None:
                continue
            entity = {"entity": LANGUAGE, "value": language, "start": 0, "end": 0, "confidence": 1.0,
                      "extractor": type(self).__name__}
            message.set(ENTITIES, [*(message.get(ENTITIES) or []), entity], add_to_output=True)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=True)
class SpacelessJiebaTokenizer(JiebaTokenizer):
    # The featurizers read a token's lemma. Rasa's count vectors already turn an all-digit token
    # into __NUMBER__; an order number with a letter prefix ("KS2026112100000555") stayed itself,
    # and its digit n-grams — seen mostly in answers to "which order?" — outvoted the words around
    # it: "取消订单P2026…" and "拦截快递KS2026…" were read as `inform`. Every such number now reads
    # the same. (Inside the class: Rasa's training cache fingerprints the class's source.)
    NUMBER_LEMMA = "__NUMBER__"
    ORDER_CARD_LEMMA = "__ORDER_CARD__"
    NUMBER_TOKEN = re.compile(r"[A-Za-z]{0,3}[0-9][0-9\-]{3,}")

    @classmethod
    def is_number_token(cls, text: str) -> bool:
        return bool(cls.NUMBER_TOKEN.fullmatch(unicodedata.normalize("NFKC", text)))

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        import jieba

        # jieba segments the normalized text (simplified, half-width, lower case, order cards blanked:
        # same length), so a traditional-character or full-width message splits like its simplified
        # twin; a token keeps the shopper's own characters as its text, the normalized ones as lemma.
        text = message.get(attribute) or ""
        normalized = for_classifier(text)
        tokens = []
        for word, start, end in jieba.tokenize(normalized):
            if not word.strip():
                continue
            lemma = self.NUMBER_LEMMA if self.is_number_token(word) else word
            tokens.append(Token(text[start:end], start, end, lemma=lemma))
        # A pasted order card is one token: it says "this order", whatever its numbers and dates.
        tokens += [Token(text[start:end], start, end, lemma=self.ORDER_CARD_LEMMA)
                   for start, end in order_card_spans(text)]
        return self._apply_token_pattern(sorted(tokens, key=lambda token: token.start))


def __getattr__(name: str) -> Any:
    # QuestionResponseSelector subclasses Rasa's ResponseSelector (TensorFlow): its own module, imported
    # only when a pipeline names it (scripts/nlu_report.py's DIET pipeline), so that this one does not.
    if name == "QuestionResponseSelector":
        from bot_extensions.diet_nlu import QuestionResponseSelector

        return QuestionResponseSelector
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

