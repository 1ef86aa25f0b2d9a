"""Registry notification envelopes (v1 and v2) → ImagePushed for tagged manifest/index pushes only."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tasks_engine.errors import TriggerError
from tasks_engine.triggers import (
    EVENTS_V1_MEDIA_TYPE,
    EVENTS_V2_MEDIA_TYPE,
    parse_registry_notification,
    update_from_push,
)

Load = Callable[[str], bytes]


def test_v1_envelope_keeps_only_the_tagged_manifest_push(payload_bytes: Load) -> None:
    result = parse_registry_notification(payload_bytes("registry_events_v1.json"), EVENTS_V1_MEDIA_TYPE)
    assert [(p.image, p.digest, p.event_id) for p in result.pushed] == [
        ("registry.example.com:5000/base/debian:12", "sha256:" + "c" * 64, "e3")
    ]
    assert result.pushed[0].media_type == "application/vnd.docker.distribution.manifest.v2+json"
    reasons = {i.event_id: i.reason for i in result.ignored}
    assert set(reasons) == {"e1", "e2", "e4"}
    assert "not a manifest" in reasons["e1"] and "pull events" in reasons["e4"]


def test_v2_envelope_index_with_children_delete_and_mount(payload_bytes: Load) -> None:
    result = parse_registry_notification(
        payload_bytes("registry_events_v2.json"), EVENTS_V2_MEDIA_TYPE + "; charset=utf-8"
    )
    assert [(p.registry, p.repository, p.tag, p.event_id) for p in result.pushed] == [
        ("registry.example.com:5000", "apps/web", "latest", "f3"),
        ("registry.example.com:5000", "library/debian", "bookworm", "f6"),
    ]
    reasons = {i.event_id: i.reason for i in result.ignored}
    assert reasons["f1"] == reasons["f2"] == "manifest pushed by digest (no tag)"
    assert "delete" in reasons["f4"] and "mount" in reasons["f5"]


def test_configured_registry_name_wins_over_request_host(payload_bytes: Load) -> None:
    result = parse_registry_notification(payload_bytes("registry_events_v1.json"), registry="Registry.Internal:5000")
    assert result.pushed[0].registry == "registry.internal:5000"


def test_docker_hub_names_are_normalised_like_the_index() -> None:
    body = {
        "events": [
            {
                "id": "x",
                "action": "push",
                "target": {
                    "mediaType": "application/vnd.oci.image.index.v1+json",
                    "digest": "sha256:" + "d" * 64,
                    "repository": "node",
                    "tag": "20",
                },
                "request": {"host": "docker.io"},
            }
        ]
    }
    result = parse_registry_notification(json.dumps(body).encode())
    assert result.pushed[0].image == "registry.hub.docker.com/library/node:20"


def test_a_bare_acr_style_event_is_a_one_event_envelope() -> None:
    event = {
        "id": "acr-1",
        "timestamp": "2024-01-01T00:00:00Z",
        "action": "push",
        "target": {
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "size": 524,
            "digest": "sha256:" + "e" * 64,
            "length": 524,
            "repository": "hello-world",
            "tag": "v1",
        },
        "request": {"id": "r", "host": "myregistry.azurecr.io", "method": "PUT", "useragent": "docker"},
    }
    result = parse_registry_notification(json.dumps(event).encode(), "application/json")
    assert result.pushed[0].image == "myregistry.azurecr.io/hello-world:v1"


def test_an_all_ignored_envelope_is_not_an_error() -> None:
    result = parse_registry_notification(b'{"events": []}')
    assert result.pushed == () and result.ignored == ()


def _one(**target: Any) -> bytes:
    base = {
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": "sha256:" + "a" * 64,
        "repository": "apps/web",
        "tag": "1",
    }
    base.update(target)
    return json.dumps(
        {"events": [{"id": "i", "action": "push", "target": base, "request": {"host": "reg.example.com"}}]}
    ).encode()


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"{}", None, "expected an envelope"),
        (b'{"events": {}}', None, "events: expected an array"),
        (b'{"events": [1]}', None, r"events\[0\]: expected an object"),
        (b'{"events": [{"action": "push"}]}', None, r"events\[0\].id: required"),
        (_one(digest="not-a-digest"), None, "is not a content digest"),
        (_one(repository="Apps/Web"), None, "lowercase"),
        (_one(), "text/plain", "unsupported content type"),
        (b"<xml/>", None, "not JSON"),
    ],
)
def test_malformed_notifications_are_400(body: bytes, content_type: str | None, message: str) -> None:
    with pytest.raises(TriggerError, match=message) as info:
        parse_registry_notification(body, content_type)
    assert info.value.status == 400


def test_registry_host_without_a_domain_needs_a_configured_name() -> None:
    body = json.dumps(
        {
            "events": [
                {
                    "id": "i",
                    "action": "push",
                    "target": {
                        "mediaType": "application/vnd.oci.image.manifest.v1+json",
                        "digest": "sha256:" + "a" * 64,
                        "repository": "apps/web",
                        "tag": "1",
                    },
                    "request": {"host": "registry"},
                }
            ]
        }
    ).encode()
    with pytest.raises(TriggerError, match="configure the endpoint's registry name"):
        parse_registry_notification(body)
    assert parse_registry_notification(body, registry="registry:5000").pushed[0].registry == "registry:5000"


def test_a_push_becomes_an_external_update(payload_bytes: Load) -> None:
    [pushed] = parse_registry_notification(payload_bytes("registry_events_v1.json")).pushed
    update = update_from_push(pushed)
    assert (update.image, update.digest, update.event_id) == (pushed.image, pushed.digest, "registry:e3")
    assert update.cause.generation == 0 and update.cause.path == ()
