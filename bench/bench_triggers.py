"""Trigger benchmarks: a base image with 1,000 dependants, and webhook latency.

Each starts a private stack (Redis and the API of the integration tests' harness; no worker, so every queued
run stays queued and can be counted) and measures its floor or baseline in the same run, interleaved:

* ``fanout-1000``: one registry notification (``POST /v1/webhooks/registry``, the distribution registry's
  envelope) for a base image 1,000 tasks are built on → all 1,000 ``Image Update`` runs recorded ``Queued``
  and published, each exactly once (checked: 1,000 distinct tasks, 1,000 broker messages). The floor is
  Celery's own publish of 1,000 messages over one producer (``send_task``, what the dispatcher does), against
  the same Redis; target < 1 s. ``cascadeDebounce: 0`` (queue at once): with a debounce window the same work
  happens when beat releases the window.
* ``webhook-to-queued``: a signed GitHub push delivery → its run recorded and published (the 202 answer comes
  after both), client-side round trip; baseline: ``POST /v1/tasks/{name}/runs`` of the same task (the manual
  path, same submit); target p50 <= 20 ms.

The 1,000 dependants' index entries are written straight into the store (as 1,000 successful builds on the
base would have left them): building 1,000 images is not what is measured.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "integration" / "service"))

from harness import ServiceStack, service_stack  # noqa: E402

REGISTRY = os.environ.get("TE_REGISTRY", "127.0.0.1:5000")
TOKEN = "bench-" + uuid.uuid4().hex
BASE = "registry.bench.example/base/os:1"
N = 1000


@dataclass
class Result:
    name: str
    summary: str
    ok: bool
    numbers: dict[str, float] = field(default_factory=dict)
    samples: dict[str, list[float]] = field(default_factory=dict)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _services(s: ServiceStack) -> tuple[Any, Any, Any]:
    from tasks_engine.service.tasks import TaskService

    runs = s.run_service()
    return runs.store, runs, TaskService(runs.store, runs)


def _digest(n: int) -> str:
    return "sha256:" + f"{n:064x}"


def _notification(digest: str, event_id: str) -> bytes:
    host, _, rest = BASE.partition("/")
    repository, _, tag = rest.rpartition(":")
    return json.dumps({"events": [{
        "id": event_id, "timestamp": "2026-12-01T00:00:00Z", "action": "push",
        "target": {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "digest": digest,
                   "repository": repository, "tag": tag, "size": 528, "length": 528},
        "request": {"id": event_id, "host": host, "method": "PUT", "useragent": "docker/20.10"},
        "source": {"addr": "bench:5000", "instanceID": "bench"}}]}).encode()


def fanout(rounds: int = 5) -> Result:
    from tasks_engine.service.depindex import _entry
    from tasks_engine.service.tasks import TaskSpec
    from tasks_engine.triggers import BaseImage, DependencyKind, TaskNode
    from workers.app import make_celery
    from workers.dispatch import CeleryDispatcher

    with service_stack(REGISTRY, settings={"registryWebhookToken": TOKEN, "cascadeDebounce": "0"}) as s:
        s.start_api()
        store, runs, tasks = _services(s)
        for i in range(N):
            name = f"dependant-{i:04d}"
            tasks.create(TaskSpec(name=name, kind="cmd", cmd="busybox true"))
            node = TaskNode(name, {BASE: BaseImage(BASE, DependencyKind.RUNTIME, _digest(0))},
                            {f"registry.bench.example/out/app{i}:1": _digest(10_000 + i)})
            store.put_dependency_entry(name, _entry(node))
        floor_dispatcher = CeleryDispatcher(make_celery(runs.settings, worker_steps=False))
        ours: list[float] = []
        floor: list[float] = []
        answers: list[float] = []
        with httpx.Client(base_url=s.api_url, timeout=60) as client:
            client.get("/healthz")
            for round_no in range(1, rounds + 1):
                ids = [f"floor{round_no}x{i}" for i in range(N)]
                start = time.perf_counter()
                floor_dispatcher.dispatch_many(ids, "floor")
                floor.append(time.perf_counter() - start)
                assert store.queue_length("floor") == N
                store.client.delete(f"{store.broker_prefix}floor")

                before = set(store.pending_runs("runs", limit=10 * N))
                start = time.perf_counter()
                reply = client.post("/v1/webhooks/registry", content=_notification(_digest(round_no), f"ev{round_no}"),
                                    headers={"Authorization": f"Bearer {TOKEN}",
                                             "Content-Type": "application/vnd.docker.distribution.events.v1+json"})
                answered = time.perf_counter() - start
                queued = set(store.pending_runs("runs", limit=10 * N)) - before
                ours.append(time.perf_counter() - start)
                answers.append(answered)
                assert reply.status_code == 200 and reply.json()["queued"] == N, reply.text
                records = [r for r in store.get_runs(sorted(queued)) if r is not None]
                assert len(records) == N and len({r.task for r in records}) == N  # each dependant exactly once
                assert all(r.trigger.value == "Image Update" for r in records)
                assert store.queue_length("runs") == N  # and each published once
                # next round from scratch: the runs never start (no worker), so forget them and the state
                store.client.delete(f"{store.broker_prefix}runs", store.keys.pending("runs"),
                                    *(store.keys.cascade(p) for p in ("pending", "deferred", "running", "seen",
                                                                      "chains", "held", "version")))
    median, floor_median = statistics.median(ours), statistics.median(floor)
    return Result("fanout-1000", f"{median * 1000:.0f} ms to queue 1,000 runs (Celery's publish alone: "
                  f"{floor_median * 1000:.0f} ms, {median / floor_median:.2f}x)", median < 1.0,
                  {"median_s": median, "floor_median_s": floor_median, "ratio": median / floor_median,
                   "answer_median_s": statistics.median(answers)},
                  {"ours": ours, "floor": floor})


def webhook_latency(count: int = 300) -> Result:
    from tasks_engine.service.tasks import TaskSpec
    from tasks_engine.triggers import sign_github

    with service_stack(REGISTRY) as s:
        s.start_api()
        _, _, tasks = _services(s)
        url = "git://127.0.0.1:1/bench/app.git"
        tasks.create(TaskSpec(name="hooked-app", kind="file", task_file="acb.yaml", context=f"{url}#main",
                              webhook_secret="bench-secret-1"))
        hook: list[float] = []
        manual: list[float] = []
        with httpx.Client(base_url=s.api_url, timeout=30,
                          headers={"Authorization": f"Bearer {s.admin_token}"}) as client:
            for _ in range(20):  # warm up both paths
                client.post("/v1/tasks/hooked-app/runs")
            for i in range(count):
                commit = uuid.uuid4().hex + uuid.uuid4().hex[:8]
                body = json.dumps({"ref": "refs/heads/main", "before": "0" * 40, "after": commit, "created": True,
                                   "deleted": False, "repository": {"full_name": "bench/app", "clone_url": url},
                                   "commits": [{"id": commit, "added": [], "removed": [], "modified": ["x"]}],
                                   "head_commit": {"id": commit}}).encode()
                headers = {"Content-Type": "application/json", "X-GitHub-Event": "push",
                           "X-GitHub-Delivery": str(uuid.uuid4()),
                           "X-Hub-Signature-256": sign_github(body, "bench-secret-1")}
                start = time.perf_counter()
                reply = client.post("/v1/webhooks/github", content=body, headers=headers)
                hook.append(time.perf_counter() - start)
                assert reply.status_code == 202 and reply.json()["runs"][0]["status"] == "queued", reply.text
                if i % 2 == 0:
                    start = time.perf_counter()
                    assert client.post("/v1/tasks/hooked-app/runs").status_code == 201
                    manual.append(time.perf_counter() - start)
    p50, p95, base = percentile(hook, 0.5), percentile(hook, 0.95), percentile(manual, 0.5)
    return Result("webhook-to-queued", f"p50 {p50 * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms (manual task run p50 "
                  f"{base * 1000:.1f} ms, {p50 / base:.2f}x)", p50 <= 0.020,
                  {"p50_ms": p50 * 1000, "p95_ms": p95 * 1000, "manual_p50_ms": base * 1000, "ratio": p50 / base},
                  {"webhook": hook, "manual": manual})


ALL = {"fanout-1000": fanout, "webhook-to-queued": webhook_latency}
TARGETS = {"fanout-1000": "< 1 s, each run once", "webhook-to-queued": "p50 <= 20 ms"}


def write_docs(results: list[Result], command: str) -> None:
    from bench.docsections import results_table, write_section

    lines = results_table("Triggers", command, "each benchmark starts a private stack: Redis and the API, no "
                          "worker, so queued runs stay queued and are counted", "client", results, TARGETS)
    lines += ["", "How to read it: `fanout-1000` is one registry notification for a base 1,000 tasks are built on,",
              "from the POST to all 1,000 runs recorded `Queued` (one pipelined create script per run) and",
              "published (one broker connection); the floor is Celery publishing 1,000 messages itself, so the",
              "difference is what the trigger layer costs (parse, the cascade decision over the index and its",
              "compare-and-set, reading 1,000 tasks, creating 1,000 records). `webhook-to-queued` is the client's",
              "round trip of a signed push delivery; the 202 comes after the run is recorded and published.", "",
              "Raw numbers:", ""]
    for r in results:
        numbers = ", ".join(f"{k} {v:.3f}" for k, v in r.numbers.items())
        samples = "; ".join(f"{k} {[round(x, 4) for x in v[:12]]}{' ...' if len(v) > 12 else ''}"
                            for k, v in r.samples.items())
        lines.append(f"- {r.name}: {numbers} ({samples})")
    lines.append("")
    write_section("triggers", lines)


def main() -> int:
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default: all of {', '.join(ALL)})")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    chosen = args.names or list(ALL)
    results = []
    for name in chosen:
        result = ALL[name]()
        print(f"{result.name}: {result.summary} [{'met' if result.ok else 'MISSED'}]", flush=True)
        results.append(result)
    if args.write_docs:
        write_docs(results, "python -m bench.bench_triggers --write-docs")
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
