"""The live reference service answers as docs/backend-api.yaml documents.

Every route in reference_service/api.py must be in the document (and back);
each case in ``CASES`` is sent to a freshly seeded service (seeds/demo.yml) and
its status must be the expected one and documented for the route, its body
valid against the documented schema, with no undocumented fields.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Any, Dict, List, NamedTuple, Set, Tuple

import jsonschema
import pytest
import requests
import yaml

from reference_service.api import ROUTES
from tests.helpers import REFERENCE_TOKEN

ROOT = Path(__file__).resolve().parents[2]
SPEC: Dict[str, Any] = yaml.safe_load((ROOT / "docs" / "backend-api.yaml").read_text(encoding="utf-8"))

# Needs a service started with a token; tests/reference_service/test_auth_and_seed.py covers it.
STATUSES_NOT_IN_TABLE = {401}


class Case(NamedTuple):
    method: str
    path: str
    body: Any  # None: no body; bytes: sent as they are; anything else: sent as JSON
    status: int


DISPUTE = {"customer_id": "C2", "payment_id": "P-5003", "description": "$75 twice", "reason": "charged twice"}

CASES = [
    Case("GET", "/health", None, 200),
    # orders
    Case("GET", "/orders/10023", None, 200),
    Case("GET", "/orders/10050", None, 200),
    Case("GET", "/orders/99999", None, 404),
    Case("POST", "/orders/10023/verify", {"email": "Maria.Keller@example.com"}, 200),
    Case("POST", "/orders/10023/verify", {"phone": "(555) 201-4477"}, 200),
    Case("POST", "/orders/10023/verify", {"email": "someone@example.com"}, 200),
    Case("POST", "/orders/10023/verify", {}, 400),
    Case("POST", "/orders/99999/verify", {"email": "maria.keller@example.com"}, 404),
    Case("POST", "/orders/10024/cancel", None, 200),
    Case("POST", "/orders/10050/cancel", None, 200),
    Case("POST", "/orders/10023/cancel", None, 409),
    Case("POST", "/orders/99999/cancel", None, 404),
    Case("POST", "/orders/10026/address", {"address": "12 Elm Street, Springfield"}, 200),
    Case("POST", "/orders/10026/address", {"address": " "}, 400),
    Case("POST", "/orders/10026/address", b"{not json", 400),
    Case("POST", "/orders/10042/address", {"address": "12 Elm Street, Springfield"}, 409),
    Case("POST", "/orders/10050/address", {"address": "12 Elm Street, Springfield"}, 409),
    Case("POST", "/orders/99999/address", {"address": "12 Elm Street, Springfield"}, 404),
    Case("POST", "/orders/10031/returns", {"item": "grey trainers", "reason": "too small"}, 201),
    Case("POST", "/orders/10031/returns", {"item": "grey trainers"}, 400),
    Case("POST", "/orders/10024/returns", {"item": "oak lamp", "reason": "changed my mind"}, 409),
    Case("POST", "/orders/10061/returns", {"item": "tote bag", "reason": "changed my mind"}, 409),
    Case("POST", "/orders/99999/returns", {"item": "anything", "reason": "anything"}, 404),
    Case("GET", "/orders/10031/refunds", None, 200),
    Case("GET", "/orders/10024/refunds", None, 200),
    Case("GET", "/orders/99999/refunds", None, 404),
    # billing
    Case("GET", "/customers?email=tom.okafor@example.org", None, 200),
    Case("GET", "/customers?email=AIKO.T@example.net", None, 200),
    Case("GET", "/customers", None, 400),
    Case("GET", "/customers?email=nobody@example.com", None, 404),
    Case("POST", "/customers/C1/verify", {"phone": "+1 555 201 4477"}, 200),
    Case("POST", "/customers/C1/verify", {"phone": "+44 7700 900123"}, 200),
    Case("POST", "/customers/C1/verify", {"email": "maria.keller@example.com"}, 400),
    Case("POST", "/customers/C9/verify", {"phone": "+1 555 201 4477"}, 404),
    Case("GET", "/customers/C1/payments", None, 200),
    Case("GET", "/customers/C9/payments", None, 404),
    Case("POST", "/customers/C1/payment-link", {"payment_id": "P-5004"}, 202),
    Case("POST", "/customers/C1/payment-link", None, 202),
    Case("POST", "/customers/C1/payment-link", ["P-5004"], 400),
    Case("POST", "/customers/C9/payment-link", {}, 404),
    Case("POST", "/customers/C3/password-reset", None, 202),
    Case("POST", "/customers/C9/password-reset", None, 404),
    Case("GET", "/invoices/INV-20931", None, 200),
    Case("GET", "/invoices/inv-20931", None, 200),
    Case("GET", "/invoices/10031", None, 200),
    Case("GET", "/invoices/INV-00000", None, 404),
    Case("GET", "/invoices/inv-20931/document", None, 200),
    Case("GET", "/invoices/10031/document", None, 404),
    Case("POST", "/invoices/INV-20944/send", None, 202),
    Case("POST", "/invoices/10031/send", None, 404),
    Case("POST", "/disputes", DISPUTE, 201),
    Case("POST", "/disputes", {"customer_id": None, "payment_id": None, "description": "$4.99", "reason": "?"}, 201),
    Case("POST", "/disputes", {"description": "$75 twice"}, 400),
    Case("POST", "/disputes", {**DISPUTE, "customer_id": "C9"}, 404),
    Case("POST", "/disputes", {**DISPUTE, "payment_id": "P-0000"}, 404),
]


# -- reading the document and the service's source ----------------------------------------------


def template(path: str) -> str:
    return re.sub(r"<(\w+)(?::[^>]*)?>", r"{\1}", path)


def service_routes() -> Set[Tuple[str, str]]:
    """(METHOD, /path/{param}) for every route the service's table serves, and its health check."""
    return {(method, template(path)) for method, path, *_ in ROUTES} | {("GET", "/health")}


def service_writes() -> Set[Tuple[str, str]]:
    """Routes that name an idempotency scope in the table: the ones that honour Idempotency-Key."""
    return {(method, template(path)) for method, path, _, operation, _ in ROUTES if operation}


def documented_routes() -> Set[Tuple[str, str]]:
    return {(method.upper(), path) for path, item in SPEC["paths"].items() for method in item}


def documented_route(path: str) -> str:
    """The document's path template that a concrete path (query string allowed) falls under."""
    bare = path.split("?", 1)[0]
    for template in SPEC["paths"]:
        pattern = "".join(
            "[^/]+" if part.startswith("{") else re.escape(part) for part in re.split(r"(\{[^}]+\})", template)
        )
        if re.fullmatch(pattern, bare):
            return template
    raise AssertionError(f"{path} matches no path in docs/backend-api.yaml")


def resolve(node: Dict[str, Any], document: Dict[str, Any]) -> Dict[str, Any]:
    """Follow local ``$ref``s (``#/components/...``) until a real object."""
    while "$ref" in node:
        target: Any = document
        for key in node["$ref"].removeprefix("#/").split("/"):
            target = target[key]
        node = target
    return node


def operation(method: str, template: str, document: Dict[str, Any] = SPEC) -> Dict[str, Any]:
    return document["paths"][template][method.lower()]


def response_schema(method: str, template: str, status: int, document: Dict[str, Any]) -> Dict[str, Any]:
    response = resolve(operation(method, template, document)["responses"][str(status)], document)
    return response["content"]["application/json"]["schema"]


def request_schema(method: str, template: str, document: Dict[str, Any]) -> Dict[str, Any] | None:
    body = operation(method, template, document).get("requestBody")
    return resolve(body, document)["content"]["application/json"]["schema"] if body else None


# -- OpenAPI 3.0 schemas as JSON Schema ------------------------------------------------------------


def as_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 ``nullable: true`` becomes JSON Schema's ``type: [T, "null"]`` (and ``null`` joins any enum).

    Objects with a ``type`` and ``properties`` also get ``additionalProperties: false``: the
    service must not send fields the document leaves out. (Partial schemas inside ``allOf``,
    which have no ``type``, stay open.)"""
    if isinstance(node, list):
        return [as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: as_json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable") is True:
        converted["type"] = [node["type"], "null"]
        if "enum" in converted:
            converted["enum"] = [*converted["enum"], None]
    if node.get("type") == "object" and "properties" in node:
        converted.setdefault("additionalProperties", False)
    return converted


JSON_SPEC: Dict[str, Any] = as_json_schema(SPEC)


def schema_errors(instance: Any, schema: Dict[str, Any]) -> List[str]:
    """Why ``instance`` does not fit ``schema`` (a fragment of JSON_SPEC whose $refs point into it)."""
    validator = jsonschema.Draft7Validator(
        schema,
        resolver=jsonschema.RefResolver.from_schema(JSON_SPEC),
        format_checker=jsonschema.FormatChecker(),
    )
    return [f"{'/'.join(map(str, e.absolute_path)) or '<body>'}: {e.message}" for e in validator.iter_errors(instance)]


CASES_BY_ROUTE: Dict[Tuple[str, str], List[Case]] = defaultdict(list)
for _case in CASES:
    CASES_BY_ROUTE[(_case.method, documented_route(_case.path))].append(_case)


# -- the document against the service's source -----------------------------------------------------


def test_the_document_is_openapi_3_0_3_with_the_shared_schemas():
    assert SPEC["openapi"] == "3.0.3"
    assert SPEC["info"]["title"] == "Order & billing backend contract"
    shared = {"Order", "OrderItem", "OrderState", "Refund", "Customer", "Invoice", "Payment", "Error", "VerifyRequest"}
    assert shared <= set(SPEC["components"]["schemas"])
    assert SPEC["components"]["schemas"]["OrderState"]["enum"] == [
        "processing",
        "shipped",
        "delayed",
        "delivered",
        "cancelled",
        "returned",
    ]


def test_every_route_the_service_serves_is_documented():
    assert service_routes() - documented_routes() == set()


def test_every_documented_route_is_served():
    assert documented_routes() - service_routes() == set()


def test_every_write_and_only_writes_take_an_idempotency_key():
    def takes_key(method: str, template: str) -> bool:
        parameters = [resolve(p, SPEC) for p in operation(method, template).get("parameters", [])]
        return any(p["in"] == "header" and p["name"] == "Idempotency-Key" for p in parameters)

    assert {route for route in documented_routes() if takes_key(*route)} == service_writes()


def test_every_route_but_health_documents_401_and_the_correlation_header():
    for method, template in documented_routes() - {("GET", "/health")}:
        op = operation(method, template)
        headers = {resolve(p, SPEC)["name"] for p in op.get("parameters", []) if resolve(p, SPEC)["in"] == "header"}
        assert "X-Correlation-ID" in headers, f"{method} {template}"
        assert "401" in op["responses"], f"{method} {template}"


# -- the table against the document ------------------------------------------------------------------


def test_the_table_exercises_every_documented_status_of_every_route():
    documented = {
        (method, template, int(status))
        for method, template in documented_routes()
        for status in operation(method, template)["responses"]
        if int(status) not in STATUSES_NOT_IN_TABLE
    }
    exercised = {(case.method, documented_route(case.path), case.status) for case in CASES}
    assert documented - exercised == set()
    assert exercised - documented == set()


def test_request_bodies_in_the_table_are_valid_unless_the_case_expects_400():
    for case in CASES:
        schema = request_schema(case.method, documented_route(case.path), JSON_SPEC)
        if schema is None or case.body is None or isinstance(case.body, bytes):
            continue
        errors = schema_errors(case.body, schema)
        if case.status == 400:
            assert errors, f"{case}: the document accepts a body the service refuses"
        else:
            assert not errors, f"{case}: {errors}"


# -- the live service against the document -------------------------------------------------------------


def send(base_url: str, case: Case) -> requests.Response:
    if case.body is None:
        payload: Dict[str, Any] = {}
    elif isinstance(case.body, bytes):
        payload = {"data": case.body, "headers": {"Content-Type": "application/json"}}
    else:
        payload = {"json": case.body}
    headers = {**payload.pop("headers", {}), "Authorization": f"Bearer {REFERENCE_TOKEN}"}
    return requests.request(case.method, base_url + case.path, timeout=10, headers=headers, **payload)


@pytest.mark.parametrize("route", list(CASES_BY_ROUTE), ids=[f"{m} {t}" for m, t in CASES_BY_ROUTE])
def test_each_route_answers_with_documented_statuses_and_bodies(reference_server, route):
    """All cases of one route, in table order, against one freshly seeded service."""
    method, template = route
    base_url = reference_server.health_url.removesuffix("/health")
    documented = {int(status) for status in operation(method, template)["responses"]}
    problems = []
    for case in CASES_BY_ROUTE[route]:
        reply = send(base_url, case)
        where = f"{case.method} {case.path} -> {reply.status_code}"
        if reply.status_code not in documented:
            problems.append(f"{where}: not a documented status ({sorted(documented)})")
            continue
        if reply.status_code != case.status:
            problems.append(f"{where}: expected {case.status}: {reply.text}")
            continue
        try:
            body = reply.json()
        except ValueError:
            problems.append(f"{where}: body is not JSON: {reply.text!r}")
            continue
        schema = response_schema(method, template, reply.status_code, JSON_SPEC)
        problems += [f"{where}: {error}" for error in schema_errors(body, schema)]
    assert not problems, "\n".join(problems)
