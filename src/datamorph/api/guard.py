"""ASGI middleware in front of every route: the API token and the request body limit.

Both answer in the API's one error shape. The token is compared in constant
time; ``/health`` needs none. The web page (``/`` and ``/ui/...``, see
:mod:`datamorph.web`) also accepts the token from its login cookie; its login
form and static files need none, and a browser without the cookie is sent to
the login form. A body larger than the limit is refused from its
``Content-Length`` before it is read; a body without one (chunked) is read here,
up to the limit, and passed on whole.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from datamorph.api.errors import error_body

OPEN_PATHS = frozenset({"/health"})
WEB_COOKIE = "datamorph_token"  # the web page's login cookie (HttpOnly, SameSite=Strict)
WEB_LOGIN = "/ui/login"
WEB_OPEN_PREFIXES = (WEB_LOGIN, "/ui/static/")


def is_web_path(path: str) -> bool:
    """Whether ``path`` belongs to the web page rather than to the API."""
    return path in ("/", "/ui") or path.startswith("/ui/")


class Guard:
    """Checks ``Authorization: Bearer <token>`` (when a token is set) and the body size of HTTP requests."""

    def __init__(self, app: Any, *, token: str | None, max_body: int) -> None:
        self.app = app
        self.token = token.encode() if token else None
        self.max_body = max_body

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v for k, v in scope.get("headers", [])}
        path = scope.get("path", "")
        if self.token is not None and is_web_path(path):
            if not path.startswith(WEB_OPEN_PREFIXES) and not (self._authorized(headers) or self._cookie_ok(headers)):
                await _to_login(send, scope, path)
                return
        elif self.token is not None and path not in OPEN_PATHS and not self._authorized(headers):
            given = "authorization" in headers
            await _reply(send, 401, "Unauthorized",
                         "wrong API token" if given else "this server needs an API token: send the header "
                         "'Authorization: Bearer <token>' (the server's DATAMORPH_API_TOKEN)",
                         headers=[(b"www-authenticate", b'Bearer realm="datamorph"')])  # fmt: skip
            return
        length = headers.get("content-length")
        if length is not None:
            try:
                n = int(length)
            except ValueError:
                await _reply(send, 400, "BadRequest", "the Content-Length header is not a number")
                return
            if n > self.max_body:
                await _reply(send, 413, "BodyTooLarge", self._too_large())
                return
            await self.app(scope, receive, send)  # the server reads no more than Content-Length
            return
        if scope.get("method") in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        # No Content-Length (a chunked body): read it here, up to the limit, then hand it on.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_body:
                await _reply(send, 413, "BodyTooLarge", self._too_large())
                return
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _authorized(self, headers: dict[str, bytes]) -> bool:
        assert self.token is not None
        value = headers.get("authorization", b"")
        scheme, _, given = value.partition(b" ")
        return scheme.lower() == b"bearer" and hmac.compare_digest(given.strip(), self.token)

    def _cookie_ok(self, headers: dict[str, bytes]) -> bool:
        assert self.token is not None
        from urllib.parse import unquote_to_bytes

        for part in headers.get("cookie", b"").split(b";"):
            name, _, value = part.strip().partition(b"=")  # the value is the token, percent-encoded
            if name == WEB_COOKIE.encode() and hmac.compare_digest(unquote_to_bytes(value.strip()), self.token):
                return True
        return False

    def _too_large(self) -> str:
        return f"the request body is larger than {self.max_body:,} bytes (DATAMORPH_MAX_BODY_BYTES)"


async def _reply(send: Any, status: int, error_type: str, message: str,
                 headers: list[tuple[bytes, bytes]] | None = None) -> None:  # fmt: skip
    payload = json.dumps(error_body(status, error_type, message)).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
                            *(headers or [])]})  # fmt: skip
    await send({"type": "http.response.body", "body": payload})


async def _to_login(send: Any, scope: dict[str, Any], path: str) -> None:
    """A page request without the login cookie: 303 to the login form (other methods: 401)."""
    if scope.get("method") not in ("GET", "HEAD"):
        await _reply(send, 401, "Unauthorized", "log in first: open /ui/login and enter the server's API token")
        return
    from urllib.parse import quote

    location = WEB_LOGIN + ("" if path == "/" else "?next=" + quote(path, safe="/"))
    await send({"type": "http.response.start", "status": 303,
                "headers": [(b"location", location.encode()), (b"content-length", b"0"),
                            (b"cache-control", b"no-store")]})  # fmt: skip
    await send({"type": "http.response.body", "body": b""})
