"""What the simulated shoppers say: our five conversations, and the starter bot's own."""

from __future__ import annotations

import threading

STARTER_TURNS = ["hello", "I am feeling sad", "yes", "great, thanks", "bye"]


class Scenarios:
    """Our five conversations, each on an order of its own."""

    def __init__(self, orders: dict[str, list[str]]):
        self.orders = {k: list(v) for k, v in orders.items()}
        self.lock = threading.Lock()
        self.counter = 0

    def next(self) -> list[str]:
        with self.lock:
            n = self.counter
            self.counter += 1
            kind = n % 5
            # Out of fresh orders of the kind needed (a long soak): the policy-question conversation.
            needs = {0: "paid", 1: "shipped", 2: "delivered", 3: "paid"}.get(kind)
            if needs and not self.orders[needs]:
                kind = 4
            if kind == 0:
                return [f"我要取消订单 {self.orders['paid'].pop()}", "拍错了", "确认"]
            if kind == 1:
                return [f"快递能拦截吗 {self.orders['shipped'].pop()}", "地址写错了", "确认"]
            if kind == 2:
                return [f"东西坏了我要退货 {self.orders['delivered'].pop()}",
                        '/inform{"reason":"quality_defect"}', "确认"]
            if kind == 3:
                return ["我的退款到哪了", self.orders["paid"].pop(), "谢谢"]
            return ["退款多久能到账", "退货运费谁出", "好的谢谢"]
