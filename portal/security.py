"""Security headers on every response, and the Content-Security-Policy they carry.

The theme puts a few small inline scripts in every page; the build hashes them
(`collect_script_hashes`) so the policy allows exactly those and no others.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

CSP_FILE = "csp.json"
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)([^>]*)>(.*?)</script>", re.S | re.I)


def collect_script_hashes(site_dir: Path) -> list[str]:
    """sha256 sources of every executable inline script of the built site."""
    hashes: set[str] = set()
    for page in site_dir.rglob("*.html"):
        for attrs, body in _INLINE_SCRIPT.findall(page.read_text(encoding="utf-8")):
            if "application/json" in attrs or "application/ld+json" in attrs:
                continue
            digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
            hashes.add(f"'sha256-{digest}'")
    return sorted(hashes)


def write_policy(generation: Path, repo_url: str) -> None:
    connect = ["'self'"]
    if urlsplit(repo_url).hostname == "github.com":
        connect.append("https://api.github.com")  # the theme shows the repository's stars
    data = {"script_hashes": collect_script_hashes(generation / "site"), "connect": connect}
    (generation / CSP_FILE).write_text(json.dumps(data), encoding="utf-8")


def policy(generation: Path | None) -> str:
    data = {"script_hashes": [], "connect": ["'self'"]}
    if generation is not None and (generation / CSP_FILE).is_file():
        data = json.loads((generation / CSP_FILE).read_text(encoding="utf-8"))
    return "; ".join([
        "default-src 'self'",
        "script-src 'self' " + " ".join(data["script_hashes"]),
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "media-src 'self' https:",
        "connect-src " + " ".join(data["connect"]),
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


def headers(csp: str, https: bool) -> dict[str, str]:
    found = {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if https:
        found["Strict-Transport-Security"] = "max-age=31536000"
    return found
