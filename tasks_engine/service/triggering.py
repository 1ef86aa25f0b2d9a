"""The trigger services of one process, assembled once, and the run hooks workers call.

Every process that handles triggers builds ``Triggers`` from its store, its ``RunService`` and its settings:
the API (webhooks, registry notifications, ``deps impact``), the workers (run start/end hooks, the poller)
and beat (timers, the cascade's tick). All of them submit through the same ``RunService``.

Run hooks (``WorkerContext.hooks``), for *every* run of a named task, whatever started it:

* ``started``: if the task is in the dependency index, the cascade learns it is running (its pending
  decision is consumed; it blocks the tasks downstream of it until it ends);
* ``finished``: a successful run with a dependency report replaces the task's index entry first (bases and
  the digests it was built on, outputs and the digests it pushed); then the cascade gets the run's end with
  its pushes (``{}`` unless it succeeded) and its cause (from ``imageUpdateTrigger.causation``, else the run
  itself as a new chain's root), which decides the next generation and releases waiting dependants.

A hook that fails is logged and never fails the run: the reaper-like ``tick`` and the deferral timeout
recover a cascade that missed an event.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tasks_engine.config import EngineConfig, ServiceSettings
from tasks_engine.runtime.results import RunStatus
from tasks_engine.service.cascading import CascadeEngine, Decided, cause_of, policy_from
from tasks_engine.service.depindex import IndexReader, record_run_build
from tasks_engine.service.polling import PolledRegistry, Poller
from tasks_engine.service.timers import TimerService
from tasks_engine.service.triggered import TriggeredRun, TriggerRunner
from tasks_engine.service.usecases import RunService
from tasks_engine.service.webhooks import WebhookService
from tasks_engine.store import RedisStore, RunRecord, Trigger
from tasks_engine.triggers import PollPolicy, TaskNode, cycles_through, image_key

_LOG = logging.getLogger(__name__)


@dataclass
class Triggers:
    store: RedisStore
    index: IndexReader
    runner: TriggerRunner
    cascade: CascadeEngine
    webhooks: WebhookService
    timers: TimerService
    poller: Poller

    # -- run hooks ---------------------------------------------------------------------------------------------

    def started(self, record: RunRecord) -> None:
        if not record.task:
            return
        try:
            if self.store.dependency_entry(record.task) is not None:
                self.cascade.run_started(record.task)
        except Exception:
            _LOG.exception("run %s: the cascade could not record its start", record.run_id)

    def finished(self, record: RunRecord, status: RunStatus, *, dependencies: Sequence[Mapping[str, Any]] = (),
                 output_images: Sequence[Mapping[str, Any]] = ()) -> None:
        if not record.task:
            return
        try:
            node = None
            if status is RunStatus.SUCCEEDED:
                node = record_run_build(self.store, self.store.get_task(record.task), record.task, record.run_id,
                                        dependencies)
                if node is not None:
                    self._report_cycles(node, record.run_id)
            if node is None and self.store.dependency_entry(record.task) is None:
                return  # not indexed: nothing can be downstream of it, and it was not recorded as running
            pushed: dict[str, str] = {}
            if status is RunStatus.SUCCEEDED:
                pushed.update({image: digest for image, digest in (node.outputs if node else {}).items() if digest})
                for out in output_images:
                    key = _key(out)
                    if key and out.get("digest"):
                        pushed[key] = str(out["digest"])
            self.cascade.run_finished(record.task, record.run_id, cause_of(record.image_update_trigger,
                                                                           record.run_id), pushed,
                                      succeeded=status is RunStatus.SUCCEEDED)
        except Exception:
            _LOG.exception("run %s: the cascade could not record its end", record.run_id)


    def ended_unstarted(self, record: RunRecord) -> None:
        """An image-update run canceled before it started (a cancel, or its task was disabled): the cascade's
        decision it was must not keep folding later updates into a run that will never happen."""
        if not record.task or record.trigger is not Trigger.IMAGE_UPDATE:
            return
        try:
            self.cascade.forget_pending(record.task, record.run_id,
                                        cause_of(record.image_update_trigger, record.run_id))
        except Exception:
            _LOG.exception("run %s: the cascade could not forget its decision", record.run_id)

    def _report_cycles(self, node: TaskNode, run_id: str) -> None:
        """A build that closes a cycle in the index (A's output is B's base and B's is A's, or a task built
        on its own output) is reported when it is recorded, before any update walks it; at run time the
        cascade rebuilds each member once per chain and stops."""
        for cycle in cycles_through(self.index.index(), node):
            detail = f"the index has a cycle: {cycle.describe()}"
            _LOG.warning("run %s of %s: %s", run_id, node.task, detail)
            self.store.add_trigger_events([{"time": datetime.now(UTC).isoformat(), "kind": "cycle",
                                            "task": node.task, "reason": "cycle", "detail": detail,
                                            "image": "", "digest": "", "cause": {"runId": run_id}}])


def _key(out: Mapping[str, Any]) -> str | None:
    try:
        return image_key(f"{out.get('registry')}/{out.get('repository')}:{out.get('tag')}")
    except Exception:
        return None


def submitter(runner: TriggerRunner, cascade: Callable[[], CascadeEngine]) -> Any:
    """Decided cascade runs → ``Image Update`` runs (the outbox entry is consumed by the create script). A
    decision whose task was disabled or deleted meanwhile creates nothing, and the cascade forgets it."""

    def submit(decided: Sequence[Decided]) -> None:
        items = [TriggeredRun(task=d.request.task, trigger=Trigger.IMAGE_UPDATE,
                              info={"imageUpdateTrigger": d.request.image_update_trigger(d.decided_at)},
                              outbox=d.field) for d in decided]
        for outcome, d in zip(runner.submit(items), decided, strict=True):
            if outcome.status in ("disabled", "missing"):
                cascade().forget_pending(d.request.task, d.field, d.request.cause)

    return submit


def build_triggers(store: RedisStore, runs: RunService, settings: ServiceSettings,
                   engine: EngineConfig) -> Triggers:
    index = IndexReader(store)
    runner = TriggerRunner(store, runs)
    engines: list[CascadeEngine] = []
    cascade = CascadeEngine(store, index, policy_from(settings), submitter(runner, lambda: engines[0]))
    engines.append(cascade)
    webhooks = WebhookService(store, runner, cascade, registry_token=settings.read_registry_webhook_token(),
                              registry_name=settings.registry_name, delivery_ttl=settings.webhook_delivery_ttl)
    timers = TimerService(store, runner, grace=timedelta(seconds=settings.timer_grace))
    poller = Poller(store, index, cascade, [PolledRegistry.parse(r) for r in settings.poll_registries],
                    policy=PollPolicy(interval=settings.poll_interval), egress=engine.egress,
                    credentials=engine.registries)
    triggers = Triggers(store, index, runner, cascade, webhooks, timers, poller)
    runs.ended_unstarted.append(triggers.ended_unstarted)
    return triggers
