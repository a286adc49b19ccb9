"""Settings read from `PORTAL_*` environment variables, in one place, with defaults.

Every variable is documented in the README's configuration table; keep the two in step.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    return os.environ.get(f"PORTAL_{name}", default)


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "oui", "on"}


def _list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


@dataclass
class Settings:
    """The portal's configuration; tests build one with explicit paths."""

    root: Path = field(default_factory=lambda: Path(_env("ROOT", str(PROJECT_ROOT))))
    var_dir: Path = field(default_factory=lambda: Path(_env("VAR_DIR", "")))
    site_dir: Path = field(default_factory=lambda: Path(_env("SITE_DIR", "")))
    database_url: str = field(default_factory=lambda: _env("DATABASE_URL", ""))
    secret_key: str = field(default_factory=lambda: _env("SECRET_KEY", ""))
    auth: str = field(default_factory=lambda: _env("AUTH", "local"))
    auth_header: str = field(default_factory=lambda: _env("AUTH_HEADER", "X-Forwarded-User"))
    team_header: str = field(default_factory=lambda: _env("TEAM_HEADER", "X-Forwarded-Team"))
    trusted_proxies: list[str] = field(
        default_factory=lambda: _list(_env("TRUSTED_PROXIES", "127.0.0.1,::1"))
    )
    allowed_email_domains: list[str] = field(
        default_factory=lambda: _list(_env("ALLOWED_EMAIL_DOMAINS", ""))
    )
    secure_cookies: bool = field(default_factory=lambda: _bool(_env("SECURE_COOKIES", "false")))
    ratelimit_storage_url: str = field(
        default_factory=lambda: _env("RATELIMIT_STORAGE_URL", "memory://")
    )
    rate_limits: bool = field(default_factory=lambda: _bool(_env("RATE_LIMITS", "true")))
    session_hours: int = field(default_factory=lambda: int(_env("SESSION_HOURS", "12")))
    testing: bool = False

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        self.var_dir = Path(self.var_dir) if str(self.var_dir) not in {"", "."} else self.root / "var"
        self.site_dir = (
            Path(self.site_dir) if str(self.site_dir) not in {"", "."} else self.root / "site"
        )
        if not self.database_url:
            self.database_url = f"sqlite:///{self.var_dir / 'portal.db'}"

    @property
    def content_dir(self) -> Path:
        return self.root / "content"

    @property
    def quizzes_dir(self) -> Path:
        return self.root / "quizzes"

    @property
    def mkdocs_file(self) -> Path:
        return self.root / "mkdocs.yml"

    @property
    def repo_url(self) -> str:
        """The repository's address, from mkdocs.yml (file links, new issues)."""
        import re

        try:
            text = self.mkdocs_file.read_text(encoding="utf-8")
        except OSError:
            return ""
        match = re.search(r"^repo_url:\s*(\S+)", text, flags=re.M)
        return match.group(1) if match else ""

    def resolved_secret_key(self) -> str:
        """PORTAL_SECRET_KEY, or a key generated once into var/secret_key."""
        if self.secret_key:
            return self.secret_key
        path = self.var_dir / "secret_key"
        if not path.exists():
            self.var_dir.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".tmp{os.getpid()}")
            tmp.write_text(secrets.token_urlsafe(48))
            tmp.chmod(0o600)
            # Several workers may start together: the first rename wins, the others read it.
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass
            finally:
                tmp.unlink()
        return path.read_text().strip()
