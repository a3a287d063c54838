"""The webhook client in production posts only to hosts on the internet, resolving the name at each
post: names and numeric spellings that point into this network are refused before any request, and
the request goes to the address that was checked, never to a second answer of the name's DNS."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from aftersales.adapters import webhook_client
from aftersales.adapters.webhook_client import NotOnTheInternet, WebhookClient, pinned, public_addresses


@pytest.mark.parametrize("url", ["https://127.1/", "https://2130706433/", "https://0x7f000001/",
                                 "https://localhost/hook", "https://[::1]/", "https://10.0.0.8/",
                                 "https://169.254.169.254/latest", "https://no-such-host.invalid/"])
def test_a_host_of_this_network_or_no_host_is_refused(url):
    with pytest.raises(NotOnTheInternet):
        public_addresses(url)


def test_a_name_resolving_into_this_network_is_refused_before_any_request(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, port: [(0, 0, 0, "", ("192.168.1.5", 0))])
    client = WebhookClient(internet_only=True)
    monkeypatch.setattr(webhook_client.requests.Session, "post", lambda *a, **k: pytest.fail("posted"))
    with pytest.raises(NotOnTheInternet):
        client.post("https://hooks.shop.example/a", b"{}", {})


def test_a_name_with_one_address_of_this_network_is_refused(monkeypatch):
    answers = [(0, 0, 0, "", ("93.184.216.34", 0)), (0, 0, 0, "", ("10.1.2.3", 0))]
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, port: answers)
    with pytest.raises(NotOnTheInternet):
        public_addresses("https://hooks.shop.example/a")


def test_a_name_on_the_internet_gives_its_addresses_ipv4_first(monkeypatch):
    answers = [(0, 0, 0, "", ("2606:2800:220:1::1", 0, 0, 0)), (0, 0, 0, "", ("93.184.216.34", 0)),
               (0, 0, 0, "", ("93.184.216.34", 0)), (0, 0, 0, "", ("93.184.216.35", 0))]
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, port: answers)
    assert public_addresses("https://hooks.shop.example/a") == ["93.184.216.34", "93.184.216.35", "2606:2800:220:1::1"]


@pytest.mark.parametrize(("url", "address", "target", "host"), [
    ("https://hooks.shop.example/a?x=1", "93.184.216.34", "https://93.184.216.34/a?x=1", "hooks.shop.example"),
    ("https://hooks.shop.example:8443/a", "2606:2800:220:1::1", "https://[2606:2800:220:1::1]:8443/a",
     "hooks.shop.example:8443"),
])
def test_the_request_names_the_checked_address_and_the_host_in_its_header(url, address, target, host):
    assert pinned(url, address) == (target, host)


class _Receiver(BaseHTTPRequestHandler):
    seen: list[tuple[str, str, bytes]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.seen.append((self.path, self.headers["Host"], body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_the_post_goes_to_the_address_that_was_checked_not_to_a_second_lookup(monkeypatch):
    _Receiver.seen.clear()
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    lookups = []
    # The first answer passes the check (standing in for an internet address: the receiver is local);
    # a second lookup would get one of this network, and a rebinding attack would have won.
    # The first checked address refuses the connection (nothing listens on 127.0.0.2): the next one is tried.
    monkeypatch.setattr(webhook_client, "public_addresses",
                        lambda url: lookups.append(url) or ["127.0.0.2", "127.0.0.1"])
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # a proxy would look the name up again: not used
    real_lookup = socket.getaddrinfo

    def lookup(host, *args, **kwargs):
        if host == "hooks.shop.example":
            pytest.fail("the name was looked up again")
        return real_lookup(host, *args, **kwargs)  # the numeric address urllib3 connects to

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    try:
        status = WebhookClient(internet_only=True).post(f"http://hooks.shop.example:{port}/hook?s=1", b'{"a":1}',
                                                        {"Content-Type": "application/json"})
    finally:
        server.shutdown()
    assert status == 204 and len(lookups) == 1
    assert _Receiver.seen == [("/hook?s=1", f"hooks.shop.example:{port}", b'{"a":1}')]


def _certificate(tmp_path, name: str) -> tuple[str, str]:
    """A self-signed certificate for ``name`` and its key, as PEM files."""
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=1))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_file), str(key_file)


@pytest.mark.parametrize(("certified", "accepted"), [("hooks.shop.example", True), ("other.example", False)])
def test_https_to_the_checked_address_still_checks_the_certificate_against_the_shops_name(
        tmp_path, monkeypatch, certified, accepted):
    import ssl

    cert_file, key_file = _certificate(tmp_path, certified)
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setattr(webhook_client, "public_addresses", lambda url: ["127.0.0.1"])
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", cert_file)  # the receiver's certificate is the one trusted
    url = f"https://hooks.shop.example:{server.server_address[1]}/tls"
    try:
        if accepted:
            assert WebhookClient(internet_only=True).post(url, b"{}", {}) == 204
        else:
            with pytest.raises(webhook_client.requests.exceptions.SSLError):
                WebhookClient(internet_only=True).post(url, b"{}", {})
    finally:
        server.shutdown()
