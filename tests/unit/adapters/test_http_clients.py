"""The outgoing HTTP clients against a real local HTTP server: retries, headers, errors, timeouts."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from aftersales.adapters.helpdesk_client import HelpdeskClient, HelpdeskError
from aftersales.adapters.rasa_api import RasaConversations, RasaUnavailable


class Recorder(BaseHTTPRequestHandler):
    script: list[tuple[int, dict, float]] = []
    seen: list[dict] = []
    extra_headers: dict[str, str] = {}

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        type(self).seen.append({"method": self.command, "path": self.path, "headers": dict(self.headers),
                                "body": body})
        status, answer, delay = type(self).script.pop(0) if type(self).script else (200, {}, 0)
        time.sleep(delay)
        payload = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in type(self).extra_headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server():
    Recorder.script, Recorder.seen, Recorder.extra_headers = [], [], {}
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def test_helpdesk_retries_a_503_with_the_same_idempotency_key(server):
    Recorder.script = [(503, {}, 0), (201, {"status": "opened", "ticket": {"ticket_no": "TK1"}}, 0)]
    result = HelpdeskClient(server, "secret").open_case({"kind": "escalation", "summary": "s"}, "chat:1")
    assert result["ticket"]["ticket_no"] == "TK1"
    assert [r["headers"]["Idempotency-Key"] for r in Recorder.seen] == ["chat:1", "chat:1"]
    assert Recorder.seen[0]["headers"]["Authorization"] == "Bearer secret"


def test_helpdesk_refusal_and_absence_are_errors_with_their_code(server):
    Recorder.script = [(404, {"error": "no such order", "code": "order_not_found"}, 0)]
    with pytest.raises(HelpdeskError) as refused:
        HelpdeskClient(server, "secret").open_case({}, "k")
    assert (refused.value.status, refused.value.code) == (404, "order_not_found")
    with pytest.raises(HelpdeskError, match="unreachable"):
        HelpdeskClient(closed_port_url(), "secret", retries=0).open_case({}, "k")


def test_a_slow_helpdesk_times_out_instead_of_hanging(server):
    Recorder.script = [(201, {}, 2.0), (201, {}, 2.0)]
    started = time.monotonic()
    with pytest.raises(HelpdeskError):
        HelpdeskClient(server, "secret", timeout=(1.0, 0.3), retries=1).open_case({}, "k")
    assert time.monotonic() - started < 1.9


def test_rasa_client_sends_the_token_and_quotes_the_conversation_id(server):
    client = RasaConversations(server, "rasa-token")
    client.trigger_intent("chat/1 2", "EXTERNAL_case_update", {"notification_id": "7"})
    client.append_events("chat/1 2", [{"event": "resume"}])
    trigger, events = Recorder.seen
    assert trigger["path"].startswith("/conversations/chat%2F1%202/trigger_intent?")
    assert "token=rasa-token" in trigger["path"] and "output_channel=latest" in trigger["path"]
    assert trigger["body"] == {"name": "EXTERNAL_case_update", "entities": {"notification_id": "7"}}
    assert "execute_side_effects=true" in events["path"] and events["body"] == [{"event": "resume"}]
    Recorder.script = [(500, {"message": "boom"}, 0)]
    with pytest.raises(RasaUnavailable, match="HTTP 500"):
        client.tracker("chat")


def test_a_429_is_answered_at_once_whatever_its_retry_after_says(server):
    Recorder.script = [(429, {"error": "too many", "code": "too_many_attempts"}, 0)]
    Recorder.extra_headers = {"Retry-After": "3600"}
    started = time.monotonic()
    with pytest.raises(HelpdeskError) as refused:
        HelpdeskClient(server, "secret").open_case({"kind": "escalation", "summary": "s"}, "chat:1")
    assert time.monotonic() - started < 5
    assert (refused.value.status, refused.value.code, len(Recorder.seen)) == (429, "too_many_attempts", 1)
