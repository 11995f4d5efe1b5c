"""The web page's login cookie and its CSRF check on form posts.

The login cookie holds the server's API token (percent-encoded), ``HttpOnly`` and
``SameSite=Strict``; :class:`datamorph.api.guard.Guard` accepts it on the page's paths. Every form
post carries a CSRF token equal to the ``datamorph_csrf`` cookie (also ``HttpOnly``,
``SameSite=Strict``; the page is given its value when rendered), and a post whose ``Origin`` names
another host is refused.
"""

from __future__ import annotations

import hmac
import secrets
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from datamorph.api.guard import WEB_COOKIE

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

CSRF_COOKIE = "datamorph_csrf"
CSRF_FIELD = "csrf_token"


def csrf_value(request: Request) -> tuple[str, bool]:
    """The request's CSRF token and whether it is new (then :func:`set_csrf_cookie` must send it)."""
    value = request.cookies.get(CSRF_COOKIE, "")
    if len(value) >= 32:
        return value, False
    return secrets.token_urlsafe(32), True


def set_csrf_cookie(response: Response, value: str, request: Request) -> None:
    response.set_cookie(CSRF_COOKIE, value, httponly=True, samesite="strict", path="/",
                        secure=request.url.scheme == "https")  # fmt: skip


def csrf_problem(request: Request, given: str | None) -> str | None:
    """Why a form post must be refused (a message), or None when its CSRF token and origin are right."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host", ""):
        return "this form was sent from another site; reload the page and try again"
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie or not given or not hmac.compare_digest(cookie.encode(), given.encode()):
        return "the form's security token is missing or out of date; reload the page and send it again"
    return None


def set_login_cookie(response: Response, token: str, request: Request) -> None:
    response.set_cookie(WEB_COOKIE, quote(token, safe=""), httponly=True, samesite="strict", path="/",
                        secure=request.url.scheme == "https")  # fmt: skip


def clear_login_cookie(response: Response) -> None:
    response.delete_cookie(WEB_COOKIE, path="/", httponly=True, samesite="strict")


def token_matches(given: str, token: str) -> bool:
    return hmac.compare_digest(given.encode(), token.encode())


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a path of this site (never another host), else ``/``."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"
