"""Driving the OAuth flow over HTTP: apps, a signed-in browser (cookies), PKCE, the consent form, the token call."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from ..helpers import Account, Api, data

REDIRECT = "https://app.example/callback"
TOKEN_PATH = "/oauth/token"


@dataclass
class App:
    client_id: str
    client_secret: str | None
    redirect_uri: str
    raw: dict


def register_app(api: Api, owner: Account, client_type: str = "confidential", redirect_uris=(REDIRECT,),
                 name: str = "Test App") -> App:
    created = data(api.post("/api/v1/me/apps", owner.session, json={
        "name": name, "description": "An app under test.", "homepage_url": "https://app.example",
        "redirect_uris": list(redirect_uris), "client_type": client_type}), 201)
    return App(created["client_id"], created["client_secret"], redirect_uris[0], created)


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


class _Forms(HTMLParser):
    """The hidden inputs and submit buttons of a page's forms."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[tuple[str, str]] = []
        self.buttons: dict[str, tuple[str, str]] = {}
        self._button: dict | None = None

    def handle_starttag(self, tag, attrs) -> None:
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") == "hidden":
            self.fields.append((attrs["name"], attrs.get("value") or ""))
        if tag == "button":
            self._button = attrs

    def handle_data(self, text) -> None:
        if self._button is not None and text.strip():
            self.buttons[text.strip()] = (self._button.get("name"), self._button.get("value"))
            self._button = None


def page_forms(html: str) -> _Forms:
    parser = _Forms()
    parser.feed(html)
    return parser


class Browser:
    """A user agent with the account signed in through the login page (cookies kept, redirects not followed)."""

    def __init__(self, base_url: str, account: Account | None = None) -> None:
        self.http = httpx.Client(base_url=base_url, follow_redirects=False, timeout=30)
        if account is not None:
            self.sign_in(account)

    def sign_in(self, account: Account, next_path: str = "/") -> httpx.Response:
        form = dict(page_forms(self.http.get("/login", params={"next": next_path}).text).fields)
        response = self.http.post("/login", data={**form, "email": account.email, "password": account.password})
        assert response.status_code == 303, response.text
        return response

    def authorize(self, app: App, scope: str = "system:read", challenge: str | None = None, state: str = "st4te",
                  redirect_uri: str | None = None, **extra: str) -> httpx.Response:
        params = {"response_type": "code", "client_id": app.client_id,
                  "redirect_uri": redirect_uri or app.redirect_uri, "scope": scope, "state": state}
        if challenge is not None:
            params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
        return self.http.get("/oauth/authorize?" + urlencode({**params, **extra}))

    def decide(self, consent_page: httpx.Response, button: str = "Allow", **override: str) -> httpx.Response:
        assert consent_page.status_code == 200, consent_page.text
        forms = page_forms(consent_page.text)
        name, value = forms.buttons[button]
        return self.http.post("/oauth/authorize", data={**dict(forms.fields), name: value, **override})

    def close(self) -> None:
        self.http.close()


def redirect_params(response: httpx.Response, redirect_uri: str) -> dict[str, str]:
    """The query of a redirect to `redirect_uri` (which nobody serves: it is read, not followed)."""
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.split("?")[0] == redirect_uri, location
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def get_code(browser: Browser, app: App, scope: str = "system:read") -> tuple[str, str]:
    """(code, verifier) for the app, approving the consent page unless a remembered grant skips it."""
    verifier, challenge = pkce()
    response = browser.authorize(app, scope, challenge)
    if response.status_code == 200:
        response = browser.decide(response)
    params = redirect_params(response, app.redirect_uri)
    return params["code"], verifier


def token_request(server_url: str, app: App, **form: str) -> httpx.Response:
    """A raw token-endpoint call (client_secret_basic for confidential apps, client_id in the body otherwise)."""
    auth = (app.client_id, app.client_secret) if app.client_secret else None
    if auth is None:
        form = {"client_id": app.client_id, **form}
    return httpx.post(server_url + TOKEN_PATH, data=form, auth=auth, timeout=30)


def exchange(server_url: str, app: App, code: str, verifier: str, redirect_uri: str | None = None) -> httpx.Response:
    return token_request(server_url, app, grant_type="authorization_code", code=code, code_verifier=verifier,
                         redirect_uri=redirect_uri or app.redirect_uri)


def refresh(server_url: str, app: App, refresh_token: str, **extra: str) -> httpx.Response:
    return token_request(server_url, app, grant_type="refresh_token", refresh_token=refresh_token, **extra)


def oauth_error(response: httpx.Response, error: str, status: int = 400) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error, body
    return body
