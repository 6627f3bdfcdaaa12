"""Every route of the system's pages (`pluralspace.web`), with what goes into it for the access test
(tests/web/test_page_access.py). tests/test_access_matrix.py lists them as exempt from its bearer-token rows and
points here; a page route missing from this table fails test_page_access.py."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageRoute:
    method: str
    path: str
    target: str | None = None  # what `{…}` in the path (or the form's member_id) names: "member" or "front"
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
]
