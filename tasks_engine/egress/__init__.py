"""One egress policy for everything a run fetches on the worker host (alias ``src`` files, tarball and git
contexts, ``--values`` URLs, remote build contexts): a task file must not make a worker fetch what the
operator has not allowed — above all the cloud metadata service, which hands out the host's credentials."""

from tasks_engine.egress.http import fetch_bytes, open_url, url_fetcher
from tasks_engine.egress.policy import DEFAULT_POLICY, EgressPolicy, EgressRefused

__all__ = ["DEFAULT_POLICY", "EgressPolicy", "EgressRefused", "fetch_bytes", "open_url", "url_fetcher"]
