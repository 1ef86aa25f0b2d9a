"""What the Celery broker holds, read from kombu's Redis layout, for the reaper's lost-message check.

kombu (``kombu/transport/redis.py``) keeps a queue as a list named after the queue (plus one list per
priority step, ``<queue>\\x06\\x16<n>``), and messages a worker has received but not yet acknowledged in the
hash ``unacked`` (delivery tag -> ``[message, exchange, routing key]``) with their delivery time in the zset
``unacked_index``; all names carry the transport's ``global_keyprefix``. Messages are JSON whose
``headers.id`` is the Celery task id, which the dispatcher sets to ``run.<run id>.<n>``.

Why look at all: a run is ``Queued`` in our store but its message can be gone — a worker killed between
receiving and claiming it (early acknowledgement), or the last second of writes before a Redis crash. The
reaper re-publishes such runs; a duplicate message is harmless (the claim is a compare-and-set).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from tasks_engine.store.base import StoreBase, text
from tasks_engine.store.connect import redis_errors

PRIORITY_STEPS = (0, 3, 6, 9)
SEP = "\x06\x16"
TASK_ID_PREFIX = "run."


def task_id_for(run_id: str, dispatch: object) -> str:
    return f"{TASK_ID_PREFIX}{run_id}.{dispatch}"


def run_id_of_task(task_id: str) -> str | None:
    if not task_id.startswith(TASK_ID_PREFIX):
        return None
    return task_id[len(TASK_ID_PREFIX):].rpartition(".")[0] or None


def _task_id(raw: object) -> str:
    try:
        message = json.loads(text(raw))
    except ValueError:
        return ""
    if isinstance(message, list) and message:
        message = message[0]
    if not isinstance(message, dict):
        return ""
    headers = message.get("headers") or {}
    return str(headers.get("id") or "")


@dataclass
class BrokerView:
    queued: set[str] = field(default_factory=set)  # run ids with a message waiting in a queue list
    unacked: dict[str, float] = field(default_factory=dict)  # run id -> delivery time (s), not yet acked


class BrokerMixin(StoreBase):
    broker_prefix: str = ""

    def queue_keys(self, queue: str) -> list[str]:
        base = f"{self.broker_prefix}{queue}"
        return [base if step == 0 else f"{base}{SEP}{step}" for step in PRIORITY_STEPS]

    def queue_length(self, queue: str) -> int:
        """Messages waiting in ``queue`` (all priority lists), as Celery's own queue-length metric counts."""
        with redis_errors():
            pipe = self.client.pipeline(transaction=False)
            for key in self.queue_keys(queue):
                pipe.llen(key)
            return sum(int(n) for n in pipe.execute())

    def broker_view(self, queues: list[str], *, limit: int = 50000) -> BrokerView:
        view = BrokerView()
        with redis_errors():
            for queue in queues:
                for key in self.queue_keys(queue):
                    for raw in self.client.lrange(key, 0, limit - 1):
                        run_id = run_id_of_task(_task_id(raw))
                        if run_id:
                            view.queued.add(run_id)
            unacked = self.client.hgetall(f"{self.broker_prefix}unacked")
            times = dict(self.client.zrange(f"{self.broker_prefix}unacked_index", 0, -1, withscores=True))
        for tag, raw in unacked.items():
            run_id = run_id_of_task(_task_id(raw))
            if run_id:
                view.unacked[run_id] = float(times.get(tag, 0.0))
        return view
