"""Helpers for page tests: sign a user in, read the CSRF token, post a form, read the text."""

from __future__ import annotations

import re
from html import unescape


def login(client, user, *, lang: str = "en") -> None:
    """Sign `user` in on this client (a session cookie, as Flask-Login writes it)."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        session["lang"] = lang


def set_language(client, lang: str) -> None:
    with client.session_transaction() as session:
        session["lang"] = lang


def csrf_token(client, url: str) -> str:
    """The CSRF token of the first form on the page at `url`."""
    html = client.get(url).get_data(as_text=True)
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert found, f"no CSRF token on {url}"
    return found.group(1)


def submit(client, url: str, data: dict, *, page: str | None = None, **kwargs):
    """Post `data` to `url` with the CSRF token read from `page` (default: `url` itself)."""
    token = csrf_token(client, page or url)
    return client.post(url, data={"csrf_token": token, **data}, **kwargs)


def text(response) -> str:
    """The visible text of an HTML response, tags stripped and whitespace collapsed."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())
