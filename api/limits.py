"""Bounded, clean input, as pure ASGI middleware, before authentication and before any route reads a byte.

`BodyLimit` refuses a body above its path's limit with 413 (rule `too_large`): at once from
Content-Length, or while counting the chunks of a chunked (or under-declared) body. The default limit
(PHANCAP_MAX_BODY_BYTES, 1 MiB) covers JSON and forms; evidence uploads get PHANCAP_EVIDENCE_MAX_BYTES
plus room for the multipart envelope, plan imports PHANCAP_IMPORT_MAX_BYTES of text (as JSON-escaped as it may
be), and only when the request
carries a credential (a bearer token or a cookie), so nobody unauthenticated streams megabytes in.

`CleanInput` refuses, with 422 naming the field, strings no database stores: a NUL character (PostgreSQL
text cannot hold one) or a lone UTF-16 surrogate such as `\\ud800` (no UTF-8 encoding exists), in the
path, the query, a JSON body or a URL-encoded form, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from phancap.api.errors import ApiError
from phancap.engine.settings import Settings

MULTIPART_ROOM = 1024 * 1024  # the multipart envelope and the form's other fields around an evidence file
JSON_ESCAPED = 6  # a character of the text may come as \uXXXX in a JSON body
# (method, path pattern, which limit): the routes that accept more than the default
EVIDENCE_PATHS = re.compile(r"^(/api/v1/tasks/[^/]+/evidence|/tasks/[^/]+/fire)$")
IMPORT_PATHS = re.compile(r"^(/api/v1/imports|/plans/import)$")


def too_large(limit: int) -> ApiError:
    return ApiError("too_large", f"Dữ liệu gửi lên quá lớn (tối đa {limit} byte)",
                    f"the request body is too large (at most {limit} bytes)", extra={"limit": limit})


class BodyTooLarge(HTTPException):
    """Raised from `receive` when a streamed body passes its limit; answered 413 (app.py)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is too large (at most {limit} bytes)")
        self.limit = limit


@dataclass(frozen=True)
class Limits:
    body: int
    evidence: int
    imports: int

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(settings.max_body_bytes, settings.evidence_max_bytes + MULTIPART_ROOM,
                   settings.import_max_bytes * JSON_ESCAPED + MULTIPART_ROOM)

    def for_request(self, scope: Scope) -> int:
        path: str = scope["path"]
        if scope.get("method") != "POST" or not _has_credential(scope):
            return self.body
        if EVIDENCE_PATHS.match(path):
            return max(self.body, self.evidence)
        if IMPORT_PATHS.match(path):
            return max(self.body, self.imports)
        return self.body


def _has_credential(scope: Scope) -> bool:
    # Only whether one is presented: checking it needs the database, which is the route's business.
    return any(name in (b"authorization", b"cookie") for name, _ in scope.get("headers", []))


def _header(scope: Scope, wanted: bytes) -> bytes | None:
    for name, value in scope.get("headers", []):
        if name == wanted:
            return bytes(value)
    return None


async def send_refusal(send: Send, error: ApiError, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps(error.body(), ensure_ascii=False).encode("utf-8")
    await send({"type": "http.response.start", "status": error.status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    def __init__(self, app: ASGIApp, limits: Limits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.for_request(scope)
        declared = _header(scope, b"content-length")
        if declared is not None:
            try:
                length = int(declared)
            except ValueError:
                await send_refusal(send, ApiError("request", "Content-Length không hợp lệ", "invalid Content-Length",
                                                  status=400))
                return
            if length > limit:
                await send_refusal(send, too_large(limit), [(b"connection", b"close")])
                return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watch)
        except BodyTooLarge:  # raised where no handler caught it (outside a route)
            if started:
                raise
            await send_refusal(send, too_large(limit), [(b"connection", b"close")])


# ---- strings no database stores ---------------------------------------------------------------

# A JSON body can carry them only escaped: \u0000 or a \uD800–\uDFFF escape (a valid pair is fine).
_SUSPECT_JSON = re.compile(rb"\\u(?:0000|[dD][89abAB][0-9a-fA-F]{2}|[dD][c-fC-F][0-9a-fA-F]{2})")
_SUSPECT_FORM = re.compile(rb"%00|%[eE][dD]%[aAbB]", re.ASCII)


def bad_text(value: str) -> str | None:
    """Why a string cannot be stored, or None."""
    if "\x00" in value:
        return "contains a NUL character (\\u0000)"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "contains a lone UTF-16 surrogate (such as \\ud800), which is not text"
    return None


def bad_strings(value: Any, where: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """(location, reason) of every bad string in a JSON value, keys included."""
    if isinstance(value, str):
        reason = bad_text(value)
        if reason:
            yield where, reason
    elif isinstance(value, dict):
        for key, item in value.items():
            reason = bad_text(key)
            if reason:
                yield (*where, key.encode("utf-8", "backslashreplace").decode("ascii", "replace")), f"key {reason}"
            yield from bad_strings(item, (*where, key if not reason else "?"))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from bad_strings(item, (*where, index))


def invalid_field(problems: list[tuple[tuple[str | int, ...], str]]) -> ApiError:
    """422 in the shape of a validation error: `field` names the first, `detail` lists them all."""
    fields = [".".join(str(p) for p in loc) for loc, _ in problems]
    first = fields[0]
    return ApiError("request", f"Trường {first} chứa ký tự không hợp lệ (NUL hoặc ký tự thay thế UTF-16 lẻ)",
                    f"field {first} {problems[0][1]}", status=422,
                    extra={"field": first, "detail": [{"loc": list(loc), "msg": reason, "type": "string_invalid"}
                                                      for loc, reason in problems]})


def _query_problems(raw: bytes, where: str) -> list[tuple[tuple[str | int, ...], str]]:
    found: list[tuple[tuple[str | int, ...], str]] = []
    for name, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True, encoding="utf-8",
                                 errors="surrogateescape"):
        reason = bad_text(value) or bad_text(name)
        if reason:
            found.append(((where, name.replace("\x00", "\\u0000")), reason))
    return found


class CleanInput:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problems: list[tuple[tuple[str | int, ...], str]] = []
        path: str = scope["path"]
        if bad_text(path):
            problems.append((("path",), bad_text(path) or ""))
        query: bytes = scope.get("query_string", b"")
        if b"\x00" in query or _SUSPECT_FORM.search(query):
            problems += _query_problems(query, "query")
        kind = (_header(scope, b"content-type") or b"").split(b";")[0].strip().lower()
        is_json = kind == b"application/json" or kind.endswith(b"+json")
        is_form = kind == b"application/x-www-form-urlencoded"
        if not problems and not (is_json or is_form):
            await self.app(scope, receive, send)
            return
        body, messages = b"", list[Message]()
        if is_json or is_form:
            body, messages = await _read_all(receive)
            if is_json and _SUSPECT_JSON.search(body):
                try:
                    problems += list(bad_strings(json.loads(body), ("body",)))
                except ValueError:
                    pass  # not JSON: the route answers that with 422
            elif is_form and (b"\x00" in body or _SUSPECT_FORM.search(body)):
                problems += _query_problems(body, "body")
        if problems:
            await send_refusal(send, invalid_field(problems))
            return
        await self.app(scope, _replay(messages, receive), send)


async def _read_all(receive: Receive) -> tuple[bytes, list[Message]]:
    """The whole body (already bounded by BodyLimit, which raises past the limit)."""
    messages: list[Message] = []
    chunks: list[bytes] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks), messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


def moment(field: str, value: str | None) -> str | None:
    """An audit search bound: an ISO date (YYYY-MM-DD) or instant; anything else a 422 naming the field."""
    from datetime import date, datetime

    if not value:
        return None
    try:
        if len(value) == 10:
            date.fromisoformat(value)
        else:
            datetime.fromisoformat(value)
    except ValueError:
        raise ApiError("request", f"Trường {field}: ngày không hợp lệ (YYYY-MM-DD hoặc YYYY-MM-DDTHH:MM)",
                       f"field {field}: not an ISO date or instant (YYYY-MM-DD or YYYY-MM-DDTHH:MM)", status=422,
                       extra={"field": field, "detail": [{"loc": field.split("."), "msg": "not an ISO date or instant",
                                                          "type": "date_from_datetime_parsing"}]}) from None
    return value
