"""What the theme shows under a page's title: owner, last and next review."""

from __future__ import annotations

import datetime as dt
from typing import Any

from portal.catalog.schema import parse_date
from portal.catalog.site import Site

from .french import long_date


def owner_name(site: Site, owner: str) -> tuple[str, str | None]:
    """(display name, site URL or None) of a team key or a talent id."""
    teams = site.extra.get("teams") or {}
    if owner in teams:
        return str(teams[owner]), None
    talent = site.talents().get(owner)
    if talent is not None:
        return talent.title, talent.url
    return owner, None


def describe(site: Site, src_path: str, today: dt.date | None = None) -> dict[str, Any]:
    page = site.pages.get(src_path)
    if page is None or not page.valid:
        return {}
    today = today or dt.date.today()
    meta = page.meta
    info: dict[str, Any] = {"type": page.type, "site_path": "/" + page.url}
    if meta.get("owner"):
        name, url = owner_name(site, str(meta["owner"]))
        info["owner"] = name
        info["owner_url"] = url
    reviewed = parse_date(meta.get("reviewed"))
    if reviewed:
        info["reviewed"] = long_date(reviewed)
        due = page.next_review()
        if due:
            info["next_review"] = long_date(due)
            info["stale"] = due < today
    return info
