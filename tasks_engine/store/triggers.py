"""What the triggers keep: webhook deliveries seen, which tasks watch which repository, the dependency index,
sightings of base images, the cascade state and its outbox, timers' last ticks, polling state.

The store keeps these as opaque JSON: what they mean is the trigger layer's (``tasks_engine.triggers``, the pure
core, and ``tasks_engine.service``), so this module only knows the key layout and the atomic steps:

* a delivery id is remembered with ``SET NX`` and a TTL (≥ 30 days, GitHub's redelivery window);
* the cascade state is a set of hashes (``pending``, ``deferred``, ``running``, ``seen``, ``chains``,
  ``held``), one field per task, image or chain, plus a version: a step reads what it needs, computes, and
  writes only the fields it changed, if the version is still the one it read (``cascade_commit``). One JSON
  value for everything would make every run start rewrite a megabyte once a base has a thousand dependants.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from tasks_engine.store.base import StoreBase, text
from tasks_engine.store.connect import redis_errors
from tasks_engine.store.records import TaskRecord, TaskSecrets

CASCADE_PARTS = ("pending", "deferred", "running", "seen", "chains", "held")
DELIVERY_TTL = 31 * 86400.0


def _decoded(raw: Mapping[bytes, bytes]) -> dict[str, str]:
    return {text(k): text(v) for k, v in raw.items()}


class TriggersMixin(StoreBase):
    # -- webhook deliveries -----------------------------------------------------------------------------------

    def delivery_seen(self, provider: str, delivery_id: str) -> bool:
        with redis_errors():
            return bool(self.client.exists(self.keys.hook(provider, delivery_id)))

    def record_delivery(self, provider: str, delivery_id: str, *, ttl: float = DELIVERY_TTL) -> bool:
        """Remember a processed delivery; False when it was remembered already (a replay)."""
        with redis_errors():
            return bool(self.client.set(self.keys.hook(provider, delivery_id), "1", nx=True, px=int(ttl * 1000)))

    # -- which tasks watch which repository -------------------------------------------------------------------

    def set_source_repository(self, task: str, old: str | None, new: str | None) -> None:
        with redis_errors():
            pipe = self.client.pipeline(transaction=True)
            if old and old != new:
                pipe.srem(self.keys.hooks_repo(old), task)
            if new:
                pipe.sadd(self.keys.hooks_repo(new), task)
                pipe.sadd(self.keys.hooks_tasks, task)
            else:
                pipe.srem(self.keys.hooks_tasks, task)
            pipe.execute()

    def tasks_watching(self, repositories: Iterable[str]) -> set[str]:
        keys = [self.keys.hooks_repo(r) for r in repositories]
        if not keys:
            return set()
        with redis_errors():
            return {text(m) for m in self.client.sunion(keys)}

    def all_watching_tasks(self) -> set[str]:
        with redis_errors():
            return {text(m) for m in self.client.smembers(self.keys.hooks_tasks)}

    def tasks_with_secrets(self, names: Sequence[str]) -> list[tuple[TaskRecord, TaskSecrets]]:
        """Tasks and their decrypted secrets in one round trip (missing tasks are left out)."""
        with redis_errors():
            pipe = self.client.pipeline(transaction=False)
            for name in names:
                pipe.hmget(self.keys.task(name), "data", "secrets")
            rows = pipe.execute()
        out: list[tuple[TaskRecord, TaskSecrets]] = []
        for data, sealed in rows:
            if data:
                secrets = TaskSecrets.from_dict(self._unsealed(sealed)) if sealed else TaskSecrets()
                out.append((TaskRecord.from_dict(json.loads(data)), secrets))
        return out

    # -- the dependency index (one JSON entry per task) -------------------------------------------------------

    def dependency_version(self) -> int:
        with redis_errors():
            return int(self.client.get(self.keys.deps_version) or 0)

    def dependency_entries(self) -> tuple[int, dict[str, str]]:
        with redis_errors():
            pipe = self.client.pipeline(transaction=True)
            pipe.get(self.keys.deps_version)
            pipe.hgetall(self.keys.deps)
            version, raw = pipe.execute()
        return int(version or 0), _decoded(raw)

    def dependency_entry(self, task: str) -> str | None:
        with redis_errors():
            raw = self.client.hget(self.keys.deps, task)
        return text(raw) if raw else None

    def put_dependency_entry(self, task: str, entry: str | None) -> None:
        """Write (or, with None, remove) a task's entry and bump the version caches compare against."""
        with redis_errors():
            pipe = self.client.pipeline(transaction=True)
            if entry is None:
                pipe.hdel(self.keys.deps, task)
            else:
                pipe.hset(self.keys.deps, task, entry)
            pipe.incr(self.keys.deps_version)
            pipe.execute()

    # -- sightings of images (what a registry, a poll or a build last said a tag's digest is) -----------------

    def record_sightings(self, sightings: Mapping[str, str]) -> None:
        if not sightings:
            return
        with redis_errors():
            self.client.hset(self.keys.images_seen, mapping=dict(sightings))

    def sightings(self, images: Sequence[str]) -> dict[str, str]:
        if not images:
            return {}
        with redis_errors():
            values = self.client.hmget(self.keys.images_seen, list(images))
        return {image: text(v) for image, v in zip(images, values, strict=True) if v}

    # -- the cascade state ------------------------------------------------------------------------------------

    def cascade_state(self, parts: Sequence[str] = CASCADE_PARTS) -> tuple[int, dict[str, dict[str, str]]]:
        """``(version, {part: {field: json}})`` read in one transaction (a consistent snapshot)."""
        with redis_errors():
            pipe = self.client.pipeline(transaction=True)
            pipe.get(self.keys.cascade("version"))
            for part in parts:
                pipe.hgetall(self.keys.cascade(part))
            replies = pipe.execute()
        return int(replies[0] or 0), {part: _decoded(raw) for part, raw in zip(parts, replies[1:], strict=True)}

    def cascade_fields(self, wanted: Mapping[str, Sequence[str]]) -> tuple[int, dict[str, dict[str, str]]]:
        """Only some fields of some parts (a run start touches one task's entries)."""
        names = [(part, list(fields)) for part, fields in wanted.items() if fields]
        with redis_errors():
            pipe = self.client.pipeline(transaction=True)
            pipe.get(self.keys.cascade("version"))
            for part, fields in names:
                pipe.hmget(self.keys.cascade(part), fields)
            replies = pipe.execute()
        out: dict[str, dict[str, str]] = {part: {} for part in wanted}
        for (part, fields), values in zip(names, replies[1:], strict=True):
            out[part] = {f: text(v) for f, v in zip(fields, values, strict=True) if v}
        return int(replies[0] or 0), out

    def cascade_commit(self, version: int, *, sets: Sequence[tuple[str, str, str]],
                       deletes: Sequence[tuple[str, str]], outbox: Sequence[tuple[str, str]] = ()) -> int:
        """Apply a step's changes if the state is still at ``version``; the new version, or 0 on a conflict."""
        args: list[Any] = [version, len(sets)]
        for part, name, value in sets:
            args += [part, name, value]
        args.append(len(deletes))
        for part, name in deletes:
            args += [part, name]
        for name, value in outbox:
            args += [name, value]
        return int(self._run_script("cascade_commit", args))

    def drop_outbox(self, fields: Sequence[str]) -> None:
        """Decided runs that will not be created (their task was disabled or deleted meanwhile)."""
        if fields:
            with redis_errors():
                self.client.hdel(self.keys.cascade("outbox"), *fields)

    def cascade_outbox(self) -> dict[str, str]:
        with redis_errors():
            return _decoded(self.client.hgetall(self.keys.cascade("outbox")))

    # -- recent trigger events (suppressions with their reason: a stopped cycle is reported) --------------------

    def add_trigger_events(self, events: Sequence[Mapping[str, Any]], *, keep: int = 500) -> None:
        if not events:
            return
        with redis_errors():
            pipe = self.client.pipeline(transaction=True)
            pipe.lpush(self.keys.trigger_events, *(json.dumps(e, sort_keys=True) for e in events))
            pipe.ltrim(self.keys.trigger_events, 0, keep - 1)
            pipe.execute()

    def trigger_events(self, top: int = 50) -> list[dict[str, Any]]:
        with redis_errors():
            rows = self.client.lrange(self.keys.trigger_events, 0, top - 1)
        return [json.loads(r) for r in rows]

    # -- timers -----------------------------------------------------------------------------------------------

    def timer_ticks(self) -> dict[str, str]:
        with redis_errors():
            return _decoded(self.client.hgetall(self.keys.timers_last))

    def set_timer_ticks(self, ticks: Mapping[str, str]) -> None:
        if ticks:
            with redis_errors():
                self.client.hset(self.keys.timers_last, mapping=dict(ticks))

    def forget_timers(self, names: Sequence[str]) -> None:
        if names:
            with redis_errors():
                self.client.hdel(self.keys.timers_last, *names)

    # -- polling ----------------------------------------------------------------------------------------------

    def poll_states(self, images: Sequence[str]) -> dict[str, dict[str, str]]:
        with redis_errors():
            pipe = self.client.pipeline(transaction=False)
            for image in images:
                pipe.hgetall(self.keys.poll(image))
            rows = pipe.execute()
        return {image: _decoded(row) for image, row in zip(images, rows, strict=True) if row}

    def set_poll_state(self, image: str, state: Mapping[str, str]) -> None:
        with redis_errors():
            self.client.hset(self.keys.poll(image), mapping=dict(state))
