"""The worker's sweep: objects and folders of run executions that died on this host.

A container labelled with a lease token that is no longer the run's current token (the reaper took the run
back) or of a run that is finished belongs to a dead execution and goes; so does a run folder that no process
holds (its liveness lock died with the process) and that is older than ``min_age`` seconds.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass

from tasks_engine.backends.docker.sweep import SweepReport, sweep_leased_objects
from tasks_engine.config import EngineConfig
from tasks_engine.runlock import run_is_live
from tasks_engine.service.execution import installation_scope
from tasks_engine.store import RedisStore


@dataclass
class DeadRunSweep:
    objects: SweepReport
    folders: list[str]


def sweep_dead_runs(store: RedisStore, engine: EngineConfig, *, lease_label: str,
                    min_age: float = 120.0) -> DeadRunSweep:
    cache: dict[str, str] = {}

    def is_current(run_id: str, lease: str) -> bool:
        if not run_id or not lease:
            return False
        if run_id not in cache:
            record = store.get_run(run_id)
            active = record is not None and not record.finished
            cache[run_id] = store.run_field(run_id, "token") if active else ""
        return cache[run_id] == lease

    objects = sweep_leased_objects(is_current, lease_label=lease_label, scope=installation_scope(store))
    folders: list[str] = []
    root = engine.runs_root
    cutoff = time.time() - min_age
    if root.is_dir():
        for folder in root.iterdir():
            info = folder.lstat()
            if folder.is_symlink() or not folder.is_dir() or info.st_mtime > cutoff or run_is_live(folder):
                continue
            shutil.rmtree(folder, ignore_errors=True)
            folders.append(str(folder))
    return DeadRunSweep(objects, folders)
