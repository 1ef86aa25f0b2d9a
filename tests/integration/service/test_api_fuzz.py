"""The API fuzzed from its own OpenAPI document (schemathesis) against the live process: no request, valid or
not, gets a 5xx, and every reply is one the schema documents (status, content type, body shape)."""

from __future__ import annotations

import os
import time
from typing import Any

import pytest
import schemathesis
from harness import ServiceStack
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

pytestmark = pytest.mark.integration

EXAMPLES = 12  # per operation and mode: ~30 operations x 2 modes stays well under a minute
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def fuzz(operation: Any, mode: schemathesis.GenerationMode, base_url: str, headers: dict[str, str]) -> None:
    """Up to ``EXAMPLES`` cases of one operation in one mode, each sent to the live API and checked."""
    checks = CHECKS + ([negative_data_rejection] if mode is schemathesis.GenerationMode.NEGATIVE else [])

    @settings(max_examples=EXAMPLES, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck), derandomize=os.environ.get("CI") == "true")
    @given(case=operation.as_strategy(generation_mode=mode))
    def call(case: Any) -> None:
        case.call_and_validate(base_url=base_url, headers=headers, checks=checks, timeout=15)

    try:
        call()
    except Unsatisfiable:  # nothing in this operation can be made invalid (no parameters, no body)
        assert mode is schemathesis.GenerationMode.NEGATIVE, operation.label


def test_no_request_gets_a_server_error_and_replies_match_the_schema(stack: ServiceStack) -> None:
    api = stack.start_api()
    schemathesis.serializer.alias("application/gzip", "application/octet-stream")  # uploads are raw bytes
    schema = schemathesis.openapi.from_url(f"{stack.api_url}/openapi.json")
    headers = {"Authorization": f"Bearer {stack.admin_token}"}
    started = time.monotonic()
    tested: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            fuzz(operation, mode, stack.api_url, headers)
        tested.append(operation.label)
    assert len(tested) >= 20, tested
    assert time.monotonic() - started < 120
    log = api.text()
    assert "Traceback" not in log and "internal error" not in log, log[-3000:]
