"""Schemathesis against our own OpenAPI document: generated requests — valid and invalid ones — to
the case API, the orders API and the order-events API, on SQLite and PostgreSQL; not one answer is a
server error."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from aftersales.adapters.db.engine import session_factory
from aftersales.config import Settings
from aftersales.entrypoints.web.app import OPENAPI_PATH, create_app
from aftersales.service.integrations import IntegrationsService
from tests.integration.fixtures import add_order

HELPDESK_TOKEN = "fuzz-helpdesk-token"
SCHEMA = schemathesis.openapi.from_path(str(OPENAPI_PATH))
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


@pytest.mark.parametrize("operation", OPERATIONS, ids=[op.label for op in OPERATIONS])
def test_no_generated_request_gets_a_server_error(database_url, operation):
    factory = session_factory(database_url)
    add_order(factory, "P1000000001", state="paid")
    add_order(factory, "P1000000002", state="delivered")
    integration = IntegrationsService(factory).add("shop_g")
    app = create_app(Settings.from_env({"DATABASE_URL": database_url, "AFTERSALES_ENV": "test",
                                        "HELPDESK_API_TOKEN": HELPDESK_TOKEN}))
    token = HELPDESK_TOKEN if operation.path.startswith("/v1/cases") else integration
    answered: list[int] = []

    @given(case=operation.as_strategy())
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def fuzz(case):
        response = case.call_and_validate(app=app, headers={"Authorization": f"Bearer {token}"},
                                          checks=[not_a_server_error])
        answered.append(response.status_code)

    fuzz()
    assert answered and max(answered) < 500
