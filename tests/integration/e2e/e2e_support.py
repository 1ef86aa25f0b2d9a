"""Helpers for the end-to-end tests of ``tasks-engine run``/``build``: drive the real CLI, read what a user
reads (exit code, final line, ``-o json`` run record) and what Docker really holds afterwards."""

from __future__ import annotations

import contextlib
import functools
import io
import json
import re
import tarfile
import textwrap
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tasks_engine.cli.main import main

REPO_ROOT = Path(__file__).resolve().parents[3]
LABEL_RUN_ID = "tasks-engine.run-id"
FINAL_OK = re.compile(r"^Run ID: (?P<id>\S+) was successful after (?P<secs>\d+)s$")
FINAL_FAILED = re.compile(r"^Run ID: (?P<id>\S+) failed after (?P<secs>\d+)s\. Error: (?P<reason>.*)$")
TRACEBACK = "Traceback (most recent call last)"


def new_run_id(tag: str) -> str:
    """Unique per call, so parallel and repeated runs never share containers, networks or image tags."""
    return f"e2e-{tag}-{uuid.uuid4().hex[:8]}"


@dataclass
class CliResult:
    rc: int
    out: str
    err: str
    argv: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """Everything the user saw (logs go to stderr with ``-o json``, to stdout otherwise)."""
        return self.out + self.err

    @property
    def final_line(self) -> str:
        lines = [ln for ln in self.text.splitlines() if ln.startswith("Run ID: ")]
        assert lines, f"no final 'Run ID:' line in output:\n{self.describe()}"
        return lines[-1]

    @property
    def record(self) -> dict[str, Any]:
        """The ``-o json`` run record: the only thing on stdout in json mode."""
        try:
            data = json.loads(self.out)
        except json.JSONDecodeError as exc:
            raise AssertionError(f"stdout is not one JSON document ({exc}):\n{self.describe()}") from exc
        assert isinstance(data, dict)
        return data

    def step(self, step_id: str) -> dict[str, Any]:
        for entry in self.record["steps"]:
            if entry["id"] == step_id:
                return dict(entry)
        raise AssertionError(f"no step {step_id!r} in the run record: {self.record['steps']}")

    def describe(self) -> str:
        return f"argv: {self.argv}\nrc: {self.rc}\n--- stdout ---\n{self.out}\n--- stderr ---\n{self.err}"

    def assert_succeeded(self, run_id: str) -> None:
        assert self.rc == 0, self.describe()
        match = FINAL_OK.match(self.final_line)
        assert match and match["id"] == run_id, self.describe()
        if self.out.lstrip().startswith("{"):
            assert self.record["status"] == "Succeeded", self.describe()
        assert TRACEBACK not in self.text

    def assert_failed(self, run_id: str, *, status: str = "Failed") -> str:
        """Returns the error reason of the final line."""
        assert self.rc == 1, self.describe()
        match = FINAL_FAILED.match(self.final_line)
        assert match and match["id"] == run_id, self.describe()
        if self.out.lstrip().startswith("{"):
            assert self.record["status"] == status, self.describe()
        assert TRACEBACK not in self.text
        return match["reason"]


class Cli:
    """``tasks-engine`` in-process, with the test's engine configuration (state root under tmp)."""

    def __init__(self, capsys: pytest.CaptureFixture[str], config: Path, base: str, registry: str) -> None:
        self._capsys = capsys
        self.config = config
        self.base = base
        self.registry = registry

    def __call__(self, *argv: str, config: bool = True) -> CliResult:
        args = list(argv)
        if config and args and args[0] in {"run", "build", "validate", "render", "plan", "gc"}:
            args[1:1] = ["--config", str(self.config)]
        self._capsys.readouterr()
        rc = main(args)
        captured = self._capsys.readouterr()
        return CliResult(rc, captured.out, captured.err, args)

    def run_task(self, task: Path | str, run_id: str, *extra: str, context: str | Path | None = None,
                 json_output: bool = True) -> CliResult:
        args = ["run", "-f", str(task), "--id", run_id, "--set", f"base={self.base}", "--registry", self.registry]
        if json_output:
            args += ["-o", "json"]
        args += list(extra)
        if context is not None:
            args.append(str(context))
        return self(*args)


def write_task(folder: Path, text: str, name: str = "acr-task.yaml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def leftovers(client: Any, run_id: str) -> dict[str, list[Any]]:
    filters = {"label": f"{LABEL_RUN_ID}={run_id}"}
    api = client.api
    found = {
        "containers": api.containers(all=True, filters=filters),
        "networks": api.networks(filters=filters),
        "volumes": (api.volumes(filters=filters) or {}).get("Volumes") or [],
    }
    return {kind: items for kind, items in found.items() if items}


def assert_clean(client: Any, run_id: str) -> None:
    left = leftovers(client, run_id)
    assert not left, f"run {run_id} left Docker objects behind: {left}"
    names = [c["Names"] for c in client.api.containers(all=True) if any(run_id in n for n in c["Names"])]
    assert not names, f"containers named after run {run_id} remain: {names}"


def remove_images(client: Any, run_id: str, refs: Sequence[str] = ()) -> None:
    """Untag what a run built: every tag naming the run id (tests put ``$ID`` in their tags) plus ``refs``.

    By tag, never by image id: an image built ``FROM base`` with nothing added *is* the base image."""
    tags = set(refs)
    for image in client.images.list():
        tags.update(t for t in image.tags if run_id in t)
    for tag in sorted(tags):
        with contextlib.suppress(Exception):
            client.images.remove(tag)
    for image in client.images.list(filters={"label": f"{LABEL_RUN_ID}={run_id}"}):
        with contextlib.suppress(Exception):
            client.images.remove(image.id, force=True)


RunIdFactory = Callable[[str], str]


class QuietFolderHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


@contextlib.contextmanager
def serve_folder(folder: Path, handler: type[SimpleHTTPRequestHandler] = QuietFolderHandler) -> Iterator[str]:
    """``folder`` served over HTTP on loopback (like a tarball context on a web server); yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def write_tarball(path: Path, files: dict[str, str]) -> None:
    with tarfile.open(path, "w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
