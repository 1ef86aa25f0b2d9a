"""Image references: acr-builder's TestNewImageReference / NormalizeImageTag cases plus grammar checks."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tasks_engine.deps import (
    ImageReferenceError,
    normalize_image_tag,
    normalize_push_refs,
    parse_image_reference,
)
from tasks_engine.errors import DefinitionError, EngineError

HUB = "registry.hub.docker.com"


@pytest.mark.parametrize(
    ("text", "registry", "repository", "tag", "reference"),
    [
        # scan/dependencies_test.go TestNewImageReference
        (
            "registry.hub.docker.com/library/node:16",
            HUB,
            "library/node",
            "16",
            "registry.hub.docker.com/library/node:16",
        ),
        ("library/node:16", HUB, "library/node", "16", "library/node:16"),
        ("node:16", HUB, "library/node", "16", "node:16"),
        (
            "myregistry.azurecr.io/myorg/myimage:mytag",
            "myregistry.azurecr.io",
            "myorg/myimage",
            "mytag",
            "myregistry.azurecr.io/myorg/myimage:mytag",
        ),
        ("myorg/myimage:mytag", HUB, "myorg/myimage", "mytag", "myorg/myimage:mytag"),
        (
            "registry.hub.docker.com/myorg/myimage:mytag",
            HUB,
            "myorg/myimage",
            "mytag",
            "registry.hub.docker.com/myorg/myimage:mytag",
        ),
        # :latest appended (NormalizeImageTag)
        ("golang", HUB, "library/golang", "latest", "golang:latest"),
        ("scratch", HUB, "library/scratch", "latest", "scratch:latest"),
        # deviations: Docker's domain rule and Docker Hub aliases
        ("localhost:5000/x", "localhost:5000", "x", "latest", "localhost:5000/x:latest"),
        ("localhost/x:1", "localhost", "x", "1", "localhost/x:1"),
        ("docker.io/golang:1", HUB, "library/golang", "1", "docker.io/golang:1"),
        ("index.docker.io/me/app", HUB, "me/app", "latest", "index.docker.io/me/app:latest"),
        ("[::1]:5000/a/b:t", "[::1]:5000", "a/b", "t", "[::1]:5000/a/b:t"),
    ],
)
def test_parse_image_reference(text: str, registry: str, repository: str, tag: str, reference: str) -> None:
    ref = parse_image_reference(text)
    assert (ref.registry, ref.repository, ref.tag, ref.reference) == (registry, repository, tag, reference)
    assert ref.digest == ""


def test_digest_is_kept_and_no_latest_added() -> None:
    digest = "sha256:" + "a" * 64
    ref = parse_image_reference(f"b@{digest}")
    assert (ref.tag, ref.digest, ref.reference) == ("", digest, f"b@{digest}")
    assert "tag" not in ref.to_dict()
    both = parse_image_reference(f"reg.io/b:1@{digest}")
    assert (both.registry, both.tag, both.digest) == ("reg.io", "1", digest)
    assert both.canonical == f"reg.io/b:1@{digest}"


def test_scratch_flag_and_to_dict_shape() -> None:
    ref = parse_image_reference("scratch")
    assert ref.is_scratch
    assert list(ref.to_dict()) == ["registry", "repository", "tag", "digest", "reference"]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "UPPER/case",
        "a b",
        "a:",
        "a@sha256:short",
        "-a",
        "a//b",
        "a/",
        ":tag",
        "a:" + "t" * 129,
        "x/" + "a" * 300,
        "a@",
        "reg.io/A:1",
        "a:tag:tag",
        "sha256:abc@",
    ],
)
def test_invalid_references_raise(text: str) -> None:
    with pytest.raises(ImageReferenceError) as info:
        parse_image_reference(text)
    assert isinstance(info.value, DefinitionError)
    assert repr(text) in str(info.value)


def test_uppercase_message() -> None:
    with pytest.raises(ImageReferenceError, match="must be lowercase"):
        parse_image_reference("MyImage")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a", "a:latest"),
        ("a:1", "a:1"),
        ("localhost:5000/a", "localhost:5000/a:latest"),
        ("a@sha256:" + "0" * 64, "a@sha256:" + "0" * 64),
    ],
)
def test_normalize_image_tag(text: str, expected: str) -> None:
    assert normalize_image_tag(text) == expected


def test_normalize_push_refs_spec_8_15() -> None:
    digest = "sha256:" + "b" * 64
    assert normalize_push_refs(["a", "a:latest", f"b@{digest}", "c:1", "a"]) == [
        "a:latest",
        f"b@{digest}",
        "c:1",
    ]


def test_normalize_push_refs_rejects_invalid() -> None:
    with pytest.raises(ImageReferenceError):
        normalize_push_refs(["ok", "Not Valid"])


@given(st.text(max_size=80))
def test_random_text_parses_or_raises_project_error(text: str) -> None:
    try:
        ref = parse_image_reference(text)
    except EngineError:
        return
    assert ref.registry and ref.repository and (ref.tag or ref.digest)
    # Parsing the result again is stable.
    assert parse_image_reference(ref.reference) == ref


@given(st.from_regex(r"[a-z0-9]{1,8}(/[a-z0-9]{1,8}){0,2}(:[a-z0-9]{1,5})?", fullmatch=True))
def test_valid_names_roundtrip(text: str) -> None:
    ref = parse_image_reference(text)
    assert ref.reference.startswith(text)
    assert ref.tag
