"""An exchange over HTTP, end to end: asked in the chat with what instead, approved and the goods
received in the inbox, the replacement reported by the shop's system — and the shopper told each
step in the same chat, and able to ask where it is."""

from __future__ import annotations

from datetime import UTC, datetime

import requests

from .conftest import FRESH_SHOP_MERCHANT, bot_texts, csrf, merchant_session, own_order, texts, wait_for
from .test_order_events import integration_token


def test_an_exchange_from_the_chat_to_the_replacements_parcel(system):
    order_no = own_order(system, state="delivered")
    sender, replies = system.chat("c_1001", f"鞋子小了，想换大一码 {order_no}", '/inform{"reason":"does_not_fit"}',
                                  "换成 43 码")
    assert "想换成什么" in texts(replies[1])
    summary = texts(replies[2])
    assert "换成：换成 43 码" in summary and "换货商品寄给您的运费由商家承担" in summary
    assert system.service.lookup_order("c_1001", order_no)["returns"] == []  # nothing before the yes

    done = system.say(sender, "确认", customer="c_1001")
    assert "换货申请已提交" in texts(done)
    [exchange] = system.service.lookup_order("c_1001", order_no)["returns"]
    assert (exchange["outcome"], exchange["exchange_wish"], exchange["replacement_shipping_payer"]) == (
        "exchange", "换成 43 码", "merchant")
    [ticket] = [t for t in system.service.lookup_order("c_1001", order_no)["tickets"] if t["kind"] == "return"]

    merchant = merchant_session(system, *FRESH_SHOP_MERCHANT)
    page = merchant.get(f"{system.web_url}/inbox/cases/{ticket['ticket_no']}", timeout=10).text
    merchant.post(f"{system.web_url}/inbox/cases/{ticket['ticket_no']}/decision", timeout=30,
                  data={"decision": "approve", "note": "请寄回：杭州市西湖区某路 1 号", "csrf_token": csrf(page)}
                  ).raise_for_status()
    page = merchant.get(f"{system.web_url}/inbox/orders/{order_no}", timeout=10).text
    merchant.post(f"{system.web_url}/inbox/orders/{order_no}/returns/{exchange['return_no']}/received", timeout=30,
                  data={"csrf_token": csrf(page)}).raise_for_status()
    assert system.service.lookup_order("c_1001", order_no)["returns"][0]["status"] == "received"
    assert wait_for(lambda: [x for x in bot_texts(system, sender) if "换货商品寄出后" in x])

    auth = {"Authorization": f"Bearer {integration_token(system, 'shop_fresh')}"}
    event = {"event_id": f"{order_no}-replacement", "order_no": order_no, "type": "replacement_shipped",
             "occurred_at": datetime.now(UTC).isoformat(),
             "data": {"return_no": exchange["return_no"], "carrier": "顺丰速运", "tracking_no": "SF1234567890"}}
    shipped = requests.post(f"{system.web_url}/api/v1/order-events", headers=auth, json=event, timeout=30)
    assert shipped.json()["outcome"] == "applied", shipped.text
    told = wait_for(lambda: [x for x in bot_texts(system, sender) if "SF1234567890" in x])
    assert told and "顺丰速运" in told[0]
    order = system.service.lookup_order("c_1001", order_no)
    assert order["returns"][0]["status"] == "replacement_shipped" and order["refunds"] == []

    where = system.say(sender, f"我的换货到哪了 {order_no}", customer="c_1001")
    assert "新商品已寄出" in texts(where) and "SF1234567890" in texts(where)


def test_a_colour_change_before_shipment_from_the_chat_to_the_order_item(system):
    order_no = own_order(system, state="paid")
    sender, replies = system.chat("c_1001", f"还没发货吧，我想换个颜色 {order_no}",
                                  '/inform{"reason":"ordered_by_mistake"}', "换成黑色的")
    assert "想换成什么" in texts(replies[1])
    summary = texts(replies[2])
    assert "发货前改尺码/颜色" in summary and "换成：换成黑色的" in summary and "不用寄回商品" in summary
    assert [t for t in system.service.lookup_order("c_1001", order_no)["tickets"]] == []  # nothing before the yes

    done = texts(system.say(sender, "确认", customer="c_1001"))
    assert "确认库存" in done and "换成黑色的" in done
    order = system.service.lookup_order("c_1001", order_no)
    [case] = [t for t in order["tickets"] if t["kind"] == "item_change"]
    assert order["refunds"] == [] and order["returns"] == [] and order["items"][0]["variant"] is None

    merchant = merchant_session(system, *FRESH_SHOP_MERCHANT)
    page = merchant.get(f"{system.web_url}/inbox/cases/{case['ticket_no']}", timeout=10).text
    assert "改为“黑色”" in page  # what approving does, in words
    merchant.post(f"{system.web_url}/inbox/cases/{case['ticket_no']}/decision", timeout=30,
                  data={"decision": "approve", "note": "黑色有货", "csrf_token": csrf(page)}).raise_for_status()
    assert system.service.lookup_order("c_1001", order_no)["items"][0]["variant"] == "黑色"
    told = wait_for(lambda: [x for x in bot_texts(system, sender) if "已改为：黑色" in x])
    assert told and case["ticket_no"] in told[0]
    order_page = merchant.get(f"{system.web_url}/inbox/orders/{order_no}", timeout=10).text
    assert "改为：黑色" in order_page

    where = texts(system.say(sender, f"订单 {order_no} 现在什么状态", customer="c_1001"))
    assert "手工红糖 已改为：黑色" in where
