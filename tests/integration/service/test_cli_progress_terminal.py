"""Progress as a person sees it: the real CLI with its stderr on a pseudo-terminal (``pty``), against the real
API and a worker that starts only once the run has waited in the queue. The terminal shows packing, the
upload's bytes and rate, the run's place in its queue; once those redraws are erased, the terminal holds
exactly the lines a pipe gets, and the log on stdout is untouched."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest
from cli_support import FINAL_OK, argv, cli, cli_env
from harness import ROOT, ServiceStack, wait_until

pytestmark = pytest.mark.integration

FRAME = re.compile(r"\r[^\r\n]*?\x1b\[K")
ARCHIVE = re.compile(r"build_archive_[0-9a-f]{32}")


def _read_all(fd: int, sink: list[bytes]) -> None:
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the other side closed (EIO)
            return
        if not chunk:
            return
        sink.append(chunk)


def test_a_terminal_shows_upload_and_queue_progress_and_keeps_the_plain_lines(
        stack: ServiceStack, tmp_path: Path, base_image: str, docker_client: Any) -> None:
    stack.start_api()  # no worker yet: the run waits in the queue
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "Dockerfile").write_text(f"FROM {base_image}\nCOPY data.bin /data.bin\n", encoding="utf-8")
    (context / "data.bin").write_bytes(os.urandom(4 << 20))
    args = ["build", "-t", "progress/app:{{.Run.ID}}", "--no-push", str(context)]

    master, slave = pty.openpty()
    env = cli_env(stack, TERM="xterm", COLUMNS="200")
    proc = subprocess.Popen(argv(*args), env=env, cwd=ROOT, stdin=slave, stderr=slave, stdout=subprocess.PIPE)
    os.close(slave)
    screen: list[bytes] = []
    reader = threading.Thread(target=_read_all, args=(master, screen), daemon=True)
    reader.start()
    try:
        wait_until(lambda: b"In queue runs: position 1 of 1" in b"".join(screen), timeout=60, interval=0.1,
                   what="the queue position on the terminal")
        stack.start_worker("w1")
        out, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
        reader.join(10)
        os.close(master)
    terminal = b"".join(screen).decode("utf-8", "replace").replace("\r\n", "\n")  # the tty's ONLCR
    assert proc.returncode == 0, terminal + out.decode()
    frames = [f[1:-3] for f in FRAME.findall(terminal) if f != "\r\x1b[K"]
    assert any(f.startswith("Packing: ") for f in frames), frames
    assert any(re.fullmatch(r"Uploading: .* of 4\.0 MiB \(\d+%\), [\d.]+ \w+/s", f) for f in frames), frames
    assert any(re.fullmatch(r"In queue runs: position 1 of 1, 0 workers listening \(\d+s\)", f)
               for f in frames), frames
    assert FINAL_OK in out.decode()

    # The same command on pipes: no redraw at all, and the same lines once the terminal's are erased.
    try:
        piped = cli(stack, *args, env=cli_env(stack, TERM="xterm"))
    finally:
        for image in docker_client.images.list(name="progress/app"):
            for tag in image.tags:
                docker_client.images.remove(tag, force=True)
    assert piped.rc == 0 and "\r" not in piped.err and "\x1b" not in piped.err
    ids = re.compile(r"ID: \S+")
    shown = ids.sub("ID: X", ARCHIVE.sub("A", FRAME.sub("", terminal))).splitlines()
    # The terminal also has the no-worker hint (the run waited without a worker); the pipe's run did not wait.
    assert [line for line in shown if not line.startswith("tasks-engine: ")] == \
        ids.sub("ID: X", ARCHIVE.sub("A", piped.err)).splitlines()
