"""Backend behaviour that needs no daemon: unreachable daemon, secrets on disk, streams, digests, gc dates."""

from __future__ import annotations

import base64
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from tasks_engine.backends.docker import BackendOptions, DockerBackend
from tasks_engine.backends.docker.gc import _created
from tasks_engine.backends.docker.secrets import write_secret_volumes
from tasks_engine.backends.docker.streams import consume
from tasks_engine.backends.docker.workspace import RunPaths, prepare_home
from tasks_engine.errors import InfrastructureError, PermanentError, TransientError
from tasks_engine.plan.model import RunPlan, StepSpec, StepType, VolumeSpec


def _offline_client() -> Any:
    return docker.DockerClient(base_url="unix:///nonexistent/docker.sock", version="1.41", timeout=2)


def test_unreachable_daemon_is_a_clear_transient_error(tmp_path: Path) -> None:
    backend = DockerBackend(
        client_factory=_offline_client, options=BackendOptions(state_root=tmp_path), workspace=tmp_path
    )
    with pytest.raises(TransientError, match=r"cannot reach the Docker daemon at \S+: "):
        backend.setup(RunPlan(run_id="r1", steps=[]))
    backend.teardown(RunPlan(run_id="r1", steps=[]))  # never raises, even without a daemon


def test_run_attempt_before_setup_is_an_infrastructure_error(tmp_path: Path) -> None:
    backend = DockerBackend(
        client_factory=_offline_client, options=BackendOptions(state_root=tmp_path), workspace=tmp_path
    )
    with pytest.raises(InfrastructureError, match="before setup"):
        backend.run_attempt(
            StepSpec(id="s", type=StepType.CMD, image="x"), attempt=1, log=print, stop=threading.Event()
        )


def test_secret_files_are_decoded_exactly_and_private(tmp_path: Path) -> None:
    paths = RunPaths.for_run(tmp_path, "run")
    value = "line1\n$HOME `x` \\\nEOL\n"
    vols = [VolumeSpec("v", {"a.txt": base64.b64encode(value.encode()).decode()})]
    folders = write_secret_volumes(vols, paths)
    target = Path(folders["v"]) / "a.txt"
    assert target.read_text() == value
    assert stat.S_IMODE(target.stat().st_mode) == 0o400


def test_bad_base64_names_volume_and_key_and_writes_nothing(tmp_path: Path) -> None:
    paths = RunPaths.for_run(tmp_path, "run")
    vols = [VolumeSpec("good", {"k": "aGk="}), VolumeSpec("bad", {"key.pem": "***"})]
    with pytest.raises(PermanentError, match=r"failed to decode Base64 value of key 'key\.pem' in volume 'bad'"):
        write_secret_volumes(vols, paths)
    assert not paths.volumes.exists()


def test_home_gets_a_docker_config_with_auths_only_when_asked(tmp_path: Path) -> None:
    from tasks_engine.backends.docker import RegistryCredential

    paths = RunPaths.for_run(tmp_path, "run")
    prepare_home(paths, credentials=None)
    config = (paths.home / ".docker" / "config.json").read_text()
    assert "auths" not in config
    prepare_home(paths, credentials=[RegistryCredential("r:5000", "u", "p")])
    config = (paths.home / ".docker" / "config.json").read_text()
    assert base64.b64encode(b"u:p").decode() in config
    assert stat.S_IMODE(paths.root.stat().st_mode) == 0o700


def test_consume_hands_items_to_the_caller_and_reraises_there() -> None:
    seen: list[int] = []
    stopped = consume(lambda: iter([1, 2, 3]), on_item=seen.append, stop=threading.Event(), poll=0.01)
    assert (stopped, seen) == (False, [1, 2, 3])

    def broken() -> Iterator[int]:
        yield 1
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        consume(broken, on_item=seen.append, stop=threading.Event(), poll=0.01)


def test_consume_returns_promptly_on_stop() -> None:
    def slow() -> Iterator[int]:
        yield 1
        time.sleep(30)
        yield 2

    stop = threading.Event()
    threading.Timer(0.2, stop.set).start()
    started = time.monotonic()
    assert consume(slow, on_item=lambda _: None, stop=stop, poll=0.02) is True
    assert time.monotonic() - started < 2


class _FakeApi:
    def __init__(self, repo_digests: list[str]) -> None:
        self.repo_digests = repo_digests

    def inspect_image(self, ref: str) -> dict[str, Any]:
        return {"RepoDigests": self.repo_digests}


class _FakeClient:
    def __init__(self, repo_digests: list[str]) -> None:
        self.api = _FakeApi(repo_digests)

    def ping(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("ref", "digests", "expected"),
    [
        ("busybox:latest", ["busybox@sha256:" + "a" * 64], "sha256:" + "a" * 64),
        ("docker.io/library/busybox", ["busybox@sha256:" + "b" * 64], "sha256:" + "b" * 64),
        ("r:5000/x/y:1", ["other:5000/x/y@sha256:" + "c" * 64, "r:5000/x/y@sha256:" + "d" * 64], "sha256:" + "d" * 64),
        ("r:5000/x/y:1", ["r:5000/x/z@sha256:" + "c" * 64], None),
        ("r:5000/x/y@sha256:" + "e" * 64, [], "sha256:" + "e" * 64),
        ("Not A Ref", [], None),
    ],
)
def test_digest_of_matches_the_repository(ref: str, digests: list[str], expected: str | None, tmp_path: Path) -> None:
    backend = DockerBackend(
        client_factory=lambda: _FakeClient(digests), options=BackendOptions(state_root=tmp_path), workspace=tmp_path
    )
    assert backend.digest_of(ref) == expected


def test_gc_reads_label_time_then_docker_times() -> None:
    assert _created({"tasks-engine.created": "100"}, None) == 100.0
    assert _created({}, 50) == 50.0
    assert _created(None, "2026-11-28T07:00:00.123456789Z") == pytest.approx(1795849200.123456)
    assert _created({"tasks-engine.created": "junk"}, None) is None


@pytest.mark.parametrize(("name", "key"), [("..", "k"), ("v", ".."), ("v", "a/b"), ("a/b", "k"), ("v", "")])
def test_secret_names_cannot_leave_the_run_folder(tmp_path: Path, name: str, key: str) -> None:
    with pytest.raises(PermanentError, match="must be a plain file name"):
        write_secret_volumes([VolumeSpec(name, {key: "aGk="})], RunPaths.for_run(tmp_path, "run"))


class _VanishingApi:
    def inspect_image(self, ref: str) -> dict[str, Any]:
        import requests

        raise requests.exceptions.ConnectionError("Connection aborted: the socket is gone")


class _VanishingClient:
    api = _VanishingApi()

    def ping(self) -> bool:
        return True


def test_daemon_lost_mid_step_is_a_transient_error(tmp_path: Path) -> None:
    backend = DockerBackend(
        client_factory=_VanishingClient, options=BackendOptions(state_root=tmp_path / "s"), workspace=tmp_path
    )
    plan = RunPlan(run_id="r1", steps=[])
    backend.setup(plan)
    step = StepSpec(id="s", type=StepType.CMD, image="busybox")
    with pytest.raises(TransientError, match=r"cannot reach the Docker daemon at .*socket is gone"):
        backend.run_attempt(step, attempt=1, log=print, stop=threading.Event())


def test_gc_without_a_daemon_is_a_clear_transient_error(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from tasks_engine.backends.docker import collect_garbage_from_env

    def factory() -> Any:
        raise docker.errors.DockerException("Error while fetching server API version: connection refused")

    with pytest.raises(TransientError, match="cannot reach the Docker daemon"):
        collect_garbage_from_env(older_than=timedelta(hours=1), now=datetime.now(UTC), client_factory=factory)


class _RacyApi:
    """A daemon whose container exits the moment it starts: only a stream opened before ``start`` sees the
    output (what ``logs(follow=True)`` after ``start`` lost under load)."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.attached = False

    def attach(self, container: str, **kwargs: Any) -> Iterator[bytes]:
        self.calls.append("attach")
        self.attached = True
        return iter([b"every ", b"byte\n"])

    def start(self, container: str) -> None:
        self.calls.append("start")

    def logs(self, container: str, **kwargs: Any) -> Iterator[bytes]:
        self.calls.append("logs")
        return iter([])  # the race: the output went by before this request arrived

    def wait(self, container: str) -> dict[str, int]:
        return {"StatusCode": 0}

    def kill(self, container: str) -> None:
        raise AssertionError("not stopped")


def test_output_stream_is_attached_before_the_container_starts(tmp_path: Path, monkeypatch: Any) -> None:
    from tasks_engine.backends.docker import containers

    api = _RacyApi()
    ctx = type("Ctx", (), {"api": api, "options": BackendOptions(state_root=tmp_path, poll_interval=0.01),
                           "keep": lambda self, cid: None})()
    monkeypatch.setattr(containers, "_create_named", lambda *a: "c1")
    monkeypatch.setattr(containers, "_remove", lambda *a: None)
    out: list[str] = []
    step = StepSpec(id="s", type=StepType.CMD, image="x")
    result = containers._run_container(ctx, step, None, attempt=1, log=out.append,  # type: ignore[arg-type]
                                       stop=threading.Event())
    assert result.ok
    assert "".join(out) == "every byte\n"
    assert api.calls[:2] == ["attach", "start"]
