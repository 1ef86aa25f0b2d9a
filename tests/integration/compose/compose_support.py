"""Driving a private copy of the compose stack (scripts/compose-smoke.sh) from a test: docker-compose commands,
the API over HTTP, the real ``tasks-engine`` CLI on the host, and a git server the workers can reach.

Why a script underneath: bringing the stack up (base images from Debian's packages, the project image, free
loopback ports, health, the seed image, an admin token) is also what a person does to look at it by hand
(``scripts/compose-smoke.sh up DIR``); the test adds the checks.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "scripts" / "compose-smoke.sh"
FINISHED = {"Succeeded", "Failed", "Canceled", "Error", "Timeout"}


def wait_until(predicate: Callable[[], Any], *, timeout: float, interval: float = 0.5, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@dataclass
class CliResult:
    rc: int
    out: str
    err: str

    def describe(self) -> str:
        return f"rc {self.rc}\n--- stdout ---\n{self.out}\n--- stderr ---\n{self.err}"


@dataclass
class ComposeStack:
    folder: Path
    project: str

    # -- the stack's settings ------------------------------------------------------------------------------
    def value(self, key: str) -> str:
        for line in (self.folder / ".env").read_text(encoding="utf-8").splitlines():
            if line.startswith(f"{key}="):
                return line.split("=", 1)[1]
        raise KeyError(key)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.value('TE_API_PORT')}"

    @property
    def registry(self) -> str:
        return f"127.0.0.1:{self.value('TE_REGISTRY_PORT')}"

    @property
    def base_image(self) -> str:
        return f"{self.registry}/tasks-engine/busybox:latest"

    @property
    def token(self) -> str:
        return (self.folder / "admin.token").read_text(encoding="utf-8").strip()

    # -- commands ------------------------------------------------------------------------------------------
    def script(self, *args: str, timeout: float = 600) -> None:
        env = {**os.environ, "TE_SMOKE_PROJECT": self.project}
        proc = subprocess.run(["bash", str(SCRIPT), *args, str(self.folder)], env=env, capture_output=True,
                              text=True, timeout=timeout, check=False)
        assert proc.returncode == 0, f"compose-smoke.sh {' '.join(args)}:\n{proc.stderr[-6000:]}"

    def compose(self, *args: str, timeout: float = 300) -> str:
        argv = ["docker-compose", "--project-name", self.project, "--env-file", str(self.folder / ".env"),
                "--file", str(ROOT / "compose.yaml"), *args]
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
        assert proc.returncode == 0, f"docker-compose {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
        return proc.stdout

    def containers(self, service: str) -> list[str]:
        return self.compose("ps", "-q", service).split()

    def logs(self, *services: str, tail: int = 60) -> str:
        return self.compose("logs", "--no-color", "--tail", str(tail), *services)

    def cli(self, *args: str, cwd: Path | None = None, timeout: float = 180) -> CliResult:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TASKS_ENGINE_")}
        env.update(TASKS_ENGINE_SERVER=self.api_url, TASKS_ENGINE_TOKEN=self.token)
        proc = subprocess.run([sys.executable, "-m", "tasks_engine", *args], env=env, cwd=cwd or self.folder,
                              capture_output=True, text=True, timeout=timeout, check=False)
        return CliResult(proc.returncode, proc.stdout, proc.stderr)

    # -- the API -------------------------------------------------------------------------------------------
    def request(self, method: str, path: str, body: Any = None, *, headers: dict[str, str] | None = None,
                raw: bytes | None = None, auth: bool = True) -> tuple[int, Any]:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        if auth:
            all_headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(f"{self.api_url}{path}", data=data, method=method, headers=all_headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                text = response.read()
                return int(response.status), json.loads(text) if text else None
        except urllib.error.HTTPError as exc:
            text = exc.read()
            try:
                return int(exc.code), json.loads(text)
            except ValueError:
                return int(exc.code), text.decode(errors="replace")

    def get(self, path: str) -> Any:
        status, body = self.request("GET", path)
        assert status == 200, (path, status, body)
        return body

    def run(self, run_id: str) -> dict[str, Any]:
        record: dict[str, Any] = self.get(f"/v1/runs/{run_id}")
        return record

    def log(self, run_id: str) -> str:
        request = urllib.request.Request(f"{self.api_url}/v1/runs/{run_id}/logs",
                                         headers={"Authorization": f"Bearer {self.token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return str(response.read().decode("utf-8", "replace"))

    def wait_finished(self, run_id: str, *, timeout: float = 120) -> dict[str, Any]:
        record: dict[str, Any] = wait_until(lambda: (r := self.run(run_id))["status"] in FINISHED and r,
                                            timeout=timeout, what=f"run {run_id} to finish")
        return record

    def live_workers(self) -> list[dict[str, Any]]:
        try:
            return list(self.get("/v1/workers")["workers"])
        except (AssertionError, OSError):
            return []

    def wait_workers(self, count: int, *, timeout: float = 120) -> list[dict[str, Any]]:
        workers: list[dict[str, Any]] = wait_until(lambda: len(w := self.live_workers()) == count and w,
                                                   timeout=timeout, interval=1.0, what=f"{count} live workers")
        return workers

    def wait_api(self, *, timeout: float = 120) -> None:
        def ready() -> bool:
            try:
                with urllib.request.urlopen(f"{self.api_url}/readyz", timeout=2) as response:
                    return bool(response.status == 200)
            except OSError:
                return False

        wait_until(ready, timeout=timeout, what="the API to be ready")

    def manifest_exists(self, repository: str, tag: str) -> bool:
        request = urllib.request.Request(
            f"http://{self.registry}/v2/{repository}/manifests/{tag}", method="HEAD",
            headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return bool(response.status == 200)
        except urllib.error.HTTPError:
            return False


def git(*args: str, cwd: Path) -> str:
    env = {"GIT_AUTHOR_NAME": "Smoke", "GIT_AUTHOR_EMAIL": "smoke@example.com", "GIT_COMMITTER_NAME": "Smoke",
           "GIT_COMMITTER_EMAIL": "smoke@example.com", "PATH": "/usr/bin:/bin", "HOME": str(cwd)}
    out = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert out.returncode == 0, f"git {' '.join(args)}: {out.stderr}"
    return out.stdout.strip()


class GitContainer:
    """``git daemon`` in a container on the stack's network (alias ``git``), serving bare repositories from a
    host folder: the workers, in containers themselves, clone from it as they would from a forge."""

    def __init__(self, stack: ComposeStack, folder: Path) -> None:
        self.stack = stack
        self.folder = folder
        self.name = f"{stack.project}-git"

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        image = self.stack.value("TE_IMAGE")
        network = f"{self.stack.project.replace('.', '')}_default"
        subprocess.run(["/usr/bin/docker", "rm", "-f", self.name], capture_output=True, check=False)
        subprocess.run(
            ["/usr/bin/docker", "run", "-d", "--name", self.name, "--network", network, "--network-alias", "git",
             "--user", "0:0", "--entrypoint", "git", "-v", f"{self.folder}:/srv/git:ro", image,
             "daemon", "--export-all", "--reuseaddr", "--base-path=/srv/git", "--informative-errors",
             "/srv/git"], capture_output=True, text=True, check=True)

    def repo(self, name: str, files: dict[str, str]) -> tuple[str, str]:
        """A bare repository ``name`` with one commit of ``files`` on main: (its URL for the workers, sha)."""
        bare = self.folder / f"{name}.git"
        work = self.folder.parent / "work" / name
        work.mkdir(parents=True)
        git("init", "-q", "--bare", "-b", "main", str(bare), cwd=self.folder)
        git("init", "-q", "-b", "main", cwd=work)
        for path, text in files.items():
            (work / path).write_text(text, encoding="utf-8")
        git("add", "-A", cwd=work)
        git("commit", "-q", "-m", "smoke", cwd=work)
        git("push", "-q", str(bare), "main:refs/heads/main", cwd=work)
        return f"git://git/{name}.git", git("rev-parse", "HEAD", cwd=work)

    def stop(self) -> None:
        subprocess.run(["/usr/bin/docker", "rm", "-f", self.name], capture_output=True, check=False)
