"""Driving the real ``tasks-engine`` CLI against a private service stack (real API, workers, Redis, Docker).

The CLI runs as a subprocess, as a user runs it: its own environment (``TASKS_ENGINE_SERVER``/``_TOKEN``
pointing at the stack), real exit codes, real signals.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from harness import ROOT, ServiceStack, wait_until

FINAL_OK = "was successful after"
TRACEBACK = "Traceback (most recent call last)"


@pytest.fixture
def served(stack: ServiceStack) -> ServiceStack:
    """The stack with its API and one worker running (most CLI tests need both)."""
    stack.start_api()
    stack.start_worker("w1")
    return stack


@dataclass
class Result:
    rc: int
    out: str
    err: str

    def describe(self) -> str:
        return f"rc: {self.rc}\n--- stdout ---\n{self.out}\n--- stderr ---\n{self.err}"


def cli_env(stack: ServiceStack, *, token: str | None = None, server: bool = True, **extra: str) -> dict[str, str]:
    env = stack.env(**extra)
    if server:
        env["TASKS_ENGINE_SERVER"] = stack.api_url
        env["TASKS_ENGINE_TOKEN"] = token if token is not None else stack.admin_token
    return env


def argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "tasks_engine", *args]


def cli(stack: ServiceStack, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
        timeout: float = 180, stdin: str | None = None) -> Result:
    proc = subprocess.run(argv(*args), env=env or cli_env(stack), cwd=cwd or ROOT, capture_output=True, text=True,
                          timeout=timeout, input=stdin, check=False)
    result = Result(proc.returncode, proc.stdout, proc.stderr)
    assert TRACEBACK not in result.out + result.err, result.describe()
    return result


def spawn(stack: ServiceStack, *args: str, env: dict[str, str] | None = None, **kwargs: Any) -> subprocess.Popen[str]:
    """A CLI that a test interrupts; stderr and stdout are pipes read when it ends."""
    options: dict[str, Any] = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    options.update(kwargs)
    return subprocess.Popen(argv(*args), env=env or cli_env(stack), cwd=ROOT, **options)


def api(stack: ServiceStack, method: str, path: str, body: Any = None) -> Any:
    """The API itself, for what a test checks behind the CLI's back."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{stack.api_url}{path}", data=data, method=method, headers={
        "Authorization": f"Bearer {stack.admin_token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        raw = response.read()
    return json.loads(raw) if raw else None


def run_record(stack: ServiceStack, run_id: str) -> dict[str, Any]:
    record: dict[str, Any] = api(stack, "GET", f"/v1/runs/{run_id}")
    return record


def wait_for_status(stack: ServiceStack, run_id: str, statuses: set[str], timeout: float = 120) -> dict[str, Any]:
    found: dict[str, Any] = wait_until(lambda: (r := run_record(stack, run_id))["status"] in statuses and r,
                                       timeout=timeout, interval=0.2, what=f"run {run_id} to reach {statuses}")
    return found


def wait_for_log(stack: ServiceStack, run_id: str, text: str, timeout: float = 120) -> None:
    def has() -> bool:
        request = urllib.request.Request(f"{stack.api_url}/v1/runs/{run_id}/logs?offset=0",
                                         headers={"Authorization": f"Bearer {stack.admin_token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return text in response.read().decode("utf-8", "replace")

    wait_until(has, timeout=timeout, interval=0.2, what=f"{text!r} in the log of {run_id}")


def interrupt(proc: subprocess.Popen[str], *, timeout: float = 60) -> tuple[int, str, str]:
    os.kill(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def queued_id(err: str) -> str:
    for line in err.splitlines():
        for prefix in ("Queued a run with ID: ", "Queued a build with ID: "):
            if line.startswith(prefix):
                return line[len(prefix):]
    raise AssertionError(f"no 'Queued a ... with ID' line in:\n{err}")


def wait_for_line(stream_path: Path, text: str, timeout: float = 60) -> None:
    wait_until(lambda: stream_path.exists() and text in stream_path.read_text(errors="replace"), timeout=timeout,
               interval=0.1, what=f"{text!r} in {stream_path}")


def now() -> float:
    return time.monotonic()
