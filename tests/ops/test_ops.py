from __future__ import annotations

import re

from ..helpers import data, error


def test_health_ready_version(api):
    assert data(api.get("/api/v1/health")) == {"status": "ok"}
    assert data(api.get("/api/v1/ready")) == {"status": "ready"}
    version = data(api.get("/api/v1/version"))
    assert version["api_version"] == "v1" and version["compat"] == ["pk/v1", "pk/v2"] and version["version"]


def test_ready_is_503_when_the_database_is_unreachable(make_server, backend):
    if backend.name == "sqlite":
        broken = make_server(database_url="sqlite:////nonexistent-dir/for/sure/db.sqlite").api()
    else:
        broken = make_server(database_url="postgresql://postgres@127.0.0.1:1/nothing").api()
    error(broken.get("/api/v1/ready"), 503, "SERVICE_UNAVAILABLE")
    assert data(broken.get("/api/v1/health")) == {"status": "ok"}
    error(broken.get("/api/v1/systems/abcdef"), 503, "SERVICE_UNAVAILABLE")


def test_metrics_are_off_by_default(api):
    error(api.get("/metrics"), 404, "FEATURE_DISABLED")


def test_metrics_need_their_token(make_server):
    metered = make_server(metrics_enabled=True, metrics_token="s3cret-metrics").api()
    metered.get("/api/v1/systems/zzzzzz")
    error(metered.get("/metrics"), 401, "UNAUTHENTICATED")
    error(metered.get("/metrics", headers={"Authorization": "Bearer wrong"}), 401, "UNAUTHENTICATED")
    response = metered.get("/metrics", headers={"Authorization": "Bearer s3cret-metrics"})
    assert response.status_code == 200
    assert 'route="/api/v1/systems/{sid}"' in response.text
    assert "zzzzzz" not in response.text  # raw paths (with ids) never become labels


def test_openapi_documents_every_operation(api):
    spec = api.get("/api/v1/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    operation_ids = []
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            operation_ids.append(operation["operationId"])
            assert "500" in operation["responses"], (method, path)
            if path.startswith(("/api/v1/systems", "/api/v1/me")):
                assert operation["security"], (method, path)
                assert "401" in operation["responses"] and "403" in operation["responses"], (method, path)
    assert len(operation_ids) == len(set(operation_ids))
    system_get = spec["paths"]["/api/v1/systems/{sid}"]["get"]
    assert system_get["security"] == [{"bearer": ["system:read"]}]
    scheme = spec["components"]["securitySchemes"]["bearer"]
    assert "members:write" in scheme["flows"]["authorizationCode"]["scopes"]
    assert api.get("/api/docs").status_code == 200


def test_openapi_states_what_every_operation_can_answer_and_the_field_rules(api):
    """kit/openapi.py adds the statuses that follow from what an operation takes; kit/validators.py's rules are in
    the schemas (tests/test_fuzz_openapi.py holds the server to both)."""
    spec = api.get("/api/v1/openapi.json").json()
    member = spec["paths"]["/api/v1/systems/{sid}/members/{mid}"]
    assert set(member["get"]["responses"]) == {"200", "401", "403", "404", "422", "429", "500", "503"}
    # 409: a system takes no writes while its import runs (import_running)
    assert set(member["patch"]["responses"]) == {"200", "400", "401", "403", "404", "409", "413", "415", "422", "429",
                                                 "500", "503"}
    assert "409" in spec["paths"]["/api/v1/systems/{sid}/fronts"]["post"]["responses"]  # a route's own rule
    assert set(spec["paths"]["/api/v1/health"]["get"]["responses"]) == {"200", "500"}  # unmetered, no database
    answers = member["get"]["responses"]
    assert answers["404"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorEnvelope"}
    assert "Retry-After" in answers["429"]["headers"] and "WWW-Authenticate" in answers["401"]["headers"]
    assert "HTTPValidationError" not in str(spec)  # FastAPI's own 422 body is not what the server sends
    schemas = spec["components"]["schemas"]
    assert schemas["RegisterIn"]["properties"]["email"]["format"] == "email"
    assert schemas["RegisterIn"]["properties"]["password"]["pattern"] == r"^[^\x00]*$"  # no NUL in any text
    assert schemas["GroupCreate"]["properties"]["icon"]["anyOf"][0]["pattern"].startswith("^[hH][tT][tT][pP][sS]://")
    assert "members:read" in schemas["TokenCreate"]["properties"]["scopes"]["items"]["enum"]
    include = next(p for p in member["get"]["parameters"] if p["name"] == "include")
    assert re.match(include["schema"]["pattern"], "fields, groups") and not re.match(include["schema"]["pattern"], "x")


def test_the_docs_ui_is_served_from_here_not_a_cdn(api):
    import re

    page = api.get("/api/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(source.startswith("/api/docs/assets/") for source in sources), sources
    assert "cdn" not in page.text.lower()
    for source in sources:
        asset = api.get(source)
        assert asset.status_code == 200 and len(asset.content) > 500, source
    script = api.get("/api/docs/assets/swagger-ui-bundle.js")
    assert script.headers["content-type"].startswith("text/javascript")
    error(api.get("/api/docs/assets/..%2Fmain.py"), 404, "NOT_FOUND")
    error(api.get("/api/docs/assets/__init__.py"), 404, "NOT_FOUND")
    assert api.get("/api/docs/oauth2-redirect").status_code == 200
