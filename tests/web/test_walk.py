"""The system's pages walked in Chromium as a person would, on a phone (390 px) and on a desktop (1280 px): sign in,
add members with fields, switch, co-front, comment, end, search, edit, archive, delete; write, preview, search and
pin in the journal; see co-fronts in the history, back-date, edit and delete a front. On every page: nothing
scrolls sideways and axe-core (vendored in tests/web/axe/, MPL-2.0, its licence beside it) finds no serious or
critical accessibility problem.

axe is injected with a script tag, which the pages' Content-Security-Policy forbids, so the walk's browser context
bypasses CSP; test_csp_allows_only_this_servers_files checks the policy itself with it enforced.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ..helpers import data

AXE = Path(__file__).parent / "axe" / "axe.min.js"
WIDTHS = {"phone": (390, 844), "desktop": (1280, 900)}
BLOCKING = {"serious", "critical"}


@pytest.fixture(params=list(WIDTHS))
def width(request) -> int:
    return WIDTHS[request.param][0]


@pytest.fixture
def walker(chromium, width):
    context = chromium.new_context(viewport={"width": width, "height": WIDTHS["phone" if width < 800 else
                                                                                "desktop"][1]}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def checked(page, width: int) -> None:
    """The page fits the width and (on the phone: axe's rules do not depend on the width, and a run takes a second
    of this machine's time) axe finds nothing serious on it."""
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url} scrolls sideways at {width} px ({scroll} px wide)"
    if width > WIDTHS["phone"][0]:
        return
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    blocking = [(v["id"], v["impact"], [node["target"] for node in v["nodes"]][:3]) for v in violations
                if v["impact"] in BLOCKING]
    assert blocking == [], f"{page.url}: {blocking}"


def sign_in(page, server, owner) -> None:
    page.goto(server.url + "/login")
    page.get_by_label("Email").fill(owner.email)
    page.get_by_label("Password").fill(owner.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(server.url + "/")


def add_member(page, width: int, name: str, colour: str, mood: str) -> str:
    page.get_by_role("navigation").get_by_role("link", name="Members").click()
    page.get_by_role("link", name="Add a member").click()
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Colour").fill(colour)
    page.get_by_label("Mood").select_option(mood)
    page.get_by_label("Height").fill("1.7")
    page.get_by_label("Their pronouns").select_option(label="Anyone who may see your system")
    page.get_by_role("button", name="Add member").click()
    page.wait_for_url("**/members/*")
    assert page.get_by_role("heading", level=1).inner_text() == name
    checked(page, width)
    return page.url.rsplit("/", 1)[1]


def test_walk_members_and_front(server, api, walker, width):
    page = walker
    owner = api.register(system_name="Harbour")
    api.post("/api/v1/systems/@me/fields", owner.session,
             json={"name": "Mood", "type": "select", "options": ["calm", "loud"]})
    api.post("/api/v1/systems/@me/fields", owner.session, json={"name": "Height", "type": "number"})
    sign_in(page, server, owner)
    assert page.get_by_role("heading", level=1).inner_text() == "Harbour"
    checked(page, width)

    # A refused form: the problems beside their fields, what was typed kept.
    page.goto(server.url + "/members/new")
    checked(page, width)
    page.get_by_label("Colour").fill("bluish")
    page.get_by_role("button", name="Add member").click()
    assert page.locator("#name-error").inner_text() == "This cannot be empty."
    assert "colour" in page.locator("#color-error").inner_text()
    assert page.get_by_label("Colour").input_value() == "bluish"
    checked(page, width)

    wren = add_member(page, width, "Wren", "#3b7a57", "calm")
    add_member(page, width, "Sable", "#f0e060", "loud")
    member = data(api.get(f"/api/v1/systems/@me/members/{wren}?include=fields", owner.session))
    assert member["color"] == "#3b7a57" and sorted(member["fields"].values(), key=str) == [1.7, "calm"]
    assert member["privacy"]["pronouns"] == "public" and member["privacy"]["name"] == "private"

    # Front: switch, co-front, comment, end.
    page.get_by_role("navigation").get_by_role("link", name="Front").click()
    page.get_by_role("button", name="Switch to Wren").click()
    page.wait_for_url(server.url + "/")
    page.get_by_role("button", name="Co-front Sable").click()
    page.wait_for_url(server.url + "/")
    page.get_by_label("Comment on Wren’s front").fill("tired")
    page.get_by_role("button", name="Save comment").first.click()
    page.wait_for_url(server.url + "/")
    checked(page, width)
    fronters = data(api.get("/api/v1/systems/@me/fronters", owner.session))
    assert [(f["member"]["name"], f["comment"]) for f in fronters] == [("Wren", "tired"), ("Sable", None)]
    page.get_by_role("button", name="End Sable’s front").click()
    page.wait_for_url(server.url + "/")
    assert [f["member"]["name"] for f in data(api.get("/api/v1/systems/@me/fronters", owner.session))] == ["Wren"]
    assert page.get_by_role("region", name="Recent switches").get_by_text("Wren, Sable").count() == 1

    # Members: search, edit, archive, delete.
    page.get_by_role("navigation").get_by_role("link", name="Members").click()
    page.get_by_label("Search by name").fill("sab")
    page.get_by_role("button", name="Show").click()
    assert page.get_by_role("link", name="Sable").count() == 1 and page.get_by_role("link", name="Wren").count() == 0
    checked(page, width)
    page.get_by_role("link", name="Sable").click()
    page.get_by_role("link", name="Edit").click()
    checked(page, width)
    page.get_by_label("Pronouns", exact=True).fill("she/her")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/members/*")
    assert page.get_by_text("she/her").count() == 1
    page.get_by_role("button", name="Archive").click()
    assert page.get_by_text("Archived", exact=True).is_visible()
    page.get_by_role("link", name="Delete…").click()
    checked(page, width)
    page.get_by_role("button", name="Delete Sable").click()
    page.wait_for_url(server.url + "/members")
    assert [m["name"] for m in data(api.get("/api/v1/systems/@me/members", owner.session))] == ["Wren"]
    checked(page, width)


def test_csp_allows_only_this_servers_files(server, api, chromium):
    owner = api.register()
    context = chromium.new_context()
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text
            else None)
    try:
        sign_in(page, server, owner)
        # The stylesheet (served here) applied: the header has its colour.
        assert page.evaluate("getComputedStyle(document.querySelector('header')).backgroundColor") == \
            "rgb(47, 47, 143)"
        page.goto(server.url + "/members/new")
        assert refused == []
    finally:
        context.close()


def test_walk_journal_and_history(server, api, walker, width):
    page = walker
    owner = api.register(system_name="Lighthouse")
    zone = "Pacific/Auckland"
    api.patch("/api/v1/systems/@me", owner.session, json={"timezone": zone})
    wren = data(api.post("/api/v1/systems/@me/members", owner.session, json={"name": "Wren"}), 201)["id"]
    sable = data(api.post("/api/v1/systems/@me/members", owner.session, json={"name": "Sable"}), 201)["id"]
    api.put("/api/v1/systems/@me/fronters", owner.session, json={"member_ids": [wren, sable]})
    sign_in(page, server, owner)

    # Journal: write with a preview, save, search, edit, pin.
    page.get_by_role("navigation").get_by_role("link", name="Journal").click()
    page.get_by_role("link", name="Write an entry").click()
    page.get_by_label("Title").fill("Night watch")
    page.get_by_label("Entry").fill("# Log\n\nThe **lamp** stayed lit. <script>alert(1)</script>")
    page.get_by_label("Tags").fill("Sea, night")
    page.get_by_label("Wren").check()
    page.get_by_role("button", name="Preview").click()
    preview = page.get_by_role("region", name="Preview")
    assert preview.locator("strong").inner_text() == "lamp" and preview.locator("script").count() == 0
    assert page.get_by_label("Entry").input_value().startswith("# Log")
    checked(page, width)
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/journal/*")
    assert page.get_by_role("heading", name="Log").count() == 1
    assert page.get_by_role("link", name="sea").count() == 1 and page.get_by_role("link", name="Wren").count() == 1
    checked(page, width)
    page.get_by_role("button", name="Pin").click()
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Entry").fill("The lamp went out at dawn.")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/journal/*")
    page.get_by_role("navigation").get_by_role("link", name="Journal").click()
    page.get_by_label("Search the journal").fill("dawn")
    page.get_by_role("button", name="Search").click()
    assert page.locator("mark").first.inner_text().lower() == "dawn"
    assert page.get_by_text("pinned", exact=True).count() == 1
    checked(page, width)
    [entry] = data(api.get("/api/v1/systems/@me/journal", owner.session))
    assert (entry["tags"], entry["author_ids"], entry["pinned"]) == (["sea", "night"], [wren], True)

    # History: today's co-front, then a front back-dated to yesterday, edited, refused, deleted.
    page.get_by_role("navigation").get_by_role("link", name="History").click()
    assert page.get_by_text("with Sable").count() == 1 and page.get_by_text("with Wren").count() == 1
    checked(page, width)
    yesterday = (datetime.now(ZoneInfo(zone)) - timedelta(days=1)).date().isoformat()
    page.get_by_label("Who fronted").select_option(label="Sable")
    page.get_by_role("textbox", name="From").fill(f"{yesterday}T10:00")
    page.get_by_label("Until").fill(f"{yesterday}T11:30")
    page.get_by_role("button", name="Add the front").click()
    page.wait_for_url(f"**/history?day={yesterday}")
    back_dated = [f for f in data(api.get("/api/v1/systems/@me/fronts", owner.session)) if f["ended_at"]]
    assert [datetime.fromisoformat(f["started_at"]).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")
            for f in back_dated] == [f"{yesterday} 10:00"]
    page.get_by_role("link", name="Edit Sable’s front").click()
    page.get_by_label("Until").fill(f"{yesterday}T09:00")
    page.get_by_role("button", name="Save").click()
    assert page.locator("#ended_at-error").is_visible() and page.get_by_label("Until").input_value() == \
        f"{yesterday}T09:00"
    checked(page, width)
    page.get_by_label("Until").fill(f"{yesterday}T12:00")
    page.get_by_label("Comment").fill("long walk")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**/history?day={yesterday}")
    assert page.get_by_text("long walk").count() == 1
    page.get_by_role("link", name="Delete Sable’s front").click()
    page.get_by_role("button", name="Delete the front").click()
    page.wait_for_url(f"**/history?day={yesterday}")
    assert page.get_by_text("No fronts this day.").is_visible()
    assert len(data(api.get("/api/v1/systems/@me/fronts", owner.session))) == 2
