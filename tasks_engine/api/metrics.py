"""``/metrics``: the Prometheus exposition, read from the run store at scrape time.

Why a custom collector and not counters in this process: runs finish in worker processes, and several API
processes may serve scrapes. The store counts every transition inside the Lua script that makes it
(``store/metrics.py``), so reading those counters at scrape time gives every API process the same, correct
totals — no multiprocess directory, no per-pid series. Names follow service-spec §8.3; no label carries a
run id, a commit or a URL, so cardinality stays bounded by statuses, triggers, platforms and queues.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from tasks_engine.config import ServiceSettings
from tasks_engine.store import ACTIVE_STATUSES, DURATION_BUCKETS, STEP_BUCKETS, Histogram, RedisStore

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def known_queues(store: RedisStore, settings: ServiceSettings) -> tuple[list[str], dict[str, int]]:
    """Every queue worth reporting (the default one, those with queued runs, those a worker listens on) and
    the queued-run count of each."""
    pending = store.pending_queues()
    names = {settings.default_queue, *pending}
    for worker in store.workers():
        names.update(worker.queues)
    return sorted(names), pending


def _histogram(name: str, doc: str, labels: Sequence[str], data: dict[tuple[str, ...], Histogram],
               bounds: Sequence[int]) -> HistogramMetricFamily:
    family = HistogramMetricFamily(name, doc, labels=list(labels))
    for values, hist in sorted(data.items()):
        buckets = [(f"{float(le)}", float(hist.buckets.get(str(le), 0))) for le in bounds]
        buckets.append(("+Inf", float(hist.count)))
        family.add_metric(list(values), buckets, hist.total)
    return family


def _counter(name: str, doc: str, labels: Sequence[str], data: dict[tuple[str, ...], float]) -> CounterMetricFamily:
    family = CounterMetricFamily(name, doc, labels=list(labels))
    for values, value in sorted(data.items()):
        if len(values) == len(labels):
            family.add_metric(list(values), value)
    return family


class StoreCollector(Collector):
    def __init__(self, store: RedisStore, settings: ServiceSettings) -> None:
        self.store = store
        self.settings = settings

    def collect(self) -> Iterable[Metric]:
        store = self.store
        runs = GaugeMetricFamily("tasks_engine_runs", "Runs not finished yet, by status.", labels=["status"])
        for status, count in store.count_by_status(ACTIVE_STATUSES).items():
            runs.add_metric([status.value], count)
        queues, pending = known_queues(store, self.settings)
        length = GaugeMetricFamily("tasks_engine_queue_length",
                                   "Messages waiting in the Celery queue (LLEN over its priority lists).",
                                   labels=["queue"])
        queued = GaugeMetricFamily("tasks_engine_queued_runs", "Runs Queued in the store, by queue.",
                                   labels=["queue"])
        for queue in queues:
            length.add_metric([queue], store.queue_length(queue))
            queued.add_metric([queue], pending.get(queue, 0))
        workers = GaugeMetricFamily("tasks_engine_workers_alive", "Worker processes with a live heartbeat.",
                                    value=len(store.workers()))
        yield from (runs, length, queued, workers)
        yield _counter("tasks_engine_runs_finished", "Runs finished, by final status, trigger and platform.",
                       ("status", "trigger", "platform"), store.counters("runs_finished"))
        yield _counter("tasks_engine_lease_expired", "Runs taken back from a worker whose lease expired.",
                       ("platform",), store.counters("lease_expired"))
        yield _counter("tasks_engine_webhook_deliveries",
                       "Git webhook deliveries, by provider, event and result (accepted, duplicate, ignored, "
                       "unauthorized, invalid).", ("provider", "event", "result"),
                       store.counters("webhook_deliveries"))
        yield _counter("tasks_engine_registry_events", "Registry notification events, by source and result.",
                       ("source", "result"), store.counters("registry_events"))
        yield _counter("tasks_engine_base_image_checks",
                       "Digest polls of base images, by registry and result (changed, unchanged, error, "
                       "rate_limited).", ("registry", "result"), store.counters("base_image_checks"))
        yield _counter("tasks_engine_triggers_suppressed",
                       "Triggered runs not started, by reason (duplicate, coalesced, depth_limit, cycle, disabled, "
                       "unchanged).", ("reason",), store.counters("triggers_suppressed"))
        yield _histogram("tasks_engine_run_duration_seconds", "Run duration from start to finish.",
                         ("status", "trigger"), store.histograms("run_duration", 2), DURATION_BUCKETS)
        yield _histogram("tasks_engine_step_duration_seconds", "Step duration.", ("status",),
                         store.histograms("step_duration", 1), STEP_BUCKETS)
        yield _histogram("tasks_engine_run_queue_wait_seconds", "Time from submit to a worker's first claim.",
                         ("platform",), store.histograms("queue_wait", 1), DURATION_BUCKETS)


def exposition(store: RedisStore, settings: ServiceSettings) -> bytes:
    """The text a scrape gets: a fresh registry with only the store's collector (nothing process-local)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(store, settings))
    return generate_latest(registry)
