"""Timer triggers: at each tick, the occurrences that are due start one run each, exactly once.

Beat calls ``TimerService.tick`` every second or so (``workers/beat.py``), in its own process, so a timer never
waits behind busy worker slots. For each enabled timer of each enabled task:

* the window is ``(last tick, now]``, the last tick being the one stored for that timer (``P:timers:last``) or,
  for a new timer, the time it was created: nothing before a timer existed ever runs;
* ``due_occurrence`` (the pure core) picks the latest occurrence in the window if it is at most ``grace`` old
  (2 min); older ones — missed while every scheduler was down — are skipped, never backfilled;
* the run's unique key is the occurrence (``task/timer/2026-01-01T09:30:00Z``, mode ``once``), claimed by the
  same script that creates the run: however many beat processes tick, one run per occurrence;
* the last tick is stored after the runs were submitted, so a scheduler that dies in between leaves the
  occurrence to the next tick (of any scheduler), and the unique key keeps it one run.

A Disabled task's timers advance without running (re-enabling it does not backfill either).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from tasks_engine.service.triggerdefs import timers_of
from tasks_engine.service.triggered import Outcome, TriggeredRun, TriggerRunner
from tasks_engine.store import RedisStore, Trigger, UniqueKey
from tasks_engine.timestamps import parse_utc
from tasks_engine.triggers import CronError, due_occurrence, occurrence_claim_key, parse_cron

_LOG = logging.getLogger(__name__)
OCCURRENCE_TTL = 3 * 86400.0


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class TimerService:
    def __init__(self, store: RedisStore, runner: TriggerRunner, *, grace: timedelta = timedelta(minutes=2),
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.store = store
        self.runner = runner
        self.grace = grace
        self.clock = clock

    def tick(self) -> list[Outcome]:
        now = self.clock()
        last = self.store.timer_ticks()
        items: list[TriggeredRun] = []
        ticks: dict[str, str] = {}
        for record in self.store.list_tasks():
            timers = timers_of(record.triggers)
            for timer in timers:
                key = f"{record.name}/{timer.name}"
                created = parse_utc(timer.created) or now
                since = max(parse_utc(last.get(key)) or created, created)
                if since >= now:
                    continue  # another scheduler (with a clock a little ahead) evaluated this window already
                ticks[key] = _iso(now)
                if not timer.enabled or record.status != "Enabled":
                    continue
                try:
                    due = due_occurrence(parse_cron(timer.schedule), since, now, grace=self.grace)
                except CronError as exc:  # validated when saved; a stored schedule is never expected to fail
                    _LOG.error("timer %s: %s", key, exc)
                    continue
                if due.missed:
                    _LOG.warning("timer %s: %d occurrence(s) missed while no scheduler ran; not backfilled",
                                 key, due.missed)
                if due.fire is None:
                    continue
                occurrence = _iso(due.fire)
                items.append(TriggeredRun(
                    task=record.name, trigger=Trigger.TIMER,
                    info={"timerTrigger": {"timerTriggerName": timer.name, "scheduleOccurrence": occurrence}},
                    unique=UniqueKey("timer|" + occurrence_claim_key(record.name, timer.name, due.fire), "once",
                                     OCCURRENCE_TTL),
                ))
        outcomes = self.runner.submit(items)
        for outcome in outcomes:
            if outcome.status == "queued":
                _LOG.info("timer %s: queued run %s", outcome.item.info["timerTrigger"], outcome.run_id)
        self.store.set_timer_ticks(ticks)
        return outcomes
