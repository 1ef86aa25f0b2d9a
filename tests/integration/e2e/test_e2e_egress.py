"""Every fetch a run makes on the worker goes through the engine's egress policy, end to end through the CLI:
tarball and git contexts, remote build contexts in a ``build:`` string, alias ``src`` files, ``--values``
URLs, and redirects. Refusals name the rule; nothing is sent to a refused address (no traffic leaves the
machine: the metadata address is refused before any connection)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import git
import pytest
from e2e_support import Cli, QuietFolderHandler, assert_clean, serve_folder, write_tarball, write_task

pytestmark = pytest.mark.integration
METADATA = "http://169.254.169.254/latest/meta-data"
LIST_TASK = """
    steps:
      - cmd: '{{ .Values.base }} find . -type f'
"""


class _Server(QuietFolderHandler):
    """Serves a folder; ``/redirect/...`` answers with a redirect to the metadata address."""

    def do_GET(self) -> None:
        if self.path.startswith("/redirect/"):
            self.send_response(302)
            self.send_header("Location", f"{METADATA}/{self.path.rsplit('/', 1)[-1]}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super().do_GET()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    folder = tmp_path / "served"
    folder.mkdir()
    write_tarball(folder / "ctx.tar.gz", {"Dockerfile": "FROM scratch\n"})
    (folder / "values.yaml").write_text("greeting: from-a-url\n")
    (folder / "aliases.yaml").write_text("who: remote-alias\n")
    with serve_folder(folder, _Server) as url:
        yield folder, url


def _config(cli: Cli, tmp_path: Path, egress: str) -> Path:
    path = tmp_path / "egress-config.yaml"
    path.write_text(cli.config.read_text() + egress)
    return path


def _refused(result: Any, *needles: str) -> None:
    assert result.rc in (1, 2), result.describe()
    assert "Traceback" not in result.text and "internal error" not in result.text, result.describe()
    for needle in needles:
        assert needle in result.text, result.describe()


@pytest.mark.parametrize(
    ("context", "needle"),
    [
        (f"{METADATA}/ctx.tar.gz", "169.254.169.254 is a link-local/cloud-metadata address"),
        ("http://169.254.169.254/repo.git#main", "169.254.169.254 is a link-local/cloud-metadata address"),
        ("git@169.254.169.254:org/repo.git", "169.254.169.254 is a link-local/cloud-metadata address"),
        ("http://metadata.google.internal/repo.git", "metadata.google.internal is a cloud metadata host"),
    ],
)
def test_run_contexts_are_checked(cli: Cli, run_ids: Any, tmp_path: Path, context: str, needle: str) -> None:
    run_id = run_ids("egctx")
    result = cli.run_task(write_task(tmp_path, LIST_TASK), run_id, context=context)
    _refused(result, needle, "is not allowed")


def test_redirect_to_metadata_is_refused(cli: Cli, run_ids: Any, tmp_path: Path,
                                         served: tuple[Path, str]) -> None:
    _, url = served
    result = cli.run_task(write_task(tmp_path, LIST_TASK), run_ids("egredir"), context=f"{url}/redirect/ctx.tar.gz")
    _refused(result, "169.254.169.254 is a link-local/cloud-metadata address")


def test_loopback_can_be_denied_by_the_operator(cli: Cli, run_ids: Any, tmp_path: Path,
                                                served: tuple[Path, str], docker_client: Any) -> None:
    _, url = served
    task = write_task(tmp_path, LIST_TASK)
    allowed = cli.run_task(task, run_ids("egok"), context=f"{url}/ctx.tar.gz")
    assert allowed.rc == 0, allowed.describe()
    config = _config(cli, tmp_path, "egress:\n  allowLoopback: false\n")
    run_id = run_ids("egdeny")
    denied = cli("run", "--config", str(config), "-f", str(task), "--id", run_id, "--set", f"base={cli.base}",
                 f"{url}/ctx.tar.gz", config=False)
    _refused(denied, "127.0.0.1 is loopback and egress.allowLoopback is false")
    assert_clean(docker_client, run_id)


def test_values_url_is_fetched_under_the_policy(cli: Cli, run_ids: Any, tmp_path: Path,
                                                served: tuple[Path, str]) -> None:
    _, url = served
    task = write_task(tmp_path, """
        steps:
          - cmd: '{{ .Values.base }} echo {{ .Values.greeting }}'
    """)
    ok = cli.run_task(task, run_ids("egval"), "--values", f"{url}/values.yaml")
    assert ok.rc == 0, ok.describe()
    assert "from-a-url" in ok.err
    refused = cli.run_task(task, run_ids("egval2"), "--values", f"{METADATA}/values.yaml")
    _refused(refused, "169.254.169.254 is a link-local/cloud-metadata address")
    config = _config(cli, tmp_path, "egress:\n  deny: [127.0.0.0/8]\n")
    denied = cli("run", "--config", str(config), "-f", str(task), "--id", run_ids("egval3"), "--values",
                 f"{url}/values.yaml", config=False)
    _refused(denied, "egress.deny entry '127.0.0.0/8'")


def test_alias_src_is_fetched_under_the_policy(cli: Cli, run_ids: Any, tmp_path: Path,
                                               served: tuple[Path, str]) -> None:
    _, url = served
    text = """
        version: v1.1.0
        alias:
          src: ['{src}']
        steps:
          - cmd: '{{{{ .Values.base }}}} echo $who'
    """
    ok = cli.run_task(write_task(tmp_path, text.format(src=f"{url}/aliases.yaml")), run_ids("egal"))
    assert ok.rc == 0, ok.describe()
    assert "remote-alias" in ok.err
    refused = cli.run_task(write_task(tmp_path, text.format(src=f"{url}/redirect/aliases.yaml")), run_ids("egal2"))
    _refused(refused, "failed to fetch alias source", "169.254.169.254 is a link-local/cloud-metadata address")


def test_remote_build_context_in_a_build_string(cli: Cli, run_ids: Any, tmp_path: Path, docker_client: Any,
                                                served: tuple[Path, str]) -> None:
    """A tarball context inside ``build:`` is fetched by the engine (and scanned for dependencies); the
    metadata address is refused."""
    folder, url = served
    write_tarball(folder / "app.tar.gz", {"Dockerfile": f"FROM {cli.base}\nRUN echo remote-context-built\n"})
    run_id = run_ids("egbuild")
    task = write_task(tmp_path, f"""
        steps:
          - build: -t {{{{.Run.Registry}}}}/egress-remote:{{{{.Run.ID}}}} {url}/app.tar.gz
    """)
    ok = cli.run_task(task, run_id)
    ok.assert_succeeded(run_id)
    deps = ok.record["dependencies"]
    assert deps[0]["runtime-dependency"]["reference"] == cli.base
    run_id = run_ids("egbuild2")
    task = write_task(tmp_path, f"""
        steps:
          - build: -t {{{{.Run.Registry}}}}/egress-remote:{{{{.Run.ID}}}} {METADATA}/app.tar.gz
    """)
    refused = cli.run_task(task, run_id)
    reason = refused.assert_failed(run_id)
    assert "169.254.169.254 is a link-local/cloud-metadata address" in reason
    assert_clean(docker_client, run_id)


def test_git_build_context_over_http_is_fetched_pinned_and_scanned(cli: Cli, run_ids: Any, tmp_path: Path,
                                                                   docker_client: Any,
                                                                   served: tuple[Path, str]) -> None:
    """A git URL inside ``build:`` (served by plain HTTP here): the engine clones it with the host pinned to the
    checked address, builds ``#main:sub``, and reports its dependencies and commit."""
    folder, url = served
    work = git.Repo.init(tmp_path / "src", initial_branch="main")
    with work.config_writer() as cfg:
        cfg.set_value("user", "name", "e2e")
        cfg.set_value("user", "email", "e2e@example.invalid")
    (tmp_path / "src" / "sub").mkdir()
    (tmp_path / "src" / "sub" / "Dockerfile").write_text("ARG BASE\nFROM $BASE\nRUN echo git-context-built\n")
    work.index.add(["sub/Dockerfile"])
    sha = work.index.commit("first").hexsha
    bare = git.Repo.clone_from(str(tmp_path / "src"), str(folder / "app.git"), bare=True)
    bare.git.update_server_info()  # dumb HTTP: the served folder is enough
    run_id = run_ids("eggit")
    task = write_task(tmp_path, f"""
        steps:
          - build: >-
              -t {{{{.Run.Registry}}}}/egress-git:{{{{.Run.ID}}}} --build-arg BASE={{{{.Values.base}}}}
              {url}/app.git#main:sub
    """)
    result = cli.run_task(task, run_id)
    result.assert_succeeded(run_id)
    (dep,) = result.record["dependencies"]
    assert dep["runtime-dependency"]["reference"] == cli.base
    assert dep["git"]["git-head-revision"] == sha
    assert_clean(docker_client, run_id)
