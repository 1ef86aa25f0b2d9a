"""Base-image updates → image-update runs, through the pure cascade rules, persisted exactly once.

The rules (debounce, dedupe, coalescing, deferral behind upstream rebuilds, cycles, the generation limit) are
``tasks_engine.triggers.cascade``'s; this module persists their state and acts on their decisions:

* **State**: the store's cascade hashes, one field per task, image or chain, plus a version. A step reads a
  snapshot, computes with the pure core, and writes only the fields that changed, if the version did not
  move (compare-and-set in one script), else it reads and computes again. A run start reads and writes two
  fields, so a thousand runs starting do not rewrite the whole state a thousand times.
* **Outbox**: the runs a step decides are written by the same script, into ``P:cascade:outbox``; the run is
  then created by the create script that also removes the entry. A process that dies in between leaves the
  entry, and the next tick creates the run — once, however many processes try (``tick``).
* **Attribution race**: a registry event (or a poll) for an image that a *running* task produces is held,
  not decided: that run announces its own push when it ends (``finish_run``), with the right cause and
  generation, and the held event then comes out as a duplicate (same digest) or is decided (someone else
  pushed). A held event whose producers are no longer running is decided at the next tick.
* Suppressions (cycle, depth limit, duplicate, coalesced, disabled, unchanged) are counted
  (``tasks_engine_triggers_suppressed_total{reason}``) and kept in a short list of trigger events
  (``GET /v1/triggers/events``): a stopped cycle is reported, not silent.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from tasks_engine.errors import TransientError
from tasks_engine.service.depindex import IndexReader
from tasks_engine.store import RedisStore
from tasks_engine.triggers import (
    CascadePolicy,
    CascadeState,
    Cause,
    Decisions,
    DependencyIndex,
    ImageUpdate,
    RunRequest,
    decide,
    due_runs,
    finish_run,
    run_started,
)

_LOG = logging.getLogger(__name__)
_SEP = "\x1f"
OUTBOX_GRACE = timedelta(seconds=10)
"""An outbox entry this old was left by a process that died before creating its run: the tick creates it."""

Held = dict[str, list[dict[str, Any]]]
Submit = Callable[[Sequence["Decided"]], None]


@dataclass(frozen=True)
class Decided:
    """A run a cascade step decided: the outbox field it consumes, the request, when it was decided."""

    field: str
    request: RunRequest
    decided_at: datetime

    def to_json(self) -> str:
        return json.dumps({"request": self.request.to_dict(), "decidedAt": self.decided_at.isoformat()},
                          separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, field: str, raw: str) -> Decided:
        data = json.loads(raw)
        return cls(field, RunRequest.from_dict(data["request"]), datetime.fromisoformat(data["decidedAt"]))


# -- the state's codec: the core's JSON, one hash field per entry ------------------------------------------------


def encode(state: CascadeState, held: Held) -> dict[str, dict[str, str]]:
    data = state.to_dict()

    def dump(value: Any) -> str:
        return json.dumps(value, separators=(",", ":"), sort_keys=True)

    return {
        "pending": {item["request"]["task"]: dump(item) for item in data["pending"]},
        "deferred": {item["request"]["task"]: dump(item) for item in data["deferred"]},
        "running": {item["task"]: dump(item) for item in data["running"]},
        "seen": {_SEP.join(item[:3]): item[3] for item in data["seen"]},
        "chains": {item["root"]: dump(item) for item in data["chains"]},
        "held": {image: dump(items) for image, items in sorted(held.items()) if items},
    }


def decode(parts: Mapping[str, Mapping[str, str]]) -> tuple[CascadeState, Held]:
    data = {
        "pending": [json.loads(v) for v in parts.get("pending", {}).values()],
        "deferred": [json.loads(v) for v in parts.get("deferred", {}).values()],
        "running": [json.loads(v) for v in parts.get("running", {}).values()],
        "seen": [[*k.split(_SEP, 2), v] for k, v in parts.get("seen", {}).items()],
        "chains": [json.loads(v) for v in parts.get("chains", {}).values()],
    }
    held = {image: list(json.loads(v)) for image, v in parts.get("held", {}).items()}
    return CascadeState.from_dict(data), held


def diff(old: Mapping[str, Mapping[str, str]], new: Mapping[str, Mapping[str, str]]
         ) -> tuple[list[tuple[str, str, str]], list[tuple[str, str]]]:
    sets: list[tuple[str, str, str]] = []
    deletes: list[tuple[str, str]] = []
    for part in sorted(set(old) | set(new)):
        before, after = old.get(part, {}), new.get(part, {})
        sets += [(part, k, v) for k, v in after.items() if before.get(k) != v]
        deletes += [(part, k) for k in before if k not in after]
    return sets, deletes


class CascadeEngine:
    def __init__(self, store: RedisStore, index: IndexReader, policy: CascadePolicy, submit: Submit, *,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC), max_events: int = 500) -> None:
        self.store = store
        self.index_reader = index
        self.policy = policy
        self.submit = submit
        self.clock = clock
        self.max_events = max_events

    # -- one compare-and-set step --------------------------------------------------------------------------

    def _step(self, compute: Callable[[CascadeState, Held, DependencyIndex, datetime], tuple[Decisions, Held]],
              *, parts: Mapping[str, Sequence[str]] | None = None) -> Decisions:
        for attempt in range(50):
            if parts is None:
                version, raw = self.store.cascade_state()
            else:
                version, raw = self.store.cascade_fields(parts)
            state, held = decode(raw)
            now = self.clock()
            decisions, held = compute(state, held, self.index_reader.index(), now)
            new = encode(decisions.state, held)
            if parts is not None:  # a partial read: only the fields read may be written or removed
                new = {p: {k: v for k, v in new.get(p, {}).items() if k in parts[p]} for p in parts}
            sets, deletes = diff(raw, new)
            decided = [Decided(r.request_id, r, now) for r in decisions.queued]
            if not (sets or deletes or decided):
                self._report(decisions, now)
                return decisions
            if self.store.cascade_commit(version, sets=sets, deletes=deletes,
                                         outbox=[(d.field, d.to_json()) for d in decided]):
                self._report(decisions, now)
                if decided:
                    self.submit(decided)
                return decisions
            time.sleep(random.uniform(0.0, 0.002 * (attempt + 1)))
        raise TransientError("the cascade state kept changing under this step; retry shortly")

    def _report(self, decisions: Decisions, now: datetime) -> None:
        if not decisions.suppressed:
            return
        events = []
        for s in decisions.suppressed:
            self.store.count("triggers_suppressed", (s.reason.value,))
            events.append({"time": now.isoformat(), "kind": "suppressed", "task": s.task, "reason": s.reason.value,
                           "detail": s.detail, "image": s.update.image, "digest": s.update.digest,
                           "cause": s.update.cause.to_dict()})
            if s.reason.value in ("cycle", "depth_limit"):
                _LOG.warning("cascade: %s not queued for %s: %s", s.task, s.update.image, s.detail)
        self.store.add_trigger_events(events, keep=self.max_events)

    # -- inputs ------------------------------------------------------------------------------------------------

    def on_updates(self, updates: Sequence[ImageUpdate]) -> Decisions:
        """Registry pushes and poll answers (external updates; ``source`` registry or poll)."""

        def compute(state: CascadeState, held: Held, index: DependencyIndex, now: datetime
                    ) -> tuple[Decisions, Held]:
            total = Decisions(state)
            for update in updates:
                running = [p for p in index.producers(update.image) if p in total.state.running]
                if running:
                    held.setdefault(update.image, []).append({**update.to_dict(), "heldAt": now.isoformat()})
                    continue
                total = total + decide(update, index, total.state, now, self.policy)
            return total, held

        return self._step(compute)

    def run_started(self, task: str) -> None:
        """Any run of an indexed task: its pending decision is consumed, and it blocks what is downstream."""

        def compute(state: CascadeState, held: Held, index: DependencyIndex, now: datetime
                    ) -> tuple[Decisions, Held]:
            return Decisions(run_started(state, task, now)), held

        self._step(compute, parts={"pending": [task], "running": [task]})

    def run_finished(self, task: str, run_id: str, cause: Cause, pushed: Mapping[str, str], *,
                     succeeded: bool = True) -> Decisions:
        """Any run of an indexed task ended (``pushed`` empty unless it succeeded). Pass the index after the
        run's build was recorded: its outputs are the next generation's bases.

        A successful run also forgets which digests the task was queued for: its index entry now says what it
        is built on, which answers a late duplicate (``unchanged``), while a base that moves back and forth
        (D1 → D2 → D1 → D2 within the dedupe window) must rebuild it each time."""

        def compute(state: CascadeState, held: Held, index: DependencyIndex, now: datetime
                    ) -> tuple[Decisions, Held]:
            total = finish_run(state, index, task=task, run_id=run_id, cause=cause, pushed=pushed, now=now,
                               policy=self.policy)
            if succeeded:
                seen = {k: t for k, t in total.state.seen.items() if k[0] != task}
                total = replace(total, state=replace(total.state, seen=seen))
            node = index.tasks.get(task)
            outputs = set(node.outputs if node is not None else ()) | set(pushed)
            for image in sorted(outputs & set(held)):
                total, held = self._release(image, held, index, total, now, own=pushed.get(image))
            return total, held

        return self._step(compute)

    def forget_pending(self, task: str, run_id: str, cause: Cause) -> Decisions:
        """The decided run of ``task`` will never start (canceled while queued, its task disabled): drop the
        decision, as if the run had started and failed, so later updates decide a new run and deferrals
        waiting for it are released. A run of the task that is really running keeps blocking."""

        def compute(state: CascadeState, held: Held, index: DependencyIndex, now: datetime
                    ) -> tuple[Decisions, Held]:
            if task not in state.pending:
                return Decisions(state), held
            really_running = state.running.get(task)
            total = finish_run(run_started(state, task, now), index, task=task, run_id=run_id, cause=cause,
                               pushed={}, now=now, policy=self.policy)
            if really_running is not None:
                running = {**total.state.running, task: really_running}
                total = replace(total, state=replace(total.state, running=running))
            return total, held

        return self._step(compute)

    def forget_task(self, task: str) -> Decisions:
        """A deleted task: its decisions, deferral and dedupe memory go (a new task of that name starts
        clean), and deferrals that waited for it are released."""

        def compute(state: CascadeState, held: Held, index: DependencyIndex, now: datetime
                    ) -> tuple[Decisions, Held]:
            cleared = replace(state, pending={t: p for t, p in state.pending.items() if t != task},
                              deferred={t: d for t, d in state.deferred.items() if t != task},
                              seen={k: v for k, v in state.seen.items() if k[0] != task})
            total = finish_run(run_started(cleared, task, now), index, task=task, run_id=f"deleted:{task}",
                               cause=Cause(f"deleted:{task}"), pushed={}, now=now, policy=self.policy)
            return total, held

        return self._step(compute)

    def _release(self, image: str, held: Held, index: DependencyIndex, total: Decisions, now: datetime, *,
                 own: str | None = None) -> tuple[Decisions, Held]:
        if any(p in total.state.running for p in index.producers(image)):
            return total, held
        for item in held.pop(image, []):
            update = ImageUpdate.from_dict(item)
            if own is not None and update.digest == own:
                continue  # the registry's event of this run's own push, announced by finish_run already
            total = total + decide(update, index, total.state, now, self.policy)
        return total, held

    def tick(self) -> Decisions:
        """Debounced runs that are due, deferrals past their timeout, held events whose producers stopped,
        and outbox entries a dead process left (beat calls this every few seconds)."""

        def compute(state: CascadeState, held: Held, index: DependencyIndex, now: datetime
                    ) -> tuple[Decisions, Held]:
            total = due_runs(state, now, self.policy)
            for image in sorted(held):
                total, held = self._release(image, held, index, total, now)
            return total, held

        decisions = self._step(compute)
        self.sweep_outbox()
        return decisions

    def sweep_outbox(self) -> int:
        now = self.clock()
        stale = [Decided.from_json(f, raw) for f, raw in self.store.cascade_outbox().items()]
        stale = [d for d in stale if now - d.decided_at >= OUTBOX_GRACE]
        if stale:
            _LOG.warning("cascade: creating %d decided run(s) a stopped process left in the outbox", len(stale))
            self.submit(stale)
        return len(stale)


def cause_of(image_update_trigger: Mapping[str, Any] | None, run_id: str) -> Cause:
    """A run's cascade cause from its ``imageUpdateTrigger``; a run nobody's update caused starts a chain."""
    causation = (image_update_trigger or {}).get("causation")
    if isinstance(causation, Mapping) and causation.get("rootEventId"):
        return Cause.from_dict(causation)
    return Cause(run_id)


def policy_from(settings: Any) -> CascadePolicy:
    return CascadePolicy(debounce=timedelta(seconds=settings.cascade_debounce),
                         max_generations=settings.cascade_max_generations,
                         dedupe_ttl=timedelta(seconds=settings.cascade_dedupe_ttl),
                         defer_timeout=timedelta(seconds=settings.cascade_defer_timeout))
