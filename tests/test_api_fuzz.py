"""Schemathesis against /api/v1/openapi.json, in-process through the WSGI app.

Each operation gets a bounded number of generated requests, valid ones (positive) and ones
that break the schema (negative), sent without credentials and with a staff token. Every
response must be documented for its operation, match its schema and content type, and never
be a 5xx. Invalid requests must be refused (4xx), valid ones accepted where the data allows.

(schemathesis' `from_fixture` pytest integration does not run on pytest 9 yet, so the
operations are driven here with hypothesis directly, as its `as_strategy()` API allows.)
"""

from __future__ import annotations

import os
import uuid
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import negative_data_rejection
from schemathesis.config import SchemathesisConfig

from tests.fixtures.accounts import create_user
from tests.fixtures.api import bearer_headers, create_api_event

# Generated requests per operation, per mode and per caller; CI may raise it.
NEGATIVE = GenerationMode.NEGATIVE
MAX_EXAMPLES = int(os.environ.get("LANET_FUZZ_EXAMPLES", "6"))


@pytest.fixture()
def fuzz_world(db):
    """Something for the generated requests to find: events and a staff token."""
    event = create_api_event("lemkin-fuzz", status="open", capacity=5)
    create_api_event("held-fuzz", status="held", start=event.start_date.replace(year=2013))
    staff = create_user("staff")
    return {"staff": bearer_headers(staff, "fuzz")}


# Event management checks rules across fields that a JSON Schema cannot state (end after
# start, registration closing before the start, quotas within the capacity, a known country
# and time zone, a free slug, seats never below those confirmed): a schema-valid request may
# rightly get 422 naming the field. Every other check (documented status, problem schema,
# never a 5xx) still holds for them, and every other operation must accept valid data.
_CROSS_FIELD_RULES = (
    r"^/api/v1/events$|^/api/v1/events/\{slug\}(/(seats|move|cancel|status|organizers))?$"
    r"|^/api/v1/series$"
)
CONFIG = SchemathesisConfig.from_dict(
    {
        "operations": [
            {
                "include-path-regex": _CROSS_FIELD_RULES,
                "include-method-regex": "^(POST|PATCH|PUT)$",
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": ["2xx", "401", "403", "404", "409", "422", "429"]
                    }
                },
            }
        ]
    }
)


def _operations(app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=CONFIG)
    return [result.ok() for result in schema.get_all_operations()]


def _fuzz(app, mode: GenerationMode, callers: list[dict[str, str] | None]) -> Counter:
    """Each generated request is sent once per caller (anonymous, staff token)."""
    sent: Counter = Counter()
    failures: list[str] = []
    for operation in _operations(app):
        label = operation.label

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
            print_blob=True,
        )
        def check(case):
            if case.headers and "Idempotency-Key" in case.headers:
                # Generated keys repeat across examples with other bodies, which the API
                # rightly refuses (422): each generated request gets a key of its own.
                case.headers["Idempotency-Key"] = uuid.uuid4().hex
            for headers in callers:
                sent[label] += 1  # noqa: B023  (check runs inside this iteration)
                # A negative case may be "Authorization missing"; adding the staff token
                # undoes that mutation, so that call is held to every check but that one.
                excluded = [negative_data_rejection] if headers and mode is NEGATIVE else None
                case.call_and_validate(headers=headers, excluded_checks=excluded)

        try:
            check()
        except Exception as error:  # collected so that one run reports every operation
            failures.append(f"{operation.label}: {error}")
    print(f"\nschemathesis {mode.value}: {len(sent)} operations, {sum(sent.values())} requests")
    assert not failures, "\n\n".join(failures)
    return sent


@pytest.mark.slow
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_against_its_document(app, fuzz_world, mode):
    sent = _fuzz(app, mode, [None, fuzz_world["staff"]])
    assert len(sent) >= 3
