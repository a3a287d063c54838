"""The webhook client in production posts only to hosts on the internet, resolving the name at each
post: names and numeric spellings that point into this network are refused before any request."""

from __future__ import annotations

import socket

import pytest

from aftersales.adapters.webhook_client import NotOnTheInternet, WebhookClient, check_host


@pytest.mark.parametrize("url", ["https://127.1/", "https://2130706433/", "https://0x7f000001/",
                                 "https://localhost/hook", "https://[::1]/", "https://10.0.0.8/",
                                 "https://169.254.169.254/latest", "https://no-such-host.invalid/"])
def test_a_host_of_this_network_or_no_host_is_refused(url):
    with pytest.raises(NotOnTheInternet):
        check_host(url)


def test_a_name_resolving_into_this_network_is_refused_before_any_request(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, port: [(0, 0, 0, "", ("192.168.1.5", 0))])
    client = WebhookClient(internet_only=True)
    monkeypatch.setattr(client._session, "post", lambda *a, **k: pytest.fail("posted to this network"))
    with pytest.raises(NotOnTheInternet):
        client.post("https://hooks.shop.example/a", b"{}", {})


def test_a_name_on_the_internet_is_posted_to(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, port: [(0, 0, 0, "", ("93.184.216.34", 0))])
    check_host("https://hooks.shop.example/a")  # no error
