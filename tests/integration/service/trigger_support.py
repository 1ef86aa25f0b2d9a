"""Real parts for the trigger tests: a git server on loopback, a registry that notifies the test stack's API,
beat processes, and webhook deliveries in each forge's own format with real signatures.

* ``GitServer``: ``git daemon --export-all`` on a free loopback port serving bare repositories in a folder;
  tests commit with git in a work tree and push to the bare repository, then the workers clone from the
  daemon (``git://127.0.0.1:<port>/<name>.git``), exactly as they would from a forge.
* ``NotifyingRegistry``: ``docker-registry serve`` (Debian's distribution 2.8) on a free port whose
  ``notifications`` endpoint is the stack's ``/v1/webhooks/registry`` with the stack's header token, so every
  push a test (or a run) makes reaches that stack's API by the registry's own delivery.
* ``github_push``/``gitlab_push``/``generic_push``: the payload fixtures of tests/triggers/payloads with the
  repository, ref and commits of the test's push, signed with the task's secret the way each forge signs.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import ROOT, VENV_BIN, Process, ServiceStack, free_port, missing, wait_until

from tasks_engine.triggers import sign_github

PAYLOADS = ROOT / "tests" / "triggers" / "payloads"
ZERO = "0" * 40


def git(*args: str, cwd: Path) -> str:
    env = {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com", "GIT_COMMITTER_NAME": "Test",
           "GIT_COMMITTER_EMAIL": "test@example.com", "PATH": "/usr/bin:/bin", "HOME": str(cwd)}
    out = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {out.stderr}")
    return out.stdout.strip()


@dataclass
class Repo:
    name: str
    bare: Path
    work: Path
    url: str

    def commit(self, files: dict[str, str], message: str = "change", *, branch: str = "main") -> str:
        """Write ``files``, commit, push ``branch`` to the server; returns the new commit's sha."""
        current = git("symbolic-ref", "--short", "HEAD", cwd=self.work)
        if current != branch:
            git("checkout", "-B", branch, cwd=self.work)
        for path, text in files.items():
            target = self.work / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        git("add", "-A", cwd=self.work)
        git("commit", "-q", "-m", message, cwd=self.work)
        git("push", "-q", "origin", f"{branch}:refs/heads/{branch}", cwd=self.work)
        return git("rev-parse", "HEAD", cwd=self.work)


def terminate(proc: subprocess.Popen[bytes] | None) -> None:
    """Stop a helper server: SIGTERM, five seconds, then SIGKILL."""
    if proc is None:
        return
    proc.terminate()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(5)
    if proc.poll() is None:
        proc.kill()


@dataclass
class GitServer:
    folder: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> GitServer:
        if shutil.which("git") is None:
            missing("git is not installed")
        self.folder.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            ["git", "daemon", "--export-all", "--reuseaddr", f"--base-path={self.folder}", "--listen=127.0.0.1",
             f"--port={self.port}", "--informative-errors", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        wait_until(self._listening, timeout=10, what="git daemon")
        return self

    def _listening(self) -> bool:
        import socket

        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
            return True
        return False

    def repo(self, name: str) -> Repo:
        bare = self.folder / f"{name}.git"
        git("init", "-q", "--bare", "-b", "main", str(bare), cwd=self.folder)
        work = self.folder / "work" / name
        work.mkdir(parents=True)
        git("init", "-q", "-b", "main", cwd=work)
        git("remote", "add", "origin", str(bare), cwd=work)
        return Repo(name, bare, work, f"git://127.0.0.1:{self.port}/{name}.git")

    def stop(self) -> None:
        terminate(self.proc)
        self.proc = None


REGISTRY_CONFIG = """version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: {root}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:{port}
"""

NOTIFICATIONS = """notifications:
  endpoints:
    - name: tasks-engine
      url: {url}
      headers:
        Authorization: [Bearer {token}]
      timeout: 5s
      threshold: 3
      backoff: 1s
      ignoredmediatypes: [application/octet-stream]
      ignore:
        actions: [pull, mount, delete]
"""


@dataclass
class NotifyingRegistry:
    folder: Path
    api_url: str
    token: str
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    notify: bool = True

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.folder / "registry.log"

    def start(self) -> NotifyingRegistry:
        if not Path("/usr/bin/docker-registry").exists():
            missing("docker-registry is not installed")
        self.folder.mkdir(parents=True, exist_ok=True)
        config = self.folder / "config.yml"
        text = REGISTRY_CONFIG.format(root=self.folder / "data", port=self.port)
        if self.notify:
            text += NOTIFICATIONS.format(token=self.token, url=f"{self.api_url}/v1/webhooks/registry")
        config.write_text(text, encoding="utf-8")
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(["/usr/bin/docker-registry", "serve", str(config)], stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        wait_until(self._up, timeout=20, interval=0.1, what="the test registry")
        return self

    def _up(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://{self.host}/v2/", timeout=1) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    def digest(self, repository: str, tag: str) -> str:
        request = urllib.request.Request(
            f"http://{self.host}/v2/{repository}/manifests/{tag}", method="HEAD",
            headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"})
        with urllib.request.urlopen(request, timeout=5) as response:
            return str(response.headers["Docker-Content-Digest"])

    def stop(self) -> None:
        terminate(self.proc)
        self.proc = None


def new_image(docker_client: Any, source: str, target: str, layer: str) -> None:
    """``target``: ``source`` plus a file ``/layer`` holding ``layer`` (a new image, so a new digest)."""
    container = docker_client.containers.create(source, ["sh", "-c", f"echo {layer} > /layer"])
    try:
        container.start()
        container.wait(timeout=30)
        repository, _, tag = target.rpartition(":")
        container.commit(repository=repository, tag=tag)
    finally:
        container.remove(force=True)


def push_base(docker_client: Any, source: str, target: str, *, layer: str | None = None) -> str:
    """Tag ``source`` as ``target`` (a new image with a file ``/layer`` when given) and push it; the digest."""
    if layer is not None:
        new_image(docker_client, source, target, layer)
    else:
        docker_client.images.get(source).tag(target)
    repository, _, tag = target.rpartition(":")
    digest = ""
    for line in docker_client.api.push(repository, tag=tag, stream=True, decode=True):
        if "error" in line:
            raise AssertionError(f"push {target}: {line['error']}")
        digest = (line.get("aux") or {}).get("Digest") or digest
    assert digest, f"push {target}: no digest reported"
    return str(digest)


def start_beat(stack: ServiceStack, name: str) -> Process:
    """A ``celery beat`` of the stack (its own schedule file): timers and the cascade's tick."""
    argv = [str(VENV_BIN / "celery"), "-A", "workers.app", "beat", "-l", "info",
            "-s", str(stack.folder / f"{name}-schedule"), "--pidfile", str(stack.folder / f"{name}.pid")]
    process = stack._spawn(name, argv)
    wait_until(lambda: "beat: Starting" in process.text() or not process.alive(), timeout=30, interval=0.1,
               what=f"{name} to start")
    assert process.alive(), process.text()[-2000:]
    return process


# -- deliveries, in each forge's format --------------------------------------------------------------------------


def _fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PAYLOADS / name).read_text(encoding="utf-8"))
    return data


def github_push(repo: Repo, *, after: str, before: str = ZERO, branch: str = "main", deleted: bool = False,
                modified: tuple[str, ...] = ("Dockerfile",)) -> dict[str, Any]:
    body = _fixture("github_push.json")
    body.update(ref=f"refs/heads/{branch}", before=before, after=ZERO if deleted else after, deleted=deleted,
                created=before == ZERO)
    for url in ("clone_url", "git_url"):
        body["repository"][url] = repo.url
    body["repository"]["html_url"] = repo.url.removesuffix(".git")
    body["repository"]["ssh_url"] = f"git@127.0.0.1:{repo.name}.git"
    commit = {**body["commits"][0], "id": after, "added": [], "removed": [], "modified": list(modified)}
    body["commits"] = [] if deleted else [commit]
    body["head_commit"] = None if deleted else commit
    return body


def gitlab_push(repo: Repo, *, after: str, before: str = ZERO, branch: str = "main") -> dict[str, Any]:
    body = _fixture("gitlab_push.json")
    body.update(ref=f"refs/heads/{branch}", before=before, after=after, checkout_sha=after)
    project = body["project"]
    for key in ("git_http_url", "http_url", "url"):
        project[key] = repo.url
    project["git_ssh_url"] = project["ssh_url"] = f"git@127.0.0.1:{repo.name}.git"
    project["web_url"] = project["homepage"] = repo.url.removesuffix(".git")
    body["repository"].update(url=repo.url, git_http_url=repo.url, homepage=project["web_url"],
                              git_ssh_url=project["git_ssh_url"])
    body["commits"] = [{**body["commits"][0], "id": after, "added": [], "removed": [], "modified": ["Dockerfile"]}]
    body["total_commits_count"] = 1
    return body


def post_github(api_url: str, body: dict[str, Any], secret: str, *, event: str = "push",
                delivery: str | None = None, signature: str | None = None) -> tuple[int, dict[str, Any]]:
    raw = json.dumps(body).encode("utf-8")
    headers = {"Content-Type": "application/json", "X-GitHub-Event": event,
               "X-GitHub-Delivery": delivery or str(uuid.uuid4()), "User-Agent": "GitHub-Hookshot/test",
               "X-Hub-Signature-256": signature if signature is not None else sign_github(raw, secret)}
    return post(f"{api_url}/v1/webhooks/github", raw, headers)


def post_gitlab(api_url: str, body: dict[str, Any], token: str, *, delivery: str | None = None
                ) -> tuple[int, dict[str, Any]]:
    raw = json.dumps(body).encode("utf-8")
    headers = {"Content-Type": "application/json", "X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": token,
               "Idempotency-Key": delivery or str(uuid.uuid4()), "X-Gitlab-Event-UUID": str(uuid.uuid4())}
    return post(f"{api_url}/v1/webhooks/gitlab", raw, headers)


def post(url: str, raw: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=raw, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status), json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return int(exc.code), json.loads(exc.read() or b"{}")


def runs_of(stack: ServiceStack, task: str) -> list[Any]:
    return list(stack.store().list_runs(task=task, top=100).runs)


def wait_runs(stack: ServiceStack, task: str, count: int, *, timeout: float = 60.0) -> list[Any]:
    return list(wait_until(lambda: (r := runs_of(stack, task)) and len(r) >= count and r, timeout=timeout,
                           interval=0.2, what=f"{count} run(s) of {task}"))


def settle(seconds: float) -> None:
    """Time for a delivery that should start nothing to have started something, were it wrong."""
    time.sleep(seconds)
