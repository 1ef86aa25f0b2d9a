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
    P:lock:<name>          short locks (the reaper's tick)
    P:session:<sha256>     hash: a web console session (token digest, CSRF token, expiry), with a TTL

Celery's own keys (queues, ``unacked``) are kombu's and are not prefixed; see ``broker.py``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Keys:
    prefix: str = "te"

    def run(self, run_id: str) -> str:
        return f"{self.prefix}:run:{run_id}"

    def log(self, run_id: str) -> str:
        return f"{self.prefix}:log:{run_id}"

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
