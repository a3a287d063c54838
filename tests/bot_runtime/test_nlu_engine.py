"""The NLU components of our own, with the bot's Python: normalization, the linear classifier and
answer selector (trained, persisted, loaded), and the guard in front of money flows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rasa.core.actions.action import ActionRetrieveResponse
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot_extensions.linear_nlu import LinearAnswerSelector, LinearIntentClassifier
from bot_extensions.nlu import MoneyIntentGuard, ParcelMeansReturnShipped, SpacelessJiebaTokenizer
from bot_extensions.text import asks_for_money, for_char_ngrams, for_classifier, is_only_order_reference, normalize

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("raw", "expected"), [
    ("這個訂單幾時發貨", "这个订单几时发货"),
    ("ＫＳ２０２６　退款", "ks2026 退款"),
    ("I Want A REFUND", "i want a refund"),
])
def test_normalize_is_simplified_half_width_lower_case_and_keeps_the_length(raw, expected):
    assert normalize(raw) == expected
    assert len(normalize(raw)) == len(raw)


def test_char_ngrams_see_one_mark_for_any_long_number():
    assert for_char_ngrams("退款P202611210000105到了吗") == for_char_ngrams("退款80239465721到了吗") == "退款0到了吗"


@pytest.mark.parametrize("text", ["[订单编号:80239465721，订单金额:199.00，下单时间:2026-11-12 10:21:33]",
                                  "咨询订单号:80239465721 订单金额:199.00 下单时间:2026-11-12", "订单号是 P202611210000105",
                                  "order no. 8023946572118"])
def test_an_order_card_or_named_number_is_left_out_and_alone_is_an_order_reference(text):
    assert for_classifier(text).strip() == ""
    assert is_only_order_reference(text)


@pytest.mark.parametrize("text", ["少发了一件，订单 P202611210000105", "\u0000\u0001", "", "好的"])
def test_not_only_an_order_reference(text):
    assert not is_only_order_reference(text)


@pytest.mark.parametrize("text", ["我要退款", "取消订单", "能拦截吗", "不想要了", "please cancel it", "Refund me",
                                  "退貨", "I want my money back"])
def test_money_cues(text):
    assert asks_for_money(text)


@pytest.mark.parametrize("text", ["发票开一下", "什么时候送到", "能保修吗", "where is my parcel", "\u0000\u0001", ""])
def test_no_money_cue(text):
    assert not asks_for_money(text)


def ranked(name: str, confidence: float) -> Message:
    message = Message(data={"text": "x"})
    top = {"name": name, "confidence": confidence}
    message.set("intent", top)
    message.set("intent_ranking", [top, {"name": "invoice", "confidence": 1 - confidence}])
    return message


@pytest.mark.parametrize(("text", "confidence", "expected"), [
    ("我要退款", 0.9, "request_refund"),   # asked for, confidently
    ("我要退款", 0.4, "nlu_fallback"),     # asked for, but a guess
    ("发票开一下", 0.9, "nlu_fallback"),   # confident, but no word asks for money
])
def test_money_guard(text, confidence, expected):
    message = ranked("request_refund", confidence)
    message.set("text", text)
    MoneyIntentGuard({"min_confidence": 0.5}).process([message])
    assert message.get("intent")["name"] == expected
    # The readings stay, so the bot can ask which one was meant.
    assert [r["name"] for r in message.get("intent_ranking")][-2:] == ["request_refund", "invoice"]


def test_money_guard_leaves_other_intents_alone():
    message = ranked("invoice", 0.2)
    MoneyIntentGuard({"min_confidence": 0.5}).process([message])
    assert message.get("intent")["name"] == "invoice"


@pytest.fixture
def pipeline(tmp_path):
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    tokenizer = SpacelessJiebaTokenizer.create(
        {**SpacelessJiebaTokenizer.get_default_config(), "dictionary_path": str(ROOT / "data" / "jieba")},
        storage, Resource("tokenizer"), context)
    return storage, context, tokenizer


def examples(tokenizer, rows):
    data = TrainingData([Message(data={"text": text, "intent": intent.split("/")[0],
                                       **({"intent_response_key": intent} if "/" in intent else {})})
                         for text, intent in rows])
    tokenizer.process_training_data(data)
    return data


TRAINING = [
    ("我要退款", "request_refund"), ("退钱给我", "request_refund"), ("申请退款", "request_refund"),
    ("发票开一下", "invoice"), ("开个电子发票", "invoice"), ("发票抬头写错了", "invoice"),
    ("退货运费谁出", "faq/return_shipping"), ("退回运费谁承担", "faq/return_shipping"),
    ("退款多久到账", "faq/refund_time"), ("钱几天能退回来", "faq/refund_time"),
]


def test_intent_classifier_trains_persists_loads_and_ranks(pipeline):
    storage, context, tokenizer = pipeline
    resource = Resource("intents")
    config = LinearIntentClassifier.get_default_config()
    LinearIntentClassifier.create(config, storage, resource, context).train(examples(tokenizer, TRAINING))
    loaded = LinearIntentClassifier.load(config, storage, resource, context)
    message = Message(data={"text": "發票怎麼開"})  # traditional characters, never trained on
    tokenizer.process([message])
    loaded.process([message])
    ranking = message.get("intent_ranking")
    assert message.get("intent")["name"] == "invoice"
    assert abs(sum(r["confidence"] for r in ranking) - 1.0) < 1e-6
    assert ranking == sorted(ranking, key=lambda r: -r["confidence"])


def test_answer_selector_writes_what_rasa_retrieval_action_reads(pipeline):
    storage, context, tokenizer = pipeline
    resource = Resource("answers")
    config = {**LinearAnswerSelector.get_default_config(), "retrieval_intent": "faq"}
    LinearAnswerSelector.create(config, storage, resource, context).train(examples(tokenizer, TRAINING))
    selector = LinearAnswerSelector.load(config, storage, resource, context)
    question, other = Message(data={"text": "退货的运费由谁出"}), Message(data={"text": "退货的运费由谁出"})
    tokenizer.process([question, other])
    question.set("intent", {"name": "faq", "confidence": 0.9})
    other.set("intent", {"name": "invoice", "confidence": 0.9})
    selector.process([question, other])
    assert other.get("response_selector") is None  # only FAQ questions are looked up
    # Rasa's retrieval action (utter_faq) picks the response by this key.
    selected = question.get("response_selector")[ActionRetrieveResponse.intent_name_from_action("utter_faq")]
    assert selected["response"]["utter_action"] == "utter_faq/return_shipping"
    assert question.get("response_selector")["all_retrieval_intents"] == ["faq"]


def parsed(text: str, intent: str, entities: list[dict]) -> Message:
    message = Message(data={"text": text})
    message.set("intent", {"name": intent, "confidence": 0.9})
    message.set("intent_ranking", [{"name": intent, "confidence": 0.9}])
    message.set("entities", entities)
    return message


@pytest.mark.parametrize(("intent", "becomes"), [("return_goods", "return_shipped"), ("inform", "return_shipped"),
                                                 ("nlu_fallback", "return_shipped"),
                                                 ("check_order_status", "check_order_status"),
                                                 ("request_refund", "request_refund")])
def test_a_named_parcel_is_the_return_sent_back_unless_the_message_asks_something_else(intent, becomes):
    parcel = [{"entity": "tracking_no", "value": "JT9876543210123", "start": 7, "end": 22}]
    [message] = ParcelMeansReturnShipped().process([parsed("给你退货单号 JT9876543210123", intent, parcel)])
    assert message.get("intent")["name"] == becomes
    [unnamed] = ParcelMeansReturnShipped().process([parsed("我要退货", "return_goods", [])])
    assert unnamed.get("intent")["name"] == "return_goods"


EDGE_TEXTS = ["", " ", "😀😀", "a" * 10_000, "退" * 3000, "<b>退款</b>", "\x00\x07退款\u200b", "P202611210000105",
              "I want my money back for order 8023946572118", "發票怎麼開", "好的谢谢"]


def test_the_numpy_scorer_computes_what_scikit_learn_computes_on_all_of_our_training_data(pipeline):
    """The classifier of every turn (linear_nlu._Scorer) against scikit-learn's transform and
    predict_proba, on the project's whole NLU data: the same probabilities to rounding, so
    the same ranking."""
    from rasa.shared.nlu.training_data.loading import load_data

    from bot_extensions.linear_nlu import _Scorer, _sklearn_probabilities

    storage, context, tokenizer = pipeline
    data = TrainingData().merge(*(load_data(str(path)) for path in sorted((ROOT / "data").glob("nlu*.yml"))))
    tokenizer.process_training_data(data)
    resource = Resource("intents")
    config = LinearIntentClassifier.get_default_config()
    # Trained on a third (seconds, not a minute), asked about all: most messages were never seen.
    LinearIntentClassifier.create(config, storage, resource, context).train(TrainingData(data.training_examples[::3]))
    loaded = LinearIntentClassifier.load(config, storage, resource, context)
    edge = [Message(data={"text": text}) for text in EDGE_TEXTS]
    tokenizer.process(edge)
    messages = [m for m in data.intent_examples if m.get("text")] + edge
    scorer = _Scorer.of(loaded.model)
    assert scorer is not None  # the model of config.yml is one it computes
    ours, _ = loaded.probabilities(messages)
    reference = _sklearn_probabilities(loaded.model, messages)
    assert ours.shape == reference.shape and len(messages) > 1000
    assert np.abs(ours - reference).max() < 1e-9
    assert (ours.argmax(axis=1) == reference.argmax(axis=1)).all()
