"""Every model, imported in one place so that Alembic sees the whole schema."""

from portal.accounts.models import User
from portal.search.models import SearchQuery

__all__ = ["SearchQuery", "User"]
