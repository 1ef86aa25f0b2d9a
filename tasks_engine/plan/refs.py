"""Push references: add the implicit ``:latest`` and drop duplicates (spec §3.5.9, §8.15).

acr-builder's ``NormalizeImageTag`` adds ``:latest`` only when the text has neither ``:`` nor ``@``, so
``host:5000/app`` (a registry port, no tag) is pushed without one. We look for the tag in the last path
component only, as a reference grammar does, and push ``host:5000/app:latest``. Everything ACR normalises
we normalise the same way.
"""

from __future__ import annotations

from collections.abc import Iterable

DEFAULT_TAG = "latest"


def has_tag_or_digest(ref: str) -> bool:
    """True when ``ref`` names a tag (``:`` after the last ``/``) or a digest (``@``)."""
    if "@" in ref:
        return True
    return ":" in ref.rsplit("/", 1)[-1]


def normalize_push_ref(ref: str) -> str:
    return ref if has_tag_or_digest(ref) else f"{ref}:{DEFAULT_TAG}"


def normalize_push_refs(refs: Iterable[str]) -> list[str]:
    """Normalised references in their first order, each once (``a`` and ``a:latest`` are the same push)."""
    seen: set[str] = set()
    out: list[str] = []
    for ref in refs:
        norm = normalize_push_ref(ref)
        if norm not in seen:
            seen.add(norm)
            out.append(norm)
    return out
