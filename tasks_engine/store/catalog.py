"""Named tasks, API tokens and worker heartbeats.

Tokens are stored as SHA-256 digests, never in clear: they are 256-bit random strings, so a fast hash is
enough (a slow password hash protects guessable secrets; these are not guessable) and keeps every API call
at one Redis lookup. The clear token exists only in the reply to the call that created it.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from typing import Any

from tasks_engine.store.base import StoreBase, dumps, text
from tasks_engine.store.connect import redis_errors
from tasks_engine.store.records import Role, TaskRecord, TaskSecrets, TokenRecord, WorkerInfo

TOKEN_PREFIX = "te_"  # noqa: S105 - a prefix that marks our tokens in secret scanners, not a secret


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class CatalogMixin(StoreBase):
    # -- tasks ------------------------------------------------------------------------------------------------

    def create_task(self, task: TaskRecord, secrets_: TaskSecrets) -> bool:
        """False when a task of that name exists."""
        return bool(self._run_script("create_task", [task.name, dumps(task.to_dict()),
                                                     self._sealed(secrets_.to_dict()), task.status,
                                                     task.max_concurrent_runs or 0]))

    def save_task(self, task: TaskRecord, secrets_: TaskSecrets | None = None) -> None:
        """Overwrite an existing task (``secrets_`` None keeps the stored ones)."""
        with redis_errors():
            pipe = self.client.pipeline(transaction=True)
            # status and the cap are read by the claim script, so they are fields of their own as well
            pipe.hset(self.keys.task(task.name), mapping={"data": dumps(task.to_dict()), "status": task.status,
                                                          "maxConcurrentRuns": task.max_concurrent_runs or 0})
            if secrets_ is not None:
                pipe.hset(self.keys.task(task.name), "secrets", self._sealed(secrets_.to_dict()))
            pipe.zadd(self.keys.tasks, {task.name: 0})
            pipe.execute()

    def get_task(self, name: str) -> TaskRecord | None:
        with redis_errors():
            raw = self.client.hget(self.keys.task(name), "data")
        return TaskRecord.from_dict(json.loads(raw)) if raw else None

    def task_secrets(self, name: str) -> TaskSecrets:
        with redis_errors():
            sealed = self.client.hget(self.keys.task(name), "secrets")
        return TaskSecrets.from_dict(self._unsealed(sealed)) if sealed else TaskSecrets()

    def list_tasks(self) -> list[TaskRecord]:
        with redis_errors():
            names = [text(n) for n in self.client.zrange(self.keys.tasks, 0, -1)]
            pipe = self.client.pipeline(transaction=False)
            for name in names:
                pipe.hget(self.keys.task(name), "data")
            rows = pipe.execute()
        return [TaskRecord.from_dict(json.loads(row)) for row in rows if row]

    def delete_task(self, name: str) -> bool:
        with redis_errors():
            pipe = self.client.pipeline(transaction=True)
            pipe.delete(self.keys.task(name))
            pipe.zrem(self.keys.tasks, name)
            deleted, _ = pipe.execute()
        return bool(deleted)

    # -- tokens -----------------------------------------------------------------------------------------------

    def create_token(self, name: str, role: Role) -> str | None:
        """A new token for ``name``, returned once in clear; None when the name is taken."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        ok = self._run_script("create_token", [name, role.value, _now_iso(), token_digest(token)])
        return token if ok else None

    def lookup_token(self, token: str, *, touch: bool = True) -> TokenRecord | None:
        """The token's record; with ``touch`` its ``lastUsed`` is refreshed, at most once a minute (one
        extra write per token and minute, not per request)."""
        key = self.keys.token(token_digest(token))
        with redis_errors():
            data = self.client.hgetall(key)
        if not data:
            return None
        get = {k.decode(): text(v) for k, v in data.items()}
        try:
            role = Role(get.get("role", ""))
        except ValueError:
            return None
        last_used = get.get("lastUsed") or None
        now = _now_iso()
        if touch and (last_used is None or last_used[:16] != now[:16]):
            with redis_errors():
                self.client.hset(key, "lastUsed", now)
            last_used = now
        return TokenRecord(name=get.get("name", ""), role=role, created=get.get("created", ""),
                           last_used=last_used)

    def list_tokens(self) -> list[TokenRecord]:
        with redis_errors():
            digests = {text(k): text(v) for k, v in self.client.hgetall(self.keys.tokens).items()}
            pipe = self.client.pipeline(transaction=False)
            for digest in digests.values():
                pipe.hgetall(self.keys.token(digest))
            rows = pipe.execute()
        out = []
        for row in rows:
            get = {k.decode(): text(v) for k, v in row.items()}
            if get.get("role") in {r.value for r in Role}:
                out.append(TokenRecord(name=get["name"], role=Role(get["role"]), created=get.get("created", ""),
                                       last_used=get.get("lastUsed") or None))
        return sorted(out, key=lambda t: t.name)

    def delete_token(self, name: str) -> bool:
        return bool(self._run_script("delete_token", [name]))

    # -- workers ----------------------------------------------------------------------------------------------

    def heartbeat(self, info: WorkerInfo, *, ttl: float) -> None:
        self._run_script("heartbeat", [info.worker_id, int(ttl * 1000), dumps(info.to_dict())])

    def remove_worker(self, worker_id: str) -> None:
        with redis_errors():
            pipe = self.client.pipeline(transaction=True)
            pipe.zrem(self.keys.workers, worker_id)
            pipe.delete(self.keys.worker(worker_id))
            pipe.execute()

    def workers(self) -> list[WorkerInfo]:
        """Workers whose heartbeat has not expired."""
        now = self.server_time_ms()
        with redis_errors():
            ids = [text(m) for m in self.client.zrangebyscore(self.keys.workers, now, "+inf")]
            pipe = self.client.pipeline(transaction=False)
            for worker_id in ids:
                pipe.get(self.keys.worker(worker_id))
            rows = pipe.execute()
        found: list[WorkerInfo] = []
        for row in rows:
            if row:
                data: Any = json.loads(row)
                found.append(WorkerInfo.from_dict(data))
        return found
