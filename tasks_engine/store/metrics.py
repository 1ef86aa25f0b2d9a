"""Counters and histograms the store keeps in Redis, written atomically with the transitions they count.

Why in Redis and not in process memory: runs finish in worker processes (prefork children that come and go),
and several API processes may serve ``/metrics``; a counter incremented inside the ``finish`` script is
counted exactly once, whoever serves the scrape, so every API process reports the same, correct totals
(no prometheus multiprocess directory, no per-pid series).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tasks_engine.store.base import StoreBase, text
from tasks_engine.store.connect import redis_errors

DURATION_BUCKETS = (5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400, 28800)
STEP_BUCKETS = (1, 5, 10, 30, 60, 300, 600, 1800, 3600)


@dataclass
class Histogram:
    """Cumulative bucket counts by ``le`` (as strings, ``+Inf`` last) and the sum, for one label set."""

    buckets: dict[str, int] = field(default_factory=dict)
    total: float = 0.0

    @property
    def count(self) -> int:
        return self.buckets.get("+Inf", 0)


def parse_histograms(raw: dict[str, str], label_count: int) -> dict[tuple[str, ...], Histogram]:
    out: dict[tuple[str, ...], Histogram] = {}
    for name, value in raw.items():
        parts = name.split("|")
        if len(parts) != label_count + 1:
            continue
        labels, last = tuple(parts[:-1]), parts[-1]
        hist = out.setdefault(labels, Histogram())
        if last == "sum":
            hist.total = float(value)
        else:
            hist.buckets[last] = int(float(value))
    return out


class MetricsMixin(StoreBase):
    def counters(self, name: str) -> dict[tuple[str, ...], float]:
        with redis_errors():
            raw = self.client.hgetall(self.keys.metrics(name))
        return {tuple(text(k).split("|")): float(text(v)) for k, v in raw.items()}

    def histograms(self, name: str, label_count: int) -> dict[tuple[str, ...], Histogram]:
        with redis_errors():
            raw = {text(k): text(v) for k, v in self.client.hgetall(self.keys.metrics(name)).items()}
        return parse_histograms(raw, label_count)

    def observe_step(self, status: str, seconds: float) -> None:
        """A finished step's duration (workers call this; steps are not transitions of the run record)."""
        key = self.keys.metrics("step_duration")
        with redis_errors():
            pipe = self.client.pipeline(transaction=True)
            for le in STEP_BUCKETS:
                if seconds <= le:
                    pipe.hincrby(key, f"{status}|{le}", 1)
            pipe.hincrby(key, f"{status}|+Inf", 1)
            pipe.hincrbyfloat(key, f"{status}|sum", seconds)
            pipe.execute()

    def count(self, name: str, labels: tuple[str, ...], amount: int = 1) -> None:
        with redis_errors():
            self.client.hincrby(self.keys.metrics(name), "|".join(labels), amount)
