"""Pure ASGI middleware: every response carries an X-Request-ID (the caller's own when it is sane),
every log line written while serving it names it, and an unexpected error is logged once with it."""

from __future__ import annotations

import json
import logging
import re
import uuid

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from phancap.engine.logs import request_id

HEADER = "X-Request-ID"
# A proxy's id is reused only if it cannot forge log lines or headers: short, plain characters.
SANE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
log = logging.getLogger("phancap.api")
INTERNAL = json.dumps({"rule": "internal", "message_vi": "Lỗi máy chủ", "message_en": "internal server error"},
                      ensure_ascii=False).encode("utf-8")


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

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                MutableHeaders(scope=message)[HEADER] = rid
                if message["status"] >= 500:
                    log.error("server error", extra={"status": message["status"], "path": scope["path"]})
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("unexpected error", extra={"method": scope.get("method"), "path": scope["path"]})
            if not started:
                await send({"type": "http.response.start", "status": 500, "headers": [
                    (b"content-type", b"application/json"), (HEADER.lower().encode(), rid.encode())]})
                await send({"type": "http.response.body", "body": INTERNAL})
            raise  # the server (and a test client) still sees the error
        finally:
            request_id.reset(token)
