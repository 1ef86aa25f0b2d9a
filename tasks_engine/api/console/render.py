"""Templates (Jinja2, autoescaped, strict about undefined names) and the small formatting filters they use.

Why strict undefined: a typo in a template is an error in the unit tests, not an empty cell in production.
Static files are referenced with a content hash in the query (``?v=``), so a new release is never served a
stale script from the browser's cache.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import jinja2
from starlette.responses import HTMLResponse

from tasks_engine.api.console.session import COOKIE_PATH, Viewer
from tasks_engine.timestamps import parse_utc

_SECRETISH = re.compile(r"token|secret|password|signature|credential|auth", re.IGNORECASE)
STATIC = resources.files("tasks_engine.api.console") / "static"


def _version(name: str) -> str:
    return hashlib.sha256(STATIC.joinpath(name).read_bytes()).hexdigest()[:12]


def when(value: object) -> str:
    """``2026-12-01T20:20:36.123Z`` -> ``2026-12-01 20:20:36`` (UTC, as every time the service keeps)."""
    parsed = parse_utc(value)
    return parsed.strftime("%Y-%m-%d %H:%M:%S") if parsed else ""


def seconds_between(start: object, finish: object, *, now: datetime | None = None) -> float | None:
    begun = parse_utc(start)
    if begun is None:
        return None
    ended = parse_utc(finish) or now or datetime.now(UTC)
    return max(0.0, (ended - begun).total_seconds())


def duration(start: object, finish: object = None) -> str:
    """How long something ran (until now while it runs): ``0.4s``, ``12s``, ``3m 05s``, ``1h 02m``."""
    seconds = seconds_between(start, finish)
    if seconds is None:
        return ""
    if seconds < 10:
        return f"{seconds:.1f}s"
    whole = int(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m {whole % 60:02d}s"
    return f"{whole // 3600}h {whole % 3600 // 60:02d}m"


def short_digest(value: object) -> str:
    text = str(value or "")
    algorithm, _, hexpart = text.partition(":")
    return f"{algorithm}:{hexpart[:12]}" if hexpart else text


def image_ref(image: object) -> str:
    """An image as ``registry/repository:tag`` from ACR's JSON (``outputImages``, dependency reports)."""
    if not isinstance(image, Mapping):
        return str(image or "")
    if image.get("reference") and "@" not in str(image["reference"]):
        return str(image["reference"])
    name = "/".join(str(image[k]) for k in ("registry", "repository") if image.get(k))
    return f"{name}:{image['tag']}" if image.get("tag") else name


def flatten(value: object, prefix: str = "") -> list[tuple[str, str]]:
    """A trigger's JSON as ``(path, value)`` rows, with anything that looks like a secret withheld."""
    rows: list[tuple[str, str]] = []
    if isinstance(value, Mapping):
        for key in sorted(value):
            path = f"{prefix}.{key}" if prefix else str(key)
            if _SECRETISH.search(str(key)):
                rows.append((path, "(withheld)"))
            else:
                rows += flatten(value[key], path)
    elif isinstance(value, list | tuple):
        if all(not isinstance(v, Mapping | list | tuple) for v in value):
            rows.append((prefix, ", ".join(str(v) for v in value)))
        else:
            for i, item in enumerate(value):
                rows += flatten(item, f"{prefix}[{i}]")
    elif value is not None and value != "":
        rows.append((prefix, str(value)))
    return rows


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("tasks_engine.api.console", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True)
    env.filters.update(when=when, duration=duration, short_digest=short_digest, image_ref=image_ref,
                       flatten=flatten)
    env.globals.update(base=COOKIE_PATH, css=f"{COOKIE_PATH}/static/console.css?v={_version('console.css')}",
                       js=f"{COOKIE_PATH}/static/console.js?v={_version('console.js')}",
                       finished_statuses=("Succeeded", "Failed", "Canceled", "Error", "Timeout"))
    return env


ENV = _environment()


def render(template: str, **context: Any) -> str:
    return ENV.get_template(template).render(**context)


def page(template: str, *, viewer: Viewer | None, active: str = "", status: int = 200,
         headers: Mapping[str, str] | None = None, **context: Any) -> HTMLResponse:
    """A whole page: the layout (navigation, who is signed in, the sign-out form) around ``template``."""
    body = render(template, viewer=viewer, active=active, **context)
    return HTMLResponse(body, status_code=status, headers=dict(headers or {}))


def fragment(template: str, **context: Any) -> HTMLResponse:
    """Part of a page, fetched again by console.js to keep it live."""
    return HTMLResponse(render(template, **context))
