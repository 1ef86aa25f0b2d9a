"""Every Redis key the store writes, in one place (arq's ``constants.py``), under one configurable prefix.

Layout (``P`` = ``service.keyPrefix``)::

    P:seq:run              counter behind run ids (ca1, ca2, ...)
    P:seq:lease            counter behind fencing tokens
    P:run:<id>             hash: the run record (scalars as fields, JSON documents as fields)
    P:log:<id>             stream: the run's log; entry id <byte offset>-1, field d = the bytes
    P:runs                 zset of all run ids by sequence number (newest = highest)
    P:runs:task:<name>     zset, same scores, per task; P:runs:status:<S>, P:runs:trigger:<T> likewise
    P:pending:<queue>      zset of queued run ids per Celery queue (queue position = rank)
    P:leases               zset of leased run ids by lease expiry (ms since the epoch, Redis clock)
    P:task:<name>          hash: a named task (data, secrets)   P:tasks  zset of task names
    P:token:<sha256>       hash: an API token                    P:tokens hash name -> sha256
    P:workers              zset of worker ids by heartbeat expiry; P:worker:<id> JSON with a TTL
    P:metrics:<name>       hashes of counters and histogram buckets (exported by /metrics)
    P:lock:<name>          short locks (the reaper's tick, the poller's leadership)
    P:active:task:<name>   set of a task's Started/Running runs (--max-concurrent-runs); P:waiting:task:<name>
                           zset of its runs parked at the cap; P:wake list of woken runs to publish
    P:unique:<sha256>      run id of the run an exactly-once key created (timer occurrence, webhook commit)
    P:hook:<provider>:<sha256>   a webhook delivery id seen (kept 31 days: replays answer 200, no run)
    P:hooks:repo:<sha256>  set of tasks with a source trigger on that repository key; P:hooks:tasks all of them
    P:deps                 hash task -> dependency index entry (JSON); P:deps:version bumps on each write
    P:cascade:<part>       hashes of the cascade state (pending, deferred, running, seen, chains, held) and
                           P:cascade:version; P:cascade:outbox decided runs not created yet
    P:images:seen          hash image -> the digest a registry event, a poll or a build last reported, and when
    P:triggers:events      list of recent trigger events (suppressed updates and why), newest first, capped
    P:timers:last          hash task/timer -> the last tick that evaluated it
    P:poll:<image>         hash: last digest, consecutive failures, next poll time of a polled base image
    P:session:<sha256>     hash: a web console session (token digest, CSRF token, expiry), with a TTL

Celery's own keys (queues, ``unacked``) are kombu's and are not prefixed; see ``broker.py``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Keys:
    prefix: str = "te"

    def run(self, run_id: str) -> str:
        return f"{self.prefix}:run:{run_id}"

    def log(self, run_id: str) -> str:
        return f"{self.prefix}:log:{run_id}"

    def run_events(self, run_id: str) -> str:
        """A stream of the run's last status change (one entry): log followers block on it beside the log, so a
        run's end (which writes no log) wakes them at once instead of at their next poll."""
        return f"{self.prefix}:runev:{run_id}"

    @property
    def runs(self) -> str:
        return f"{self.prefix}:runs"

    def runs_by(self, kind: str, value: str) -> str:
        return f"{self.prefix}:runs:{kind}:{value}"

    def pending(self, queue: str) -> str:
        return f"{self.prefix}:pending:{queue}"

    @property
    def pending_pattern(self) -> str:
        return f"{self.prefix}:pending:*"

    @property
    def leases(self) -> str:
        return f"{self.prefix}:leases"

    @property
    def run_seq(self) -> str:
        return f"{self.prefix}:seq:run"

    def task(self, name: str) -> str:
        return f"{self.prefix}:task:{name}"

    @property
    def tasks(self) -> str:
        return f"{self.prefix}:tasks"

    def token(self, digest: str) -> str:
        return f"{self.prefix}:token:{digest}"

    @property
    def tokens(self) -> str:
        return f"{self.prefix}:tokens"

    @property
    def workers(self) -> str:
        return f"{self.prefix}:workers"

    def worker(self, worker_id: str) -> str:
        return f"{self.prefix}:worker:{worker_id}"

    def metrics(self, name: str) -> str:
        return f"{self.prefix}:metrics:{name}"

    def lock(self, name: str) -> str:
        return f"{self.prefix}:lock:{name}"

    def session(self, digest: str) -> str:
        return f"{self.prefix}:session:{digest}"

    @property
    def wake(self) -> str:
        return f"{self.prefix}:wake"

    def active(self, task: str) -> str:
        return f"{self.prefix}:active:task:{task}"

    def waiting(self, task: str) -> str:
        return f"{self.prefix}:waiting:task:{task}"

    def unique(self, key: str) -> str:
        return f"{self.prefix}:unique:{_digest(key)}"

    def hook(self, provider: str, delivery_id: str) -> str:
        return f"{self.prefix}:hook:{provider}:{_digest(delivery_id)}"

    def hooks_repo(self, repository: str) -> str:
        return f"{self.prefix}:hooks:repo:{_digest(repository)}"

    @property
    def hooks_tasks(self) -> str:
        return f"{self.prefix}:hooks:tasks"

    @property
    def deps(self) -> str:
        return f"{self.prefix}:deps"

    @property
    def deps_version(self) -> str:
        return f"{self.prefix}:deps:version"

    def cascade(self, part: str) -> str:
        return f"{self.prefix}:cascade:{part}"

    @property
    def trigger_events(self) -> str:
        return f"{self.prefix}:triggers:events"

    @property
    def images_seen(self) -> str:
        return f"{self.prefix}:images:seen"

    @property
    def timers_last(self) -> str:
        return f"{self.prefix}:timers:last"

    def poll(self, image: str) -> str:
        return f"{self.prefix}:poll:{image}"

    @property
    def poll_pattern(self) -> str:
        return f"{self.prefix}:poll:*"


def _digest(value: str) -> str:
    """User-controlled names (delivery ids, repository URLs) are hashed into key names: bounded and inert."""
    return hashlib.sha256(value.encode("utf-8", "surrogateescape")).hexdigest()
