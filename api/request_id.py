"""Pure ASGI middleware: every response carries an X-Request-ID (the caller's own when it is sane),
every log line written while serving it names it, and an unexpected error is logged once with it and
answered by api/failures.py (a Vietnamese page or the refusal JSON; 503 for an outage or a full disk),
inside the security-header middleware, so the answer carries those headers too."""

from __future__ import annotations

import logging
import re
import uuid

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from phancap.api.failures import failure
from phancap.engine.logs import request_id

HEADER = "X-Request-ID"
# A proxy's id is reused only if it cannot forge log lines or headers: short, plain characters.
SANE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
log = logging.getLogger("phancap.api")


def _incoming(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if SANE.match(text) else None
    return None


class RequestId:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = _incoming(scope) or uuid.uuid4().hex
        token = request_id.set(rid)
        started = False
        failed = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                MutableHeaders(scope=message)[HEADER] = rid
                # a 503 (/healthz during an outage) is logged where it is decided, once, as a warning
                if message["status"] >= 500 and message["status"] != 503 and not failed:
                    log.error("server error", extra={"status": message["status"], "path": scope["path"],
                                                     "request_id": rid})
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            failed = True
            status, headers, body = failure(scope, exc, rid)
            log.exception("unexpected error", extra={"method": scope.get("method"), "path": scope["path"],
                                                     "status": status, "request_id": rid})
            if not started:
                await send_with_id({"type": "http.response.start", "status": status, "headers": [
                    *headers, (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
            raise  # the server (and a test client) still sees the error
        finally:
            request_id.reset(token)
