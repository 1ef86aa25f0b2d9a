"""ACR's registry build-cache reference for ``cache: enabled`` (acr-builder ``GetCmdWithCacheFlags``).

``<domain>/<repo>:cache_<task>_<step>``: the domain of the first tag that names a registry (else the run's
``--registry``), the repository path of the first tag, and ``quickrun`` for a run without a task name.
Without tags, or with no registry anywhere, there is no cache reference and the build runs without one (ACR
logs "error creating build cache command" and builds plainly).
"""

from __future__ import annotations

NO_TASK_NAME = "quickrun"


def split_domain(ref: str) -> tuple[str, str]:
    """(registry domain or "", repository path without tag or digest), with Docker's domain rule."""
    name = ref.partition("@")[0]
    first, sep, rest = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        domain, path = first, rest
    else:
        domain, path = "", name
    last_slash = path.rfind("/")
    colon = path.rfind(":")
    if colon > last_slash:
        path = path[:colon]
    return domain, path


def cache_ref_for(tags: list[str], *, task_name: str, step_id: str, registry: str) -> str | None:
    if not tags:
        return None
    with_domain = next((split_domain(t) for t in tags if split_domain(t)[0]), None)
    domain, path = with_domain if with_domain else (registry, split_domain(tags[0])[1])
    if not domain or not path:
        return None
    return f"{domain}/{path}:cache_{task_name or NO_TASK_NAME}_{step_id}"
