"""The reaper: no run stays ``Queued`` or ``Running`` forever.

It runs in every worker's main process (a thread, ``workers/bootsteps.py``) every ``service.reaperInterval``
seconds; a short Redis lock lets one of them act per tick. Two sweeps:

1. **Expired leases.** A run whose lease expired more than one renewal interval ago (its worker was killed,
   its host vanished, or it lost Redis for longer than the lease) is taken back with a new fencing token:
   re-queued while attempts remain (``service.maxAttempts``; with ``redeliverStarted: false`` only when no
   step had started), otherwise finished as ``Error`` with ``agent lost``. Re-queued runs are published again.
2. **Lost messages.** A ``Queued`` run (not one parked at its task's ``--max-concurrent-runs`` cap) whose
   message is neither waiting in its queue nor freshly reserved by a worker (``service.requeueAfter`` after its
   last publish) is published again: a worker killed between receiving and claiming it, or a Redis crash that
   lost the last second of writes, cannot strand it. A duplicate message is harmless: the claim is a
   compare-and-set.

A run the reaper finishes as ``Error`` is reported to ``on_failed`` (the trigger layer: a cascade waiting for
that run's end must not wait for the deferral timeout).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from tasks_engine.config import ServiceSettings
from tasks_engine.service.usecases import Dispatcher
from tasks_engine.store import RedisStore

_LOG = logging.getLogger(__name__)


@dataclass
class ReapReport:
    requeued: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    republished: list[str] = field(default_factory=list)


def reap_expired_leases(store: RedisStore, dispatcher: Dispatcher, settings: ServiceSettings,
                        report: ReapReport, on_failed: Callable[[str], None] | None = None) -> None:
    grace = settings.lease_renew
    for run_id in store.expired_leases(grace=grace):
        outcome = store.expire_lease(run_id, grace=grace, redeliver_started=settings.redeliver_started)
        if outcome == "requeued":
            report.requeued.append(run_id)
            queue = store.run_field(run_id, "queue") or settings.default_queue
            dispatcher.dispatch(run_id, queue)
            store.mark_dispatched(run_id)
            _LOG.warning("run %s: lease expired; queued again on %s", run_id, queue)
        elif outcome == "failed":
            report.failed.append(run_id)
            _LOG.warning("run %s: lease expired and no attempt is left; finished as Error", run_id)
            if on_failed is not None:
                on_failed(run_id)


def publish_woken(store: RedisStore, dispatcher: Dispatcher, report: ReapReport | None = None) -> list[str]:
    """Publish the runs a freed ``maxConcurrentRuns`` slot woke (whoever ended the run calls this too)."""
    woken = store.take_woken()
    for run_id in woken:
        dispatcher.dispatch(run_id, store.run_field(run_id, "queue") or "runs")
        if report is not None:
            report.republished.append(run_id)
    return woken


def republish_lost_messages(store: RedisStore, dispatcher: Dispatcher, settings: ServiceSettings,
                            report: ReapReport) -> None:
    publish_woken(store, dispatcher, report)
    queues = store.pending_queues()
    if not queues:
        return
    now_ms = store.server_time_ms()
    stale_ms = int(settings.requeue_after * 1000)
    view = store.broker_view(sorted(queues))
    for queue in queues:
        for run_id in store.pending_runs(queue):
            if run_id in view.queued:
                continue
            delivered = view.unacked.get(run_id)
            if delivered is not None and now_ms - delivered * 1000 < stale_ms:
                continue
            dispatched = int(store.run_field(run_id, "dispatchedAt") or 0)
            if now_ms - dispatched < stale_ms:
                continue
            if store.run_field(run_id, "status") != "Queued":
                continue
            if store.run_field(run_id, "waiting") == "1":
                continue  # parked at its task's --max-concurrent-runs cap: a finishing run wakes it
            dispatcher.dispatch(run_id, queue)
            store.mark_dispatched(run_id)
            report.republished.append(run_id)
            _LOG.warning("run %s: its queue message was missing; published again on %s", run_id, queue)


def reap_once(store: RedisStore, dispatcher: Dispatcher, settings: ServiceSettings, *, owner: str,
              on_failed: Callable[[str], None] | None = None) -> ReapReport:
    """One tick; does nothing when another process holds this tick's lock."""
    report = ReapReport()
    if not store.try_lock("reaper", owner, max(settings.reaper_interval * 0.8, 1.0)):
        return report
    reap_expired_leases(store, dispatcher, settings, report, on_failed)
    republish_lost_messages(store, dispatcher, settings, report)
    return report
