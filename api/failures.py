"""What an unexpected error answers: a Vietnamese error page for pages, the refusal JSON for the API,
503 when the database or the disk is out (an outage, a full disk), 500 otherwise. The response goes
out through the security-header and request-id middleware like every other one (api/request_id.py)."""

from __future__ import annotations

import errno
import json
import sqlite3

import psycopg
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError, TimeoutError as PoolTimeout
from starlette.requests import Request
from starlette.types import Scope

from phancap.api.errors import ApiError

RETRY_AFTER = "30"
OUTAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EROFS, errno.ECONNREFUSED})


def is_outage(exc: BaseException) -> bool:
    """The database does not answer, or the disk refuses writes: worth retrying later, not a bug."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (OperationalError, InterfaceError, DisconnectionError, PoolTimeout,
                                psycopg.OperationalError, psycopg.InterfaceError, sqlite3.OperationalError)):
            return True
        if isinstance(current, OSError) and current.errno in OUTAGE_ERRNOS:
            return True
        current = current.__cause__ or current.__context__
    return False


def unavailable() -> ApiError:
    return ApiError("unavailable", "Hệ thống tạm thời không phục vụ được (cơ sở dữ liệu hoặc ổ đĩa không sẵn sàng). "
                    "Xin thử lại sau ít phút; không có thay đổi nào được ghi.",
                    "temporarily unavailable (the database or the disk does not answer); nothing was changed, "
                    "try again later", status=503)


def internal() -> ApiError:
    return ApiError("internal", "Lỗi máy chủ: yêu cầu không thực hiện được. Lỗi đã được ghi lại kèm mã yêu cầu.",
                    "internal server error; it was logged with the request id", status=500)


FALLBACK_PAGE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Lỗi {status}</title></head>
<body><h1>Không thực hiện được</h1><p role="alert">{vi}</p>
<p><span lang="en">{en}</span> · mã yêu cầu <code>{rid}</code></p><p><a href="/">Về trang chủ</a></p></body></html>"""


def wants_json(path: str) -> bool:
    return path.startswith("/api/") or path == "/healthz" or path.startswith("/static/") or path == "/openapi.json"


def failure(scope: Scope, exc: BaseException, rid: str) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """(status, headers, body) for an unexpected error while serving `scope`."""
    error = unavailable() if is_outage(exc) else internal()
    headers: list[tuple[bytes, bytes]] = []
    if error.status == 503:
        headers.append((b"retry-after", RETRY_AFTER.encode()))
    if wants_json(scope["path"]):
        body = json.dumps({**error.body(), "request_id": rid}, ensure_ascii=False).encode("utf-8")
        return error.status, [(b"content-type", b"application/json"), *headers], body
    return error.status, [(b"content-type", b"text/html; charset=utf-8"), *headers], _page(scope, error, rid)


def _page(scope: Scope, error: ApiError, rid: str) -> bytes:
    from html import escape

    try:  # the site's own error page; it needs no database (the user, if known, is already on the request)
        from phancap.api.pages.render import render_error

        if "app" in scope:
            return bytes(render_error(Request(scope), error).body)
    except Exception:  # noqa: BLE001 - the plain page below never fails
        pass
    return FALLBACK_PAGE.format(status=error.status, vi=escape(error.message_vi), en=escape(error.message_en),
                                rid=escape(rid)).encode("utf-8")
