"""HTTP API of the reference service (contract: docs/backend-api.yaml)."""

from __future__ import annotations

import asyncio
import json
import logging
from functools import partial
from typing import Any, Callable, Coroutine, Dict, Tuple

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from privacy.credentials import bearer, same_secret
from reference_service.rules import RuleViolation
from reference_service.store import NotFound, Store

logger = logging.getLogger("reference_service")

Handler = Callable[..., Coroutine[Any, Any, Any]]
Route = Callable[..., Coroutine[Any, Any, HTTPResponse]]


MAX_FIELD_CHARS = 1000


class BadInput(ValueError):
    """The request body is not what the endpoint takes."""


def error(status: int, code: str, message: str) -> HTTPResponse:
    return response.json({"error": code, "message": message}, status=status)


def json_body(request: Request, *required: str) -> Dict[str, Any]:
    try:
        body = json.loads((request.body or b"{}").decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadInput("body must be a JSON object") from None
    if not isinstance(body, dict):
        raise BadInput("body must be a JSON object")
    for name in required:
        if not isinstance(body.get(name), str) or not body[name].strip() or not is_text(body[name], MAX_FIELD_CHARS):
            raise BadInput(f"'{name}' must be a non-empty string of at most {MAX_FIELD_CHARS} printable characters")
    return body


MAX_PATH_PARAM_CHARS = 64
MAX_KEY_CHARS = 200


def is_text(value: str, limit: int) -> bool:
    """Printable Unicode within ``limit`` characters (a URL can carry bytes that decode to lone surrogates)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return 0 < len(value) <= limit and value.isprintable()


def optional_id(body: Dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and (not isinstance(value, str) or not is_text(value, MAX_PATH_PARAM_CHARS)):
        raise BadInput(f"'{name}' must be an id (a short string) when given")
    return value


async def run(function: Callable[..., Any], *args: Any) -> Any:
    """SQL is blocking: run it in a worker thread, keeping the event loop free for other requests."""
    return await asyncio.get_running_loop().run_in_executor(None, partial(function, *args))


class Handlers:
    """One method per endpoint: read the request, call the store. Errors are the store's and ``BadInput``;
    ``endpoint`` turns them into HTTP."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def health(self, _: Request) -> Any:
        return {"status": "ok"}

    async def get_order(self, _: Request, number: str) -> Any:
        return await run(self.store.get_order, number)

    async def verify_contact(self, request: Request, number: str) -> Any:
        body = json_body(request)
        email, phone = body.get("email"), body.get("phone")
        if not isinstance(email, str) and not isinstance(phone, str):
            raise BadInput("give 'email' or 'phone'")
        if any(isinstance(v, str) and not is_text(v, MAX_FIELD_CHARS) for v in (email, phone)):
            raise BadInput("'email' and 'phone' must be printable text")
        return {"verified": await run(self.store.verify_contact, number, email, phone)}

    async def cancel_order(self, _: Request, number: str) -> Any:
        return await run(self.store.cancel_order, number)

    async def change_address(self, request: Request, number: str) -> Any:
        body = json_body(request, "address")
        return await run(self.store.change_address, number, body["address"])

    async def create_return(self, request: Request, number: str) -> Any:
        body = json_body(request, "item", "reason")
        return await run(self.store.create_return, number, body["item"], body["reason"])

    async def refunds(self, _: Request, number: str) -> Any:
        return {"refunds": await run(self.store.refunds_for_order, number)}

    async def find_customer(self, request: Request) -> Any:
        email = request.args.get("email")
        if not email:
            raise BadInput("query parameter 'email' is required")
        return await run(self.store.find_customer, email)

    async def verify_customer(self, request: Request, customer_id: str) -> Any:
        body = json_body(request, "phone")
        return {"verified": await run(self.store.verify_customer_phone, customer_id, body["phone"])}

    async def payments(self, _: Request, customer_id: str) -> Any:
        return {"payments": await run(self.store.payments_for_customer, customer_id)}

    async def payment_link(self, request: Request, customer_id: str) -> Any:
        payment_id = optional_id(json_body(request), "payment_id")
        return await run(self.store.send_link, customer_id, "payment_link", payment_id)

    async def password_reset(self, _: Request, customer_id: str) -> Any:
        return await run(self.store.send_link, customer_id, "password_reset")

    async def find_invoice(self, _: Request, reference: str) -> Any:
        return await run(self.store.find_invoice, reference)

    async def invoice_document(self, _: Request, number: str) -> Any:
        return await run(self.store.invoice_document, number)

    async def send_invoice(self, _: Request, number: str) -> Any:
        return await run(self.store.send_invoice, number)

    async def dispute(self, request: Request) -> Any:
        body = json_body(request, "description", "reason")
        customer, payment = optional_id(body, "customer_id"), optional_id(body, "payment_id")
        return await run(self.store.record_dispute, customer, payment, body["description"], body["reason"])


# method, path, handler, the write's idempotency scope (None: a read), success status. docs/backend-api.yaml
# is the contract; tests/reference_service/test_contract.py holds the two together.
ROUTES: Tuple[Tuple[str, str, str, str | None, int], ...] = (
    ("GET", "/orders/<number>", "get_order", None, 200),
    ("POST", "/orders/<number>/verify", "verify_contact", None, 200),
    ("POST", "/orders/<number>/cancel", "cancel_order", "cancel", 200),
    ("POST", "/orders/<number>/address", "change_address", "address", 200),
    ("POST", "/orders/<number>/returns", "create_return", "return", 201),
    ("GET", "/orders/<number>/refunds", "refunds", None, 200),
    ("GET", "/customers", "find_customer", None, 200),
    ("POST", "/customers/<customer_id>/verify", "verify_customer", None, 200),
    ("GET", "/customers/<customer_id>/payments", "payments", None, 200),
    ("POST", "/customers/<customer_id>/payment-link", "payment_link", "payment-link", 202),
    ("POST", "/customers/<customer_id>/password-reset", "password_reset", "password-reset", 202),
    ("GET", "/invoices/<reference>", "find_invoice", None, 200),
    ("GET", "/invoices/<number>/document", "invoice_document", None, 200),
    ("POST", "/invoices/<number>/send", "send_invoice", "send-invoice", 202),
    ("POST", "/disputes", "dispute", "dispute", 201),
)


def endpoint(store: Store, handler: Handler, operation: str | None, status: int) -> Route:
    """Translate domain errors to HTTP; replay writes that carry a known Idempotency-Key."""

    async def wrapped(request: Request, **params: Any) -> HTTPResponse:
        if not all(is_text(str(value), MAX_PATH_PARAM_CHARS) for value in params.values()):
            return error(404, "not_found", "no such resource")
        key = request.headers.get("idempotency-key") if operation else None
        if key is not None and not is_text(key, MAX_KEY_CHARS):
            return error(400, "bad_request", f"Idempotency-Key must be 1 to {MAX_KEY_CHARS} printable characters")
        scoped = f"{operation}:{':'.join(str(v) for v in params.values())}" if operation else ""
        if key:
            remembered = await run(store.remembered_response, key, scoped)
            if remembered:
                return response.json(remembered[1], status=remembered[0])
        try:
            result = (status, await handler(request, **params))
        except BadInput as problem:
            return error(400, "bad_request", str(problem))
        except NotFound as missing:
            result = (404, {"error": missing.code, "message": str(missing)})
        except RuleViolation as refused:
            result = (409, {"error": refused.code, "message": str(refused)})
        if key:
            await run(store.remember_response, key, scoped, result[0], result[1])
        return response.json(result[1], status=result[0])

    wrapped.__name__ = handler.__name__
    return wrapped


def create_app(store: Store, token: str | None = None, name: str = "reference_service") -> Sanic:
    app = Sanic(name)
    app.config.FALLBACK_ERROR_FORMAT = "json"
    handlers = Handlers(store)

    @app.middleware("response")
    async def log_request(request: Request, reply: HTTPResponse) -> None:
        # Paths carry order numbers, never contact details; bodies are not logged.
        logger.info(
            "%s %s -> %s [%s]", request.method, request.path, reply.status,
            request.headers.get("x-correlation-id", "-"),
        )  # fmt: skip

    @app.middleware("request")
    async def authenticate(request: Request) -> HTTPResponse | None:
        if token is None or request.path == "/health":
            return None
        if not same_secret(bearer(request.headers.get("authorization")), token):
            return error(401, "unauthorized", "a valid bearer token is required")
        return None

    app.add_route(endpoint(store, handlers.health, None, 200), "/health", methods=["GET"], name="health")
    for method, path, handler_name, operation, status in ROUTES:
        handler = getattr(handlers, handler_name)
        app.add_route(endpoint(store, handler, operation, status), path, methods=[method], name=handler_name)
    return app
