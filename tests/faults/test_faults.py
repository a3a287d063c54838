"""Faults in the production-like profile: the conversation survives a lost rasa replica; a lost
action server or database gets an apology and nothing half-done, and the request then goes on."""

from __future__ import annotations

import subprocess
import time
import uuid
from pathlib import Path

import pytest
import requests

from aftersales.adapters.customer_tokens import mint
from tests.e2e.conftest import TOKEN_SECRET, own_order, texts, tracker, wait_for

from .conftest import kill, replicas

pytestmark = pytest.mark.faults


def say(system, sender: str, text: str) -> requests.Response:
    response = requests.post(f"{system.rasa_url}/webhooks/rest/webhook", timeout=120, json={
        "sender": sender, "message": text, "metadata": {"customer_token": mint(TOKEN_SECRET, "c_1001")}})
    response.raise_for_status()
    return response


def up(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code < 500
    except requests.RequestException:
        return False


def at_confirmation(system) -> tuple[str, str]:
    """A new conversation cancelling a paid order of its own, stopped at "确认提交吗"."""
    order_no = own_order(system, state="paid")
    sender = f"fault-{uuid.uuid4().hex[:8]}"
    for text in ("我要取消订单", order_no):
        say(system, sender, text)
    assert "确认提交吗" in texts(say(system, sender, "拍错了").json())
    return order_no, sender


def test_a_rasa_replica_dies_mid_conversation_and_the_other_carries_on(scaled_system):
    system = scaled_system
    order_no = own_order(system, state="paid")
    sender = f"fault-{uuid.uuid4().hex[:8]}"
    say(system, sender, "我要取消订单")
    asked = say(system, sender, order_no)
    assert "请问取消的原因是" in texts(asked.json())
    before = tracker(system, sender)["events"]

    served_by = asked.headers["X-Upstream"]
    kill(replicas(system, "rasa replica")[served_by])
    assert wait_for(lambda: not up(f"http://{served_by}/"), timeout=10)  # gone, not dying
    summary = say(system, sender, "拍错了")
    assert summary.headers["X-Upstream"] != served_by
    assert "确认提交吗" in texts(summary.json())  # the form went on where it was
    assert tracker(system, sender)["events"][:len(before)] == before  # nothing lost

    done = say(system, sender, "确认")
    assert "已取消" in texts(done.json())
    order = system.service.lookup_order("c_1001", order_no)
    assert order["state"] == "cancelled" and len(order["refunds"]) == 1
    # The launcher starts the lost replica again, as an orchestrator would.
    assert wait_for(lambda: up(f"http://{served_by}/"), timeout=180)


def test_action_servers_restart_mid_form_apology_then_the_request_goes_on(scaled_system):
    system = scaled_system
    order_no, sender = at_confirmation(system)

    for address, pid in replicas(system, "action server").items():
        kill(pid)
        assert wait_for(lambda address=address: not up(f"http://{address}/health"), timeout=10)
    reply = texts(say(system, sender, "确认").json())
    assert "没有执行" in reply and "转人工" in reply
    order = system.service.lookup_order("c_1001", order_no)
    assert order["state"] == "paid" and order["refunds"] == []

    assert wait_for(lambda: up(f"{system.actions_url}/health"), timeout=60)
    reply = texts(say(system, sender, "确认").json())
    assert "已取消" in reply
    order = system.service.lookup_order("c_1001", order_no)
    assert order["state"] == "cancelled" and len(order["refunds"]) == 1


def pg_ctl(action: str) -> None:
    version = sorted(p.name for p in Path("/etc/postgresql").iterdir())[-1]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action], check=True,
                   capture_output=True, timeout=120)


def test_postgresql_restarts_mid_form_apology_then_the_request_goes_on(scaled_system):
    if not Path("/etc/postgresql").is_dir():
        pytest.fail("this test restarts the machine's PostgreSQL cluster (pg_ctlcluster)")
    system = scaled_system
    order_no, sender = at_confirmation(system)

    pg_ctl("stop")
    try:
        reply = texts(say(system, sender, "确认").json())
        assert "没有执行" in reply
    finally:
        pg_ctl("start")
    assert wait_for(lambda: subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"]).returncode == 0, timeout=60)
    order = system.service.lookup_order("c_1001", order_no)
    assert order["state"] == "paid" and order["refunds"] == []  # nothing half-done

    # The shopper tries again: the first attempt after the restart may still meet a dead pooled
    # connection (answered with the same apology); the request then goes on.
    deadline = time.monotonic() + 60
    while "已取消" not in (reply := texts(say(system, sender, "确认").json())):
        assert "没有执行" in reply or "确认提交吗" in reply, reply
        assert time.monotonic() < deadline, reply
        time.sleep(1)
    order = system.service.lookup_order("c_1001", order_no)
    assert order["state"] == "cancelled" and len(order["refunds"]) == 1
