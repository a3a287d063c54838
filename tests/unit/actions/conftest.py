"""Actions under test reach their services through runtime.services(); these tests hand them fakes."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from actions import runtime


@pytest.fixture
def use_services(monkeypatch):
    """Call with the fakes an action needs (e.g. ``helpdesk=FakeHelpdesk()``); other services are absent,
    so an action reaching one it should not need fails the test."""
    fakes: dict[str, Any] = {}

    def install(**services: Any) -> None:
        fakes.update(services)
        monkeypatch.setattr(runtime, "services", lambda: SimpleNamespace(**fakes))

    return install
