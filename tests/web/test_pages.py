"""The web pages (sign-in, consent, register, settings) in a real browser: headless Chromium driven by Playwright.

The app's redirect URI (https://app.example/callback) is served by nobody: the browser's request to it is
intercepted and answered locally, and the test reads the code from the URL the browser landed on.
The browser is conftest.py's.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from ..helpers import PASSWORD, data
from ..oauth.common import REDIRECT, exchange, pkce, register_app


@pytest.fixture
def page(chromium):
    context = chromium.new_context()
    # The app's callback: answered here, so the browser lands on it with the code in its URL.
    context.route(f"{REDIRECT}**", lambda route: route.fulfill(status=200, content_type="text/html",
                                                                body="<title>callback</title>"))
    yield context.new_page()
    context.close()


def authorize_url(server, app, challenge: str, state: str) -> str:
    return server.url + "/oauth/authorize?" + urlencode({
        "response_type": "code", "client_id": app.client_id, "redirect_uri": app.redirect_uri,
        "scope": "system:read members:read", "state": state, "code_challenge": challenge,
        "code_challenge_method": "S256"})


def sign_in_to_consent(page, server, owner, app, challenge: str, state: str) -> None:
    page.goto(authorize_url(server, app, challenge, state))
    assert urlsplit(page.url).path == "/login"
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(owner.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/oauth/authorize?**")
    assert page.get_by_role("heading").inner_text().startswith("Allow Test App")
    assert page.get_by_text("See your system's profile and settings").is_visible()
    assert page.get_by_text("See your members").is_visible()


def landed_on_callback(page) -> dict[str, str]:
    page.wait_for_url(f"{REDIRECT}?**")
    return {key: values[0] for key, values in parse_qs(urlsplit(page.url).query).items()}


def test_sign_in_consent_and_allow(server, api, page):
    owner = api.register()
    app = register_app(api, owner)
    verifier, challenge = pkce()
    sign_in_to_consent(page, server, owner, app, challenge, "state-allow")
    page.get_by_role("button", name="Allow").click()
    params = landed_on_callback(page)
    assert params["state"] == "state-allow" and params["code"].startswith("ps_ac_")

    token = exchange(server.url, app, params["code"], verifier)
    assert token.status_code == 200, token.text
    assert data(api.get("/api/v1/systems/@me", token.json()["access_token"]))["id"] == owner.system_id


def test_sign_in_consent_and_deny(server, api, page):
    owner = api.register()
    app = register_app(api, owner)
    _, challenge = pkce()
    sign_in_to_consent(page, server, owner, app, challenge, "state-deny")
    page.get_by_role("button", name="Deny").click()
    params = landed_on_callback(page)
    assert params["error"] == "access_denied" and params["state"] == "state-deny" and "code" not in params
    assert data(api.get("/api/v1/me/authorizations", owner.session)) == []


@contextmanager
def page_server(html: str) -> Iterator[str]:
    """Another origin on this machine serving one page (a real server: Chromium blocks public pages, which an
    intercepted response counts as, from framing loopback ones, and that would hide what is tested here)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_consent_page_cannot_be_framed(server, api, page):
    owner = api.register()
    app = register_app(api, owner)
    _, challenge = pkce()
    sign_in_to_consent(page, server, owner, app, challenge, "framed")
    with page_server(f'<iframe id="f" src="{page.url}"></iframe>') as attacker:
        page.goto(attacker)
        page.wait_for_timeout(500)
        framed = [frame for frame in page.frames if frame is not page.main_frame]
        assert len(framed) == 1
        # The browser refused to render it: an error document instead of the consent form.
        assert framed[0].url.startswith("chrome-error://"), framed[0].url
        assert framed[0].get_by_role("button", name="Allow").count() == 0


def test_register_then_make_and_revoke_a_token_in_the_browser(server, api, page):
    email = f"browser-{secrets.token_hex(6)}@example.org"
    page.goto(server.url + "/login")
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("System name").fill("Starling Collective")
    page.get_by_label("Password", exact=False).first.fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(server.url + "/")
    assert page.get_by_role("heading", level=1).inner_text() == "Starling Collective"

    page.get_by_role("navigation").get_by_role("link", name="Settings").click()
    page.get_by_label("Name").fill("fronting bot")
    page.get_by_label("See who is fronting and your front history").check()
    page.get_by_role("button", name="Create token").click()
    page.wait_for_url(server.url + "/settings")  # the form's POST answered with a redirect to a GET
    token = page.locator("#new-token").inner_text()
    assert token.startswith("ps_pat_") and token not in page.url
    page.reload()  # reloading the page after a POST/redirect/GET sends no form again
    assert page.locator("#new-token").count() == 0
    assert page.get_by_role("cell", name="fronting bot", exact=True).count() == 1
    assert page.get_by_role("cell", name=token[:15] + "…", exact=True).is_visible()  # the row shows its prefix
    assert api.get("/api/v1/systems/@me/fronters", token).status_code == 200

    page.get_by_role("button", name="Revoke fronting bot").click()
    page.wait_for_url(server.url + "/settings")
    assert page.get_by_text("No tokens yet.").is_visible()
    assert api.get("/api/v1/systems/@me/fronters", token).status_code == 401

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(server.url + "/login")
