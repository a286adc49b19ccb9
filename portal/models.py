"""Every model, imported in one place so that Alembic sees the whole schema."""

from portal.accounts.models import User
from portal.learning.models import (
    Answer,
    Attempt,
    AttemptToken,
    Certificate,
    ChoicePicksDaily,
    ItemStatsDaily,
    ItemStatsPending,
    PageRead,
    PathEnrollment,
)
from portal.search.models import SearchClick, SearchQuery

__all__ = [
    "Answer",
    "Attempt",
    "AttemptToken",
    "Certificate",
    "ChoicePicksDaily",
    "ItemStatsDaily",
    "ItemStatsPending",
    "PageRead",
    "PathEnrollment",
    "SearchClick",
    "SearchQuery",
    "User",
]
