"""What must be masked in a run's output before anything is printed or stored.

Why here: the CLI's error lines, the worker's run log and the API's run records must hide the same values: the
``--set-secret`` values, secret build arguments, registry passwords, a token embedded in a context URL, and
the contents of secret volumes. One function per source, used by every adapter.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:  # the CLI imports this module on every start; the plan package is not needed for that
    from tasks_engine.plan.model import RunPlan


def pair_value(item: str) -> str:
    """``K=V`` -> ``V``; a malformed item (no ``=``) may be the bare secret, so all of it is masked."""
    _key, sep, value = item.partition("=")
    return value if sep else item


def url_secrets(url: str) -> list[str]:
    """The token of ``https://user:token@host/...``; a lone user part (``https://TOKEN@github.com``) is the
    token itself."""
    if "@" not in url or "://" not in url:
        return []
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    if parts.password:
        return [parts.password, unquote(parts.password)]
    if parts.username:
        return [parts.username, unquote(parts.username)]
    return []


def plan_secrets(plan: RunPlan) -> list[str]:
    """Secret volume contents are masked in logs in both their decoded and base64 forms; so are the values of
    ``--secret-build-arg`` in a task file's build strings (issue #8)."""
    found: list[str] = [v for s in plan.steps if s.build for v in s.build.secret_build_args.values()]
    for volume in plan.volumes:
        for value in volume.secret.values():
            found.append(value)
            try:
                found.append(base64.b64decode(value, validate=True).decode("utf-8", "replace").strip())
            except (binascii.Error, ValueError):
                continue
    return found


def nonempty(values: Iterable[str]) -> list[str]:
    return [v for v in values if v]
