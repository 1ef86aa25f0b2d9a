"""Helpers shared by the store's unit tests."""

from __future__ import annotations

from tasks_engine.store import RedisStore, RunRequest, RunType


def new_run(store: RedisStore, *, queue: str = "runs", task: str = "", **kwargs: object) -> str:
    return store.create_run(id_prefix="ca", queue=queue, run_type=RunType.QUICK_RUN,
                            request=RunRequest(kind="cmd", cmd="busybox true"), task=task,
                            **kwargs).run_id  # type: ignore[arg-type]
