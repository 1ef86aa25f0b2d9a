"""Base-image update → which dependants to run now, later, or not at all, and why (storm control).

Everything is a value: :func:`decide`, :func:`due_runs`, :func:`run_started` and :func:`finish_run` take the
current :class:`CascadeState` and return the next one. The lead persists the state in Redis and applies a
step atomically (read, compute, compare-and-set on ``version``), so two API processes or workers cannot
both queue a run.

**Causation.** An :class:`ImageUpdate` carries a :class:`Cause`: the root event id (the registry event, the
poll or the run that started the chain), its generation (0 for an update nobody of ours caused), and the
*path* of tasks whose runs led to it. A run caused by a generation-g update is generation g+1 and inherits
the root and the path; its pushed outputs are updates of generation g+1 whose path ends with that task
(:func:`output_updates`). Every :class:`RunRequest` records the update that caused it and those folded in.

**Call** :func:`run_started` and :func:`finish_run` for *every* run of an indexed task (manual, commit,
timer, cascade): any run pushes images, and a running task blocks the tasks downstream of it.

**Rules for each dependant of the updated image, in order** (first match wins):

1. ``disabled`` — the task or its base-image trigger is disabled;
2. ``cycle`` — the task is already on the update's path: its own run (transitively) produced this image;
   a *path*, not "every task run in this chain", so base → mid → app with app also on base is no cycle.
   Also a task that lies on a cycle of the index and was already decided in this chain (same root):
   parallel branches into one cycle would otherwise walk it once per branch;
3. ``depth_limit`` — the run would be generation ``max_generations + 1`` or deeper (default limit 5);
4. ``unchanged`` — the digest equals the digest the task was last built on (re-pushing an identical
   manifest triggers nothing, ACR's rule);
5. ``duplicate`` — the task was already queued (or deferred) for this very image digest within
   ``dedupe_ttl`` (a registry event and a poll, or a run's output and the registry's event of its push);
6. ``coalesced`` — the task already has a run that is decided but not started: the update is folded into
   it (one run per dependant per window; the run builds the newest digest anyway, it resolves tags when it
   starts);
7. ``deferred`` — a task upstream of it is going to rebuild or rebuilding (another dependant of this
   update, a decided, deferred or running run — a diamond): the task waits until all of those have
   finished (:func:`finish_run`, success or not), then runs once, after them, with every update that
   reached it meanwhile folded in. Members of one cycle never wait for each other. ``defer_timeout``
   releases a deferral (and forgets a run that never reported its end) whatever happens;
8. otherwise a new run is *scheduled* ``debounce`` from now (0 = immediately): later updates within the
   window coalesce into it. :func:`due_runs` hands over the runs whose time has come.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from tasks_engine.triggers.impact import DEFAULT_MAX_GENERATIONS
from tasks_engine.triggers.index import DependencyIndex

__all__ = [
    "CascadePolicy",
    "CascadeState",
    "Cause",
    "ChainRecord",
    "Decisions",
    "Deferral",
    "ImageUpdate",
    "PendingRun",
    "RunRequest",
    "RunningRun",
    "SuppressReason",
    "Suppressed",
    "decide",
    "due_runs",
    "finish_run",
    "output_updates",
    "run_started",
]


class SuppressReason(StrEnum):
    DISABLED = "disabled"
    CYCLE = "cycle"
    DEPTH_LIMIT = "depth_limit"
    UNCHANGED = "unchanged"
    DUPLICATE = "duplicate"
    COALESCED = "coalesced"


@dataclass(frozen=True)
class Cause:
    root_event_id: str
    generation: int = 0
    path: tuple[str, ...] = ()

    def merged(self, other: Cause) -> Cause:
        """Two causes folded into one run: the deeper generation and both paths (conservative for loops)."""
        path = self.path + tuple(t for t in other.path if t not in self.path)
        return Cause(self.root_event_id, max(self.generation, other.generation), path)

    def to_dict(self) -> dict[str, Any]:
        return {"rootEventId": self.root_event_id, "generation": self.generation, "path": list(self.path)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Cause:
        return cls(str(data["rootEventId"]), int(data["generation"]), tuple(data.get("path", ())))


@dataclass(frozen=True)
class ImageUpdate:
    """``image`` (index key) now has ``digest``; ``event_id`` names the sighting (registry event, poll, run)."""

    image: str
    digest: str
    event_id: str
    cause: Cause
    source: str = "registry"

    @classmethod
    def external(cls, image: str, digest: str, event_id: str, *, source: str = "registry") -> ImageUpdate:
        """An update none of our runs caused: a new chain rooted at ``event_id``, generation 0."""
        return cls(image, digest, event_id, Cause(event_id), source)

    def to_dict(self) -> dict[str, Any]:
        return {"image": self.image, "digest": self.digest, "eventId": self.event_id,
                "cause": self.cause.to_dict(), "source": self.source}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ImageUpdate:
        return cls(str(data["image"]), str(data["digest"]), str(data["eventId"]), Cause.from_dict(data["cause"]),
                   str(data.get("source", "registry")))


def output_updates(task: str, run_id: str, run_cause: Cause, pushed: Mapping[str, str]) -> tuple[ImageUpdate, ...]:
    """The updates a finished run's pushes cause: same root and generation, path extended by ``task``."""
    cause = Cause(run_cause.root_event_id, run_cause.generation, (*run_cause.path, task))
    return tuple(ImageUpdate(image, digest, run_id, cause, "run") for image, digest in sorted(pushed.items()) if digest)


@dataclass(frozen=True)
class RunRequest:
    """A run to submit: ``trigger: Image Update`` with ACR's ``imageUpdateTrigger`` plus our causation."""

    task: str
    cause: Cause
    update: ImageUpdate
    coalesced: tuple[ImageUpdate, ...] = ()

    @property
    def request_id(self) -> str:
        """Deterministic id (idempotent submit): the same decision replayed yields the same id."""
        return f"{self.task}:{self.update.event_id}:{self.update.image}@{self.update.digest}"

    def image_update_trigger(self, timestamp: datetime) -> dict[str, Any]:
        latest = self.coalesced[-1] if self.coalesced else self.update
        registry, _, rest = latest.image.partition("/")
        repository, _, tag = rest.rpartition(":")
        return {
            "id": latest.event_id,
            "timestamp": timestamp.isoformat(),
            "images": [{"registry": registry, "repository": repository, "tag": tag, "digest": latest.digest}],
            "causation": {**self.cause.to_dict(), "causedBy": self.update.to_dict(),
                          "coalesced": [u.to_dict() for u in self.coalesced]},
        }

    def to_dict(self) -> dict[str, Any]:
        return {"task": self.task, "cause": self.cause.to_dict(), "update": self.update.to_dict(),
                "coalesced": [u.to_dict() for u in self.coalesced]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunRequest:
        return cls(str(data["task"]), Cause.from_dict(data["cause"]), ImageUpdate.from_dict(data["update"]),
                   tuple(ImageUpdate.from_dict(u) for u in data.get("coalesced", ())))

    def folding(self, update: ImageUpdate) -> RunRequest:
        return replace(self, cause=self.cause.merged(_run_cause(update)), coalesced=(*self.coalesced, update))


def _run_cause(update: ImageUpdate) -> Cause:
    return Cause(update.cause.root_event_id, update.cause.generation + 1, update.cause.path)


@dataclass(frozen=True)
class PendingRun:
    """A decided run; ``submitted`` once :func:`due_runs` handed it over, removed by :func:`run_started`."""

    request: RunRequest
    due_at: datetime
    submitted: bool = False


@dataclass(frozen=True)
class RunningRun:
    """A started run; ``cause`` is the causation it had gathered by then (folds included), so that its
    outputs carry it even if the run record was written before later updates were folded in."""

    started_at: datetime
    cause: Cause | None = None


@dataclass(frozen=True)
class Deferral:
    task: str
    request: RunRequest
    waiting_on: frozenset[str]
    since: datetime


@dataclass(frozen=True)
class Suppressed:
    task: str
    reason: SuppressReason
    detail: str
    update: ImageUpdate


@dataclass(frozen=True)
class CascadePolicy:
    debounce: timedelta = timedelta(seconds=60)
    max_generations: int = DEFAULT_MAX_GENERATIONS
    dedupe_ttl: timedelta = timedelta(hours=24)
    defer_timeout: timedelta = timedelta(hours=9)

    def __post_init__(self) -> None:
        if self.debounce < timedelta(0) or self.max_generations < 1 or self.defer_timeout <= timedelta(0):
            raise ValueError("debounce ≥ 0, max_generations ≥ 1 and defer_timeout > 0 are required")


SeenKey = tuple[str, str, str]


@dataclass(frozen=True)
class ChainRecord:
    """The tasks a chain (root event) has decided to rebuild so far; a cycle member rebuilds once per chain."""

    tasks: frozenset[str]
    last: datetime


@dataclass(frozen=True)
class CascadeState:
    pending: Mapping[str, PendingRun] = field(default_factory=dict)
    deferred: Mapping[str, Deferral] = field(default_factory=dict)
    running: Mapping[str, RunningRun] = field(default_factory=dict)
    seen: Mapping[SeenKey, datetime] = field(default_factory=dict)
    chains: Mapping[str, ChainRecord] = field(default_factory=dict)
    version: int = 0

    def pruned(self, now: datetime, ttl: timedelta) -> CascadeState:
        return replace(
            self,
            seen={k: t for k, t in self.seen.items() if now - t < ttl},
            chains={root: c for root, c in self.chains.items() if now - c.last < ttl},
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "pending": [{"request": p.request.to_dict(), "dueAt": p.due_at.isoformat(), "submitted": p.submitted}
                        for _, p in sorted(self.pending.items())],
            "deferred": [{"request": d.request.to_dict(), "waitingOn": sorted(d.waiting_on),
                          "since": d.since.isoformat()} for _, d in sorted(self.deferred.items())],
            "running": [{"task": task, "startedAt": r.started_at.isoformat(),
                         "cause": r.cause.to_dict() if r.cause else None} for task, r in sorted(self.running.items())],
            "seen": [[*k, t.isoformat()] for k, t in sorted(self.seen.items())],
            "chains": [{"root": root, "tasks": sorted(c.tasks), "last": c.last.isoformat()}
                       for root, c in sorted(self.chains.items())],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CascadeState:
        pending = {}
        for item in data.get("pending", ()):
            req = RunRequest.from_dict(item["request"])
            pending[req.task] = PendingRun(req, datetime.fromisoformat(item["dueAt"]), bool(item["submitted"]))
        deferred = {}
        for item in data.get("deferred", ()):
            req = RunRequest.from_dict(item["request"])
            deferred[req.task] = Deferral(req.task, req, frozenset(item["waitingOn"]),
                                          datetime.fromisoformat(item["since"]))
        running = {
            str(item["task"]): RunningRun(datetime.fromisoformat(item["startedAt"]),
                                          Cause.from_dict(item["cause"]) if item.get("cause") else None)
            for item in data.get("running", ())
        }
        seen = {(str(a), str(b), str(c)): datetime.fromisoformat(t) for a, b, c, t in data.get("seen", ())}
        chains = {str(item["root"]): ChainRecord(frozenset(item["tasks"]), datetime.fromisoformat(item["last"]))
                  for item in data.get("chains", ())}
        return cls(pending, deferred, running, seen, chains, int(data.get("version", 0)))


@dataclass(frozen=True)
class Decisions:
    """One step's outcome. ``queued``: submit now. ``scheduled``: will be due later (:func:`due_runs`)."""

    state: CascadeState
    queued: tuple[RunRequest, ...] = ()
    scheduled: tuple[PendingRun, ...] = ()
    deferred: tuple[Deferral, ...] = ()
    suppressed: tuple[Suppressed, ...] = ()

    def __add__(self, other: Decisions) -> Decisions:
        return Decisions(other.state, self.queued + other.queued, self.scheduled + other.scheduled,
                         self.deferred + other.deferred, self.suppressed + other.suppressed)


class _Step:
    """Mutable scratch for one step; the result is frozen into a new CascadeState."""

    def __init__(self, state: CascadeState, now: datetime, policy: CascadePolicy) -> None:
        self.pending = dict(state.pending)
        self.deferred = dict(state.deferred)
        self.running = dict(state.running)
        pruned = state.pruned(now, policy.dedupe_ttl)
        self.seen = dict(pruned.seen)
        self.chains = dict(pruned.chains)
        self.version = state.version
        self.now, self.policy = now, policy
        self.queued: list[RunRequest] = []
        self.scheduled: list[PendingRun] = []
        self.new_deferred: list[Deferral] = []
        self.suppressed: list[Suppressed] = []

    def schedule(self, request: RunRequest) -> None:
        existing = self.pending.get(request.task)
        if existing is not None:
            merged = existing.request
            for update in (request.update, *request.coalesced):
                merged = merged.folding(update)
            self.pending[request.task] = replace(existing, request=merged)
            return
        if self.policy.debounce <= timedelta(0):
            self.pending[request.task] = PendingRun(request, self.now, submitted=True)
            self.queued.append(request)
        else:
            run = PendingRun(request, self.now + self.policy.debounce)
            self.pending[request.task] = run
            self.scheduled.append(run)

    def release(self, task: str) -> None:
        deferral = self.deferred.pop(task)
        self.schedule(deferral.request)

    def result(self) -> Decisions:
        state = CascadeState(self.pending, self.deferred, self.running, self.seen, self.chains, self.version + 1)
        return Decisions(state, tuple(self.queued), tuple(self.scheduled), tuple(self.new_deferred),
                         tuple(self.suppressed))


def decide(
    update: ImageUpdate,
    index: DependencyIndex,
    state: CascadeState,
    now: datetime,
    policy: CascadePolicy = CascadePolicy(),
) -> Decisions:
    """Apply the module's rules to every dependant of ``update.image``."""
    step = _Step(state, now, policy)
    reach = _Reach(index)
    root = update.cause.root_event_id
    chain = step.chains.get(root, ChainRecord(frozenset(), now)).tasks
    candidates: list[str] = []
    for dep in index.dependants(update.image, include_disabled=True):
        task, node = dep.task, index.tasks[dep.task]
        reason: tuple[SuppressReason, str] | None = None
        if not node.triggerable:
            reason = (SuppressReason.DISABLED, "the task or its base-image trigger is disabled")
        elif task in update.cause.path:
            reason = (SuppressReason.CYCLE, "cycle: " + " → ".join((*update.cause.path, task)))
        elif task in chain and task in reach.of(task):
            reason = (SuppressReason.CYCLE, f"{task} is on a cycle and already rebuilt for {root}")
        elif update.cause.generation + 1 > policy.max_generations:
            reason = (SuppressReason.DEPTH_LIMIT, f"generation {update.cause.generation + 1} exceeds the limit "
                      f"of {policy.max_generations}")
        elif dep.base.digest and dep.base.digest == update.digest:
            reason = (SuppressReason.UNCHANGED, f"already built on {update.digest}")
        elif (task, update.image, update.digest) in step.seen:
            reason = (SuppressReason.DUPLICATE, f"already queued for {update.image}@{update.digest}")
        if reason is not None:
            step.suppressed.append(Suppressed(task, reason[0], reason[1], update))
        else:
            candidates.append(task)
    active = set(candidates) | set(step.pending) | set(step.running) | set(step.deferred)
    # Only a task with something downstream can block anyone: at 1,000 leaf dependants of one base this
    # keeps the blocker search linear instead of 1,000 × 1,000 reach checks.
    upstreams = sorted(o for o in active if reach.of(o))
    if candidates:
        step.chains[root] = ChainRecord(chain | set(candidates), now)
    for task in candidates:
        step.seen[(task, update.image, update.digest)] = now
        request = RunRequest(task, _run_cause(update), update)
        blockers = frozenset(o for o in upstreams if o != task and reach.upstream_of(o, task))
        if task in step.deferred:
            current = step.deferred[task]
            waiting = current.waiting_on | blockers
            step.deferred[task] = replace(current, request=current.request.folding(update), waiting_on=waiting)
            step.new_deferred.append(step.deferred[task])
        elif blockers:
            step.deferred[task] = Deferral(task, request, blockers, now)
            step.new_deferred.append(step.deferred[task])
        elif task in step.pending:
            step.pending[task] = replace(step.pending[task], request=step.pending[task].request.folding(update))
            step.suppressed.append(Suppressed(task, SuppressReason.COALESCED,
                                              "folded into the run already decided for it", update))
        else:
            step.schedule(request)
    _propagate_blockers(step, index, candidates)
    return step.result()


class _Reach:
    """``index.reach`` memoised for one step; ``upstream_of(a, b)``: a rebuild of ``a`` reaches ``b`` and not
    the other way round (members of one cycle never wait for each other — that would deadlock)."""

    def __init__(self, index: DependencyIndex) -> None:
        self.index = index
        self.memo: dict[str, frozenset[str]] = {}

    def of(self, task: str) -> frozenset[str]:
        if task not in self.memo:
            self.memo[task] = self.index.reach(task)
        return self.memo[task]

    def upstream_of(self, a: str, b: str) -> bool:
        return b in self.of(a) and a not in self.of(b)


def _propagate_blockers(step: _Step, index: DependencyIndex, runners: Iterable[str]) -> None:
    """A task now going to run becomes a blocker of every deferral downstream of it (A → B → T with T
    deferred on A: when A's output queues B, T must now also wait for B)."""
    if not step.deferred:
        return
    reach = _Reach(index)
    for runner in runners:
        if not reach.of(runner):
            continue
        for task, deferral in list(step.deferred.items()):
            if task != runner and reach.upstream_of(runner, task):
                step.deferred[task] = replace(deferral, waiting_on=deferral.waiting_on | {runner})


def _unblock(step: _Step, finished: str) -> None:
    for task, deferral in list(step.deferred.items()):
        if finished in deferral.waiting_on:
            remaining = deferral.waiting_on - {finished}
            step.deferred[task] = replace(deferral, waiting_on=remaining)
    for task in sorted(t for t, d in step.deferred.items() if not d.waiting_on):
        step.release(task)


def due_runs(state: CascadeState, now: datetime, policy: CascadePolicy = CascadePolicy()) -> Decisions:
    """Hand over the scheduled runs whose debounce window has passed, and deferrals past their timeout."""
    step = _Step(state, now, policy)
    for task in sorted(t for t, r in step.running.items() if now - r.started_at >= policy.defer_timeout):
        del step.running[task]  # a run that never reported its end no longer blocks anyone
        _unblock(step, task)
    for task in sorted(t for t, d in step.deferred.items() if now - d.since >= policy.defer_timeout):
        step.release(task)
    for task in sorted(step.pending):
        run = step.pending[task]
        if not run.submitted and run.due_at <= now:
            step.pending[task] = replace(run, submitted=True)
            step.queued.append(run.request)
    return step.result()


def run_started(state: CascadeState, task: str, now: datetime) -> CascadeState:
    """A run of ``task`` started (whatever triggered it): later updates must decide a new run, because this
    one resolved its base tags already; until :func:`finish_run` it blocks the tasks downstream of it."""
    run = state.pending.get(task)
    pending = {t: p for t, p in state.pending.items() if t != task}
    running = {**state.running, task: RunningRun(now, run.request.cause if run is not None else None)}
    return replace(state, pending=pending, running=running, version=state.version + 1)


def finish_run(
    state: CascadeState,
    index: DependencyIndex,
    *,
    task: str,
    run_id: str,
    cause: Cause,
    pushed: Mapping[str, str],
    now: datetime,
    policy: CascadePolicy = CascadePolicy(),
) -> Decisions:
    """A run of ``task`` ended (success with ``pushed`` ``{image key: digest}``, or failure with ``{}``).

    Decides *all* its output updates first, then releases the deferrals that waited for it: the order
    matters, a deferral must see the tasks those outputs queue (they become its blockers) before it may run.
    Pass the index *after*
    :func:`~tasks_engine.triggers.index.record_build` of this run. A run with no cascade cause (manual,
    commit, timer) passes ``Cause(run_id)``: its pushes start a new chain of generation 0.
    """
    started = state.running.get(task)
    if started is not None and started.cause is not None:
        cause = cause.merged(started.cause)
    running = {t: r for t, r in state.running.items() if t != task}
    total = Decisions(replace(state, running=running))
    for update in output_updates(task, run_id, cause, pushed):
        total = total + decide(update, index, total.state, now, policy)
    step = _Step(total.state, now, policy)
    _unblock(step, task)
    return total + step.result()
