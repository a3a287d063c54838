"""The action server finds every action the bot names, as it finds them: rasa-sdk imports the
package given by `--actions actions` (scripts/run.py) and registers each Action subclass."""

from __future__ import annotations

from pathlib import Path

import yaml
from rasa_sdk.executor import ActionExecutor

ROOT = Path(__file__).resolve().parents[3]
# The limit for a module (issue 14): one a newcomer reads in one sitting.
MAX_LINES = 400


def test_the_action_server_registers_exactly_the_actions_the_domain_names():
    executor = ActionExecutor()
    executor.register_package("actions")
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    custom = {name for name in domain["actions"] if not name.startswith("utter_")}
    assert set(executor.actions) == custom


def test_no_action_module_is_longer_than_a_sitting():
    long = {str(p.relative_to(ROOT)): n for p in (ROOT / "actions").rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long
