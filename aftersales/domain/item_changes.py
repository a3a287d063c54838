"""A size or colour change before shipment (改尺码 / 改颜色): what the item becomes is the shopper's
wish without the words that ask for it — "换成黑色的" is 黑色, "make it a large" is a large — so the
order item, the inbox and the chat read the size or colour itself. A wish that is nothing but
those words stays as it was said."""

from __future__ import annotations

import re

_ASKING = re.compile(
    r"^(?:(?:请|麻烦|帮我|给我|我想|我要|想)\s*)*(?:换成|改成|改为|换为|调成|改到|换到|换个|换一个|要)\s*"
    r"|^(?:please\s+)?(?:change\s+(?:it\s+|the\s+\w+\s+)?to|switch\s+(?:it\s+)?to|make\s+it|i'?d\s+like|i\s+want)\s+",
    re.IGNORECASE)
_TRAILING = re.compile(r"(?:[\s,，.。!！]*(?:please|pls|thanks|谢谢|麻烦了))*[的吧呢啊哈呀。.!！,，~～\s]*$",
                       re.IGNORECASE)


def variant_from_wish(wish: str) -> str:
    said = " ".join(str(wish).split())
    variant = _TRAILING.sub("", _ASKING.sub("", said)).strip()
    return variant or said
