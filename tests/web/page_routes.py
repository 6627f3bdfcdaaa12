"""Every route of the system's pages (`pluralspace.web`), with what goes into it for the access test
(tests/web/test_page_access.py). tests/test_access_matrix.py lists them as exempt from its bearer-token rows and
points here; a page route missing from this table fails test_page_access.py."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageRoute:
    method: str
    path: str
    target: str | None = None  # what `{…}` in the path (or the form's member_id) names: member, front, entry
    form: tuple[tuple[str, str], ...] = ()  # the form's fields besides the CSRF token

    @property
    def route(self) -> tuple[str, str]:
        return self.method, self.path


PAGE_ROUTES = [
    PageRoute("GET", "/static/{name}"),
    PageRoute("GET", "/"),
    PageRoute("POST", "/front/switch", "member", (("member_id", "{member}"),)),
    PageRoute("POST", "/front/add", "member", (("member_id", "{member}"),)),
    PageRoute("POST", "/front/{front_id}/end", "front"),
    PageRoute("POST", "/front/{front_id}/comment", "front", (("comment", "not yours"),)),
    PageRoute("GET", "/members"),
    PageRoute("GET", "/members/new"),
    PageRoute("POST", "/members/new", None, (("name", "Mine"),)),
    PageRoute("GET", "/members/{mid}", "member"),
    PageRoute("GET", "/members/{mid}/edit", "member"),
    PageRoute("POST", "/members/{mid}/edit", "member", (("name", "Taken over"),)),
    PageRoute("POST", "/members/{mid}/archive", "member", (("archived", "on"),)),
    PageRoute("GET", "/members/{mid}/delete", "member"),
    PageRoute("POST", "/members/{mid}/delete", "member"),
    PageRoute("GET", "/journal"),
    PageRoute("GET", "/journal/new"),
    PageRoute("POST", "/journal/new", None, (("body", "mine"),)),
    PageRoute("GET", "/journal/{entry_id}", "entry"),
    PageRoute("GET", "/journal/{entry_id}/edit", "entry"),
    PageRoute("POST", "/journal/{entry_id}/edit", "entry", (("body", "taken over"),)),
    PageRoute("POST", "/journal/{entry_id}/pin", "entry", (("pinned", "on"),)),
    PageRoute("GET", "/journal/{entry_id}/delete", "entry"),
    PageRoute("POST", "/journal/{entry_id}/delete", "entry"),
    PageRoute("GET", "/history"),
    PageRoute("POST", "/history/fronts/new", "member", (("member_id", "{member}"), ("started_at", "2020-01-01T10:00"),
                                                         ("ended_at", "2020-01-01T11:00"))),
    PageRoute("GET", "/history/fronts/{front_id}/edit", "front"),
    PageRoute("POST", "/history/fronts/{front_id}/edit", "front", (("started_at", "2020-01-01T10:00"),)),
    PageRoute("GET", "/history/fronts/{front_id}/delete", "front"),
    PageRoute("POST", "/history/fronts/{front_id}/delete", "front"),
]
