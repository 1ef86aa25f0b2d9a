"""``celery -A workers.app beat``: Celery's scheduler plus the trigger tick, in beat's own process.

Why in beat and not as a periodic Celery task: a task would run in a worker pool slot, and timers must not
wait behind hour-long builds occupying every slot. ``TriggerScheduler`` is Celery's ``PersistentScheduler``
(the hourly index sweep and any other entry keep working) whose ``tick`` also runs, about every second:

* ``TimerService.tick`` — due timer occurrences, one run each (a per-occurrence claim in Redis, so any number
  of beat processes may run: each occurrence still starts exactly one run);
* ``CascadeEngine.tick`` — debounced image-update runs whose window has passed, deferrals past their timeout,
  held registry events whose producing run is gone, and decided runs a dead process left in the outbox.

A failing tick is logged and tried again a second later (Redis restarting is an ordinary event).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from celery.beat import PersistentScheduler

from workers import runtime

_LOG = logging.getLogger(__name__)
TRIGGER_TICK = 1.0


class TriggerScheduler(PersistentScheduler):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._next_trigger_tick = 0.0

    def tick(self, *args: Any, **kwargs: Any) -> float:
        interval = float(super().tick(*args, **kwargs) or 0.0)
        if time.monotonic() >= self._next_trigger_tick:
            self.trigger_tick()
            self._next_trigger_tick = time.monotonic() + TRIGGER_TICK
        return max(0.0, min(interval, self._next_trigger_tick - time.monotonic()))

    def trigger_tick(self) -> None:
        rt = runtime.current(self.app)
        for name, step in (("timers", rt.triggers.timers.tick), ("cascade", rt.triggers.cascade.tick)):
            try:
                step()
            except Exception as exc:
                _LOG.warning("beat: the %s tick failed: %s", name, exc)
