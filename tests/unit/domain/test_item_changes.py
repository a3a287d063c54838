"""What an item becomes in a size or colour change: the wish without the words that ask for it."""

from __future__ import annotations

import pytest

from aftersales.domain.item_changes import variant_from_wish


@pytest.mark.parametrize(("wish", "variant"), [
    ("换成黑色的", "黑色"), ("换成 42 码", "42 码"), ("请帮我换成白色吧", "白色"), ("我想要红色的", "红色"),
    ("换成42码，谢谢", "42码"), ("黑色 L 码", "黑色 L 码"), ("  蓝色\n", "蓝色"),
    ("make it a large, thanks!", "a large"), ("change it to size M please", "size M"), ("XL", "XL"),
    ("换成", "换成"),  # nothing but the asking words: kept as said
])
def test_the_variant_is_the_wish_without_its_asking_words(wish, variant):
    assert variant_from_wish(wish) == variant
