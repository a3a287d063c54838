"""How a shopper's message is read before anything classifies it. Pure Python, no Rasa.

Real shoppers write in traditional characters, with a full-width IME, in capitals, and paste order
numbers and the platform's order card into their messages. The classifiers should see one spelling
for each of those, so :func:`normalize` maps every character to its simplified, half-width,
lower-case form — one character for one character, so offsets into the original text stay valid
(the tokenizer keeps the shopper's own characters as token texts and the normalized ones as lemmas).
"""

from __future__ import annotations

import functools
import re
import unicodedata

import opencc

# Digits inside an order number or any long number: what the classifiers see instead. A number
# carries no intent, but its digits would (an n-gram model learns "2026" from order numbers).
NUMBER_MARK = "0"
_LONG_NUMBER = re.compile(r"[a-z]{0,3}[0-9][0-9\- ]{3,}[0-9]")


@functools.cache
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@functools.lru_cache(maxsize=8192)
def _char(c: str) -> str:
    folded = unicodedata.normalize("NFKC", c).lower()
    if len(folded) != 1:
        # "㈱" → "(株)", "ﬁ" → "fi": keep the offsets, keep the character.
        folded = c.lower() if len(c.lower()) == 1 else c
    simplified = _t2s().convert(folded)
    return simplified if len(simplified) == 1 else folded


def normalize(text: str) -> str:
    """Simplified, half-width, lower case, character by character (same length as ``text``)."""
    return "".join(_char(c) for c in text or "")


# The order card a shop's chat pastes when the shopper opens it from an order
# ("[订单编号:…，订单金额:…，下单时间:…]", "咨询订单号:… 订单金额:… 下单时间:…", a bare "订单号:…"), and the
# web chat's own prefix. It names the order (the entity extractor reads it from the text) but asks
# nothing: the classifiers read the message without it, and a message that is only a card is `inform`.
_ORDER_CARD = re.compile(
    r"顾客通过点击\S{0,40}?信息发送\s*:|"
    r"\[?\s*(?:咨询)?订单(?:编号|号)\s*[:：]\s*[a-z]{0,3}[0-9][0-9\- ]{4,}[0-9]\s*[,，;；]?\s*"
    r"(?:订单金额\s*[:：]\s*[0-9.,¥￥元 ]*[0-9][,，;；]?\s*)?"
    r"(?:下单时间\s*[:：]\s*[0-9][0-9\-/.年月日]*(?:\s*[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?)?)?\s*\]?|"
    # "订单 P2026…", "订单号是 8023…", "order no. 8023…": the number with the words that name it
    r"(?:订单|单号|order(?: number| no\.?)?)\s*(?:号|编号)?\s*(?:是|为)?\s*[:：]?\s*"
    r"[a-z]{0,3}\s?[0-9][0-9\- ]{8,}[0-9]")


def order_card_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _ORDER_CARD.finditer(normalize(text))]


def for_classifier(text: str) -> str:
    """The normalized text with order cards blanked out (same length as ``text``)."""
    return _ORDER_CARD.sub(lambda m: " " * len(m.group()), normalize(text))


def is_only_order_reference(text: str) -> bool:
    """An order card or number and nothing else but spaces and punctuation: the shopper names an order."""
    named = bool(order_card_spans(text) or _LONG_NUMBER.search(normalize(text)))
    rest = _LONG_NUMBER.sub("", for_classifier(text))
    return named and not re.sub(r"[\s\W_]", "", rest)


def for_char_ngrams(text: str) -> str:
    """What char n-grams read: the classifier's text with every long number reduced to one mark."""
    return _LONG_NUMBER.sub(NUMBER_MARK, for_classifier(text))


# The intents whose flow can end in money moving or an order changing for good.
MONEY_INTENTS = frozenset({"cancel_order", "request_refund", "return_goods", "intercept_delivery"})
# Words without which no message is read as asking for one of them (normalized spelling). Broad on
# purpose: the guard stops an invoice question from becoming a refund, not a shopper who means it.
_MONEY_CUE = re.compile(
    r"取消|撤|不要了|不想要|不要这|不买|退|拦|截|别送|不用送|别发|不要发|不发了|拒收|拒签|关闭订单|关掉|砍单|"
    r"回去|寄回|发回|送回|召回|钱.{0,4}(回|还)|还钱|返钱|要回|"
    r"cancel|refund|return|intercept|recall|block|refus|reject|halt|call off|charge ?back|reimburs|"
    r"sen(d|ding|t)\b.{0,30}\bback|(money|payment|cash) back|give .{0,20}back|pay(ed|ing)? back|"
    r"\bstop\b|don'?t (want|need|deliver|send|ship)|do not (want|need)|no longer (want|need)"
)


def asks_for_money(text: str) -> bool:
    return bool(_MONEY_CUE.search(normalize(text)))
