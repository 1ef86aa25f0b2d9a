"""Step output is captured losslessly: quick containers under load, and large outputs byte for byte.

Why: output used to be read with ``logs(follow=True)`` opened after ``start``; a container that exited
within milliseconds could finish before that request reached the daemon, and its whole output was lost
(a flake of test_e2e_secrets). The stream is now attached before the container starts, as ``docker run``
does; these tests fail on the old code within a few dozen containers on 2 cores.
"""

from __future__ import annotations

import hashlib
import threading

import pytest
from docker_harness import Harness, cmd, sh

pytestmark = pytest.mark.integration


def test_many_quick_containers_under_load_lose_no_output(harness: Harness, base_image: str) -> None:
    """48 containers, 6 at a time, each printing a line and exiting at once: every line arrives exactly."""
    failures: list[str] = []
    lock = threading.Lock()

    def worker(offset: int) -> None:
        for n in range(offset, 48, 6):
            token = f"quick-{n}-{'x' * n}"
            got = harness.run(cmd(f"q{n}", base_image, "echo", token))
            if not got.result.ok or got.output != token + "\n":
                with lock:
                    failures.append(f"q{n}: ok={got.result.ok} output={got.output!r}")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


def test_large_output_arrives_byte_for_byte(harness: Harness, base_image: str) -> None:
    """8 MB written just before exit: the same bytes (checksum) come out."""
    script = "yes 0123456789abcdefghijklmnopqrstuvwxyz | head -c 8000000; echo end"
    got = harness.run(sh("big", base_image, script))
    assert got.result.ok, got.result
    expected = ("0123456789abcdefghijklmnopqrstuvwxyz\n" * 300000)[:8000000] + "end\n"
    assert len(got.output) == len(expected)
    assert hashlib.sha256(got.output.encode()).hexdigest() == hashlib.sha256(expected.encode()).hexdigest()
