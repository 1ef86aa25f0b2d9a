"""Uploaded contexts over the real API: upload + quick build pushed to the registry, digest checks, signed
blob fetches for workers, and the size caps (413)."""

from __future__ import annotations

import hashlib
import io
import tarfile
import time
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest
from api_support import client, full_log, wait_status
from harness import ServiceStack

from tasks_engine.service.blobauth import sign_blob

pytestmark = pytest.mark.integration


def targz(files: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, int(time.time())
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def test_upload_then_build_pushes_to_the_registry(stack: ServiceStack, base_image: str) -> None:
    stack.start_api()
    stack.start_worker("w1")
    archive = targz({"Dockerfile": f"FROM {base_image}\nRUN echo hi\n"})
    digest = "sha256:" + hashlib.sha256(archive).hexdigest()
    with client(stack) as api:
        uploaded = api.post("/v1/uploads", content=archive, headers={"Content-Type": "application/gzip",
                                                                      "X-Content-SHA256": digest})
        assert uploaded.status_code == 201, uploaded.text
        assert uploaded.json() == {"digest": digest, "size": len(archive)}
        tag = f"{stack.registry}/te-api/app:{{{{.Run.ID}}}}"
        reply = api.post("/v1/runs", json={"kind": "build", "context": f"upload:{digest}",
                                           "build": {"tags": [tag], "buildArgs": ["A=1"]}})
        assert reply.status_code == 201, reply.text
        run_id = reply.json()["runId"]
        assert reply.json()["runType"] == "QuickBuild"
        record = wait_status(api, run_id, {"Succeeded", "Failed", "Error", "Canceled", "Timeout"}, timeout=180)
        log = full_log(api, run_id).decode()
        assert record["status"] == "Succeeded", log
        assert f"{stack.registry}/te-api/app:{run_id}" in log
        assert any(image.get("tag") == run_id for image in record["outputImages"]), record["outputImages"]
    request = urllib.request.Request(f"http://{stack.registry}/v2/te-api/app/manifests/{run_id}", method="HEAD",
                                     headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json,"
                                                        "application/vnd.oci.image.manifest.v1+json"})
    with urllib.request.urlopen(request, timeout=10) as manifest:
        assert manifest.status == 200


def test_digests_are_checked_and_blob_fetches_need_a_signature(stack: ServiceStack) -> None:
    stack.start_api()
    archive = targz({"acb.yaml": "steps: []\n"})
    digest = "sha256:" + hashlib.sha256(archive).hexdigest()
    with client(stack) as api:
        wrong = api.post("/v1/uploads", content=archive, headers={"X-Content-SHA256": "sha256:" + "0" * 64})
        assert wrong.status_code == 422 and wrong.json()["error"]["fields"][0]["field"] == "X-Content-SHA256"
        malformed = api.post("/v1/uploads", content=archive, headers={"X-Content-SHA256": "md5:abc"})
        assert malformed.status_code == 422
        assert api.post("/v1/uploads", content=archive).json()["digest"] == digest
        blobs = stack.state_root / "blobs"
        assert sorted(p.name for p in blobs.iterdir()) == [digest.replace(":", "-")]  # no partial leftovers
        unsigned = api.get(f"/v1/blobs/{digest}")
        assert unsigned.status_code == 401
        expires, signature = sign_blob(digest, stack.key)
        fetched = api.get(f"/v1/blobs/{digest}", params={"expires": expires, "signature": signature})
        assert fetched.status_code == 200 and fetched.content == archive
        assert fetched.headers["X-Content-SHA256"] == digest
        old_expires, old_signature = sign_blob(digest, stack.key, now=time.time() - 3600)
        assert api.get(f"/v1/blobs/{digest}", params={"expires": old_expires,
                                                      "signature": old_signature}).status_code == 401
        other = "sha256:" + "1" * 64
        assert api.get(f"/v1/blobs/{other}", params={"expires": expires, "signature": signature}).status_code == 401
        expires, signature = sign_blob(other, stack.key)
        assert api.get(f"/v1/blobs/{other}", params={"expires": expires, "signature": signature}).status_code == 404
    with client(stack, token=None) as anonymous:
        assert anonymous.post("/v1/uploads", content=archive).status_code == 401


def test_bodies_above_their_caps_are_413(stack_factory: Callable[..., ServiceStack]) -> None:
    stack = stack_factory(maxUploadBytes="64KiB", maxRequestBytes="16KiB")
    stack.start_api()
    big = bytes(range(256)) * 300  # 76,800 bytes
    with client(stack) as api:
        declared = api.post("/v1/uploads", content=big)
        assert declared.status_code == 413, declared.text
        assert declared.json()["error"]["code"] == "too_large"

        def chunks() -> Any:
            for start in range(0, len(big), 8192):
                yield big[start:start + 8192]

        streamed = api.post("/v1/uploads", content=chunks())  # chunked: no Content-Length to refuse early
        assert streamed.status_code == 413, streamed.text
        assert not [p for p in (stack.state_root / "blobs").glob("*")], "a refused upload leaves nothing behind"
        assert api.post("/v1/uploads", content=big[:60000]).status_code == 201
        task = "x" * 20000
        too_big = api.post("/v1/runs", json={"kind": "cmd", "cmd": task})
        assert too_big.status_code == 413 and "service.maxRequestBytes" in too_big.json()["error"]["message"]
