"""(c) Build cache: a build whose dependency step takes ~10 s, built again.

* ``cache-enabled-empty-worker``: the second build runs on *another* worker — a fresh Docker daemon with an
  empty image store and build cache — with ``cache: enabled``, so it can only reuse the layers through ACR's
  registry cache reference. Baseline: the first (cold) build of the same source with ``cache: enabled`` on
  the main daemon. Target <= 0.2x.
* ``local-cache-same-worker``: the second build on the same worker without any setting (Docker's local layer
  cache, kept between runs). Baseline: the first (cold) build of that source without any setting. Target
  <= 0.2x. (Each builder has its own cache: a classic build does not reuse a BuildKit build's layers.)

Every round uses a new source (a nonce in the RUN line), so each first build is really cold. The second
daemon is started before the timer and removed after it.

Usage: ``.venv/bin/python -m bench.bench_build_cache [--rounds N] [--write-docs]`` (after scripts/setup.sh).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path

from bench.docsections import write_section
from bench.harness import BASE_IMAGE, Comparison, run_task_text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "integration" / "docker"))
from second_daemon import second_daemon  # noqa: E402

REGISTRY = os.environ.get("TE_REGISTRY", "127.0.0.1:5000")
DOC = ROOT / "docs" / "performance.md"
DEP_SECONDS = 10


def _task(nonce: str, *, cache: bool) -> str:
    lines = ["version: v1.1.0", "steps:", "  - id: build",
             f"    build: -t {REGISTRY}/tasks-engine-bench/cache-{nonce}:1 ."]
    if cache:
        lines.append("    cache: enabled")
    return "\n".join(lines) + "\n"


def _run(task: str, source: Path, *, host: str | None) -> float:
    return run_task_text(task, "benchcache" + uuid.uuid4().hex[:8], source=source, docker_host=host)


def _source(folder: Path, nonce: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "app.txt").write_text(f"app {nonce}\n")
    (folder / "Dockerfile").write_text(
        f"FROM {BASE_IMAGE}\n"
        f"RUN echo installing dependencies {nonce} && sleep {DEP_SECONDS} && echo {nonce} > /deps\n"
        "COPY app.txt /app.txt\n"
    )
    return folder


def _forget(nonce: str) -> None:
    """Untag what a round built on the main daemon (the registry keeps its copies)."""
    import docker

    client = docker.from_env()
    repo = f"{REGISTRY}/tasks-engine-bench/cache-{nonce}"
    for ref in (f"{repo}:1", f"{repo}:cache_quickrun_build"):
        with contextlib.suppress(docker.errors.DockerException):
            client.images.remove(ref, force=True)
    client.close()


def measure(rounds: int = 3) -> list[Comparison]:
    first_cached, empty_worker, first_plain, same_worker = [], [], [], []
    with tempfile.TemporaryDirectory(prefix="te-bench-src-") as tmp:
        for i in range(rounds):
            nonce = uuid.uuid4().hex[:12]
            source = _source(Path(tmp) / f"c{i}", nonce)
            first_cached.append(_run(_task(nonce, cache=True), source, host=None))
            with second_daemon() as (host, _client):
                empty_worker.append(_run(_task(nonce, cache=True), source, host=host))
            _forget(nonce)
            nonce = uuid.uuid4().hex[:12]
            source = _source(Path(tmp) / f"p{i}", nonce)
            first_plain.append(_run(_task(nonce, cache=False), source, host=None))
            same_worker.append(_run(_task(nonce, cache=False), source, host=None))
            _forget(nonce)
    return [
        Comparison("cache-enabled-empty-worker", "first build (cold, cache: enabled)",
                   "second build, empty worker, cache: enabled", first_cached, empty_worker, target=0.2),
        Comparison("local-cache-same-worker", "first build (cold, no setting)",
                   "second build, same worker, no setting", first_plain, same_worker, target=0.2),
    ]


def write_docs(results: list[Comparison], command: str) -> None:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            check=False).stdout.strip()
    lines = [
        "", "", "## Build cache", "",
        f"Command: `{command}` (after `./scripts/setup.sh`).", "",
        f"Results ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {commit}, {os.cpu_count()} cores, "
        f"{platform.machine()}, Docker on the same machine; the dependency step sleeps {DEP_SECONDS} s):", "",
        "| benchmark | baseline | variant | baseline median | variant median | ratio | target |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(f"| {r.name} | {r.baseline_label} | {r.variant_label} | {statistics.median(r.baseline):.3f}s"
                     f" | {statistics.median(r.variant):.3f}s | **{r.ratio:.3f}x** | <= {r.target:.2f}x |")
    lines += [
        "",
        "How to read it: the empty worker is a second Docker daemon with its own data root (nothing local),",
        "so its build can only skip the 10 s step by importing ACR's cache reference",
        "(`<registry>/<repo>:cache_<task>_<step>`, an inline-cache image the first build pushed) from the",
        "registry; the floor is pulling the base image and the cached layers, exporting and pushing the cache",
        "again. The same-worker row is Docker's local layer cache, which workers keep between runs (pruned to",
        "`buildCacheMaxBytes`, default 20 GiB). Each round uses a new nonce, so every first build is cold.",
        "",
        "Raw samples (seconds):", "",
    ]
    for r in results:
        lines.append(f"- {r.name}: baseline {[round(x, 3) for x in r.baseline]}, "
                     f"variant {[round(x, 3) for x in r.variant]}")
    write_section("build-cache", lines[1:])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    command = ".venv/bin/python -m bench.bench_build_cache" + (" --write-docs" if args.write_docs else "")
    print(command, flush=True)
    results = measure(args.rounds)
    for r in results:
        print(r.line(), flush=True)
    if args.write_docs:
        write_docs(results, command)
        print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
