"""Property-based fuzzing of every operation in the OpenAPI document, with schemathesis, against the real server.

Whatever the request (valid or not, as schemathesis generates it from the schema), the server never answers 5xx, and
on the native API every answer other than 2xx carries the contract's error envelope (docs/API.md §1). The document
tells the truth both ways:

- every status answered is one the operation declares (`kit/openapi.py` adds what every operation can answer);
- a request generated to fit the schema (positive mode) is never refused with 422: every rule the server checks on
  its own is in the schema too (`kit/validators.py`), except the few in UNEXPRESSED, each with why JSON schema cannot
  state it.

Every other case puts real objects of the fuzzing account into the path, so that fuzzed queries and bodies get past
the look-ups.
Runs are bounded and reproducible: MAX_EXAMPLES per operation, a fixed seed, derandomized generation, no example
database; the coverage and stateful phases are off (they multiply the requests several times over).

The fuzzing account signs in with a session token (it holds every scope). `DELETE /api/v1/me` and
`POST /api/v1/auth/logout` would end that account or session, so they are fuzzed with credentials of their own,
replaced whenever a call has consumed them.
"""

from __future__ import annotations

import json
from dataclasses import replace
from fnmatch import fnmatchcase
from typing import Any

import pytest
import schemathesis
from schemathesis import GenerationMode
from schemathesis.core.transport import Response

from .helpers import PASSWORD, Account, Api

SEED = 20240917
MAX_EXAMPLES = 25
OPENAPI = "/api/v1/openapi.json"
NATIVE = "/api/v1/"
# Downloads: their 200 body is the file itself (PluralKit's importers read the pluralkit one), not the data envelope.
FILES = {"/api/v1/systems/@me/export"}
# Server-Sent Events: a stream that opens never ends, so only its head is read.
STREAMS = {"/api/v1/systems/{sid}/events"}
# Operations that end the credentials they are called with, and how many examples they get (each may cost a login).
CONSUMING = {("DELETE", "/api/v1/me"): "account", ("POST", "/api/v1/auth/logout"): "session"}
CONSUMING_EXAMPLES = 8
# Rules a request that fits the schema may still break (a 422 naming only these fields is no failure), by why JSON
# schema cannot state them. Field paths as in `details.fields`; `*` stands for a list index or a key.
UNEXPRESSED: dict[str, set[str]] = {
    "state: must name an object of this system, of this poll, or the account's password": {
        "member_id", "member_ids.*", "author_ids.*", "created_by", "parent_id", "type_id", "source_member_id",
        "target_member_id", "option_ids.*", "options.*.id", "member", "author", "fields.*", "current_password",
        "invite_code", "Last-Event-ID"},
    "state: a cursor is a token the server issued for that list (and switches take it or `before`, not both)": {
        "cursor"},
    "state: what a vote may pick depends on the poll's settings": {"kind", "option_ids", "options.*.label"},
    "state: a parent may not make a cycle or nest too deep": {"parent_id"},
    "time: a moment from 1900 to now plus 5 minutes of skew, or in the future (JSON schema has no now, and an "
    "offset moves a date-time's year)": {"started_at", "ended_at", "created_at", "timestamp", "at", "expires_at",
                                         "closes_at", "since", "until", "date"},
    "across fields: a proxy tag needs a prefix or a suffix; source and target differ; until after since": {
        "proxy_tags.*"},
    "the server's own data: a time zone its tz database knows": {"timezone", "tz"},
    "the network: a webhook's host must resolve to an address the server may send to": {"url"},
    "an OAuth redirect: https, http on a loopback host only, or a private-use scheme (a host condition on a URI)": {
        "redirect_uris.*"},
    "words: at most so many words as the search splits them": {"q"},
}
# Operations whose 422 a schema cannot rule out, and why.
UNEXPRESSED_OPERATIONS: dict[tuple[str, str], str] = {
    **{("PUT", path): "the file's bytes must be an image (PNG, JPEG, WebP or GIF)" for path in (
        "/api/v1/systems/@me/avatar", "/api/v1/systems/@me/banner", "/api/v1/systems/@me/members/{mid}/avatar",
        "/api/v1/systems/@me/members/{mid}/banner")},
    ("POST", "/api/v1/systems/@me/imports"): "the file must be an export of a supported format",
    ("POST", "/api/v1/systems/{sid}/fields"): "across fields: select fields need options, the others take none",
    ("PATCH", "/api/v1/systems/{sid}/fields/{field_id}"): "state: options fit the field's type, which cannot change",
}
EXCUSED = {field for fields in UNEXPRESSED.values() for field in fields}


def fuzz_config() -> schemathesis.Config:
    return schemathesis.Config.from_dict({
        "seed": SEED,
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none",
                       "with-security-parameters": False, "no-shrink": True},
        "phases": {"stateful": {"enabled": False}, "coverage": {"enabled": False}},
        "operations": [
            {"include-method": method, "include-path": path, "generation": {"max-examples": CONSUMING_EXAMPLES}}
            for method, path in CONSUMING
        ],
    })


class Credentials:
    """The fuzzing account's session, and throw-away credentials for the operations that consume theirs."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self.account = api.register()
        self._spare: dict[str, Account | None] = {"account": None, "session": None}
        self._session_owner: Account | None = None

    def token_for(self, method: str, path: str) -> tuple[str, str | None]:
        """(token, what it would consume) for one call."""
        kind = CONSUMING.get((method, path))
        if kind is None:
            return self.account.session, None
        spare = self._spare[kind]
        if spare is None:
            if kind == "account":
                spare = self.api.register()
            else:
                self._session_owner = self._session_owner or self.api.register()
                session = self.api.login(self._session_owner.email, PASSWORD)["access_token"]
                spare = replace(self._session_owner, session=session)
            self._spare[kind] = spare
        return spare.session, kind

    def consumed(self, kind: str) -> None:
        self._spare[kind] = None


class Objects:
    """Real objects of the fuzzing account, by the name of the path parameter that takes their id.

    Every other case gets them in its path instead of the generated ids (and `@me` for `sid`), so that fuzzed
    queries and bodies reach past the look-ups. An object deleted by a case is made again when next needed.
    """

    def __init__(self, api: Api, account: Account) -> None:
        self.api = api
        self.token = account.session
        self.made: dict[str, str] = {}
        self.calls = 0

    def _create(self, path: str, body: dict, method: str = "POST", status: int = 201) -> dict:
        response = self.api.request(method, path, self.token, json=body)
        assert response.status_code == status, f"setting up {path}: {response.text}"
        return response.json()["data"]

    def _in_system(self, collection: str, body: dict) -> str:
        return self._create(f"/api/v1/systems/@me/{collection}", body)["id"]

    def _make(self, name: str) -> str:
        new_member = lambda: self._in_system("members", {"name": "Fuzzed"})  # noqa: E731
        makers = {
            "mid": new_member,
            "member_id": new_member,
            "gid": lambda: self._in_system("groups", {"name": "Fuzzed"}),
            "field_id": lambda: self._in_system("fields", {"name": "Fuzzed", "type": "text"}),
            "type_id": lambda: self._in_system("relationship-types", {"name": "Fuzzed"}),
            "relationship_id": lambda: self._in_system("relationships", {
                "type_id": self.get("type_id"), "source_member_id": new_member(), "target_member_id": new_member()}),
            "front_id": lambda: self._in_system("fronts", {
                "member_id": new_member(), "started_at": "2020-01-01T00:00:00Z", "ended_at": "2020-01-01T01:00:00Z"}),
            "poll_id": lambda: self._in_system("polls", {"title": "Fuzzed", "options": [{"label": "a"},
                                                                                      {"label": "b"}]}),
            "thought_id": lambda: self._create("/api/v1/systems/@me/thought", {"text": "Fuzzed"}, "PUT", 200)["id"],
            "token_id": lambda: self._create("/api/v1/me/tokens", {"name": "fuzzed", "scopes": ["system:read"]})["id"],
        }
        return makers[name]()

    def get(self, name: str) -> str:
        if name not in self.made:
            self.made[name] = self._make(name)
        return self.made[name]

    def substitute(self, case) -> list[str]:
        """Puts real ids into every other case's path; returns the names substituted."""
        self.calls += 1
        if self.calls % 2 or not case.path_parameters:
            return []
        substituted = []
        for name in list(case.path_parameters):
            if name == "sid":
                case.path_parameters[name] = "@me"
            else:
                try:
                    case.path_parameters[name] = self.get(name)
                except KeyError:
                    continue  # a parameter this test does not know: left as generated
            substituted.append(name)
        return substituted

    def deleted(self, path: str, names: list[str]) -> None:
        """A 204 to DELETE removed the object named by the path's last parameter."""
        last = path.rsplit("{", 1)[-1].rstrip("}") if path.endswith("}") else None
        if last in names:
            self.made.pop(last, None)


def load_schema(server):
    # The server builds its document once, on the first request, which can outlast schemathesis's 10 s read timeout
    # on a busy machine: it is asked for first with the test client's 30 s.
    api = server.api()
    try:
        assert api.get(OPENAPI).status_code == 200
    finally:
        api.close()
    return schemathesis.openapi.from_url(server.url + OPENAPI, config=fuzz_config())


@pytest.fixture
def fuzz_schema(server):
    return load_schema(server)


@pytest.fixture
def fuzz_client(server):
    api = server.api()
    yield api
    api.close()


@pytest.fixture
def http():
    """One keep-alive session for every fuzzed request."""
    import requests

    with requests.Session() as session:
        yield session


@pytest.fixture
def credentials(fuzz_client):
    return Credentials(fuzz_client)


@pytest.fixture
def objects(fuzz_client, credentials):
    return Objects(fuzz_client, credentials.account)


def unexpressed(case, response) -> bool:
    """Whether a 422 is for rules beyond JSON schema only (UNEXPRESSED)."""
    if (case.method.upper(), case.path) in UNEXPRESSED_OPERATIONS:
        return True
    try:
        fields = json.loads(response.content)["error"]["details"]["fields"]
    except (ValueError, KeyError, TypeError):
        return False
    return bool(fields) and all(any(fnmatchcase(name, rule) for rule in EXCUSED) for name in fields)


def check_contract(case, response) -> None:
    """Never 5xx, never a status the operation does not declare, never 422 for a request that fits the schema; on the
    native API, errors in the error envelope and successes (with a body) in the data envelope.

    Other surfaces in the document (the PluralKit-compatible API) answer in their own shapes: for them only the 5xx
    rule holds here.
    """
    body_start = response.content[:2000].decode("utf-8", "replace")  # pictures and zips are not text
    where = f"{case.operation.label}\n{case.as_curl_command()}\n-> {response.status_code} {body_start}"
    assert response.status_code < 500, f"server error\n{where}"
    declared = case.operation.definition.raw["responses"]
    assert str(response.status_code) in declared, f"a status not declared ({sorted(declared)})\n{where}"
    fits = case.meta is not None and case.meta.generation.mode is GenerationMode.POSITIVE
    if response.status_code == 422 and fits:
        assert unexpressed(case, response), f"refused a request that fits the schema\n{where}"
    if not case.path.startswith(NATIVE):
        return
    request_id = (response.headers.get("x-request-id") or [None])[0]  # lower-case keys, lists of values
    assert request_id, f"no X-Request-ID\n{where}"
    if response.status_code == 204:
        assert not response.content, f"a body on 204\n{where}"
        return
    if 200 <= response.status_code < 300 and case.path in FILES:
        return  # the file itself: JSON, or a zip with ?media=true
    try:
        body: Any = json.loads(response.content)
    except ValueError:
        raise AssertionError(f"not JSON\n{where}") from None
    assert isinstance(body, dict), f"not an envelope\n{where}"
    if 200 <= response.status_code < 300:
        assert "data" in body and body.get("request_id") == request_id, f"not the data envelope\n{where}"
        return
    failure = body.get("error")
    assert isinstance(failure, dict), f"no error envelope\n{where}"
    assert isinstance(failure.get("code"), str) and failure["code"].isupper(), f"error.code\n{where}"
    assert isinstance(failure.get("message"), str) and failure["message"], f"error.message\n{where}"
    assert failure.get("request_id") == body.get("request_id") == request_id, f"error.request_id\n{where}"
    assert "Traceback" not in response.text, f"a stack trace\n{where}"


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request):
    """schemathesis 4.32 reads and rewrites `Function._nodeid` to name each operation; pytest 9.2 stores node ids
    elsewhere, so the attribute is provided here (it only changes how schemathesis labels its sub-tests)."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


schema = schemathesis.pytest.from_fixture("fuzz_schema")


def call(case, http, token: str) -> Response | None:
    """The answer to the case; None for an event stream that opened (its head checked here), which never ends."""
    headers = {"Authorization": f"Bearer {token}"}
    if case.path not in STREAMS:
        return case.call(session=http, headers=headers, timeout=30)
    with http.request(**case.as_transport_kwargs(headers=headers), stream=True, timeout=30) as streamed:
        if streamed.status_code != 200:
            return Response.from_requests(streamed, verify=True)  # reads the whole (short) refusal
        assert streamed.headers["content-type"].startswith("text/event-stream"), case.as_curl_command()
        assert "200" in case.operation.definition.raw["responses"]
        return None


@schema.parametrize()
def test_every_operation_answers_within_the_contract(case, credentials, objects, http):
    token, consumes = credentials.token_for(case.method.upper(), case.path)
    substituted = objects.substitute(case)
    response = call(case, http, token)
    if response is None:
        return
    if consumes and 200 <= response.status_code < 300:
        credentials.consumed(consumes)
    if case.method.upper() == "DELETE" and response.status_code == 204:
        objects.deleted(case.path, substituted)
    check_contract(case, response)


def test_the_fuzzed_schema_is_the_servers(server, api):
    """The fuzzing above covers what the server documents: every operation, the consuming ones included."""
    loaded = load_schema(server)
    operations = {(op.ok().method.upper(), op.ok().path) for op in loaded.get_all_operations()}
    spec = api.get(OPENAPI).json()
    assert operations == {(method.upper(), path) for path, ops in spec["paths"].items() for method in ops}
    assert set(CONSUMING) <= operations
