"""Webhook signatures: GitHub's documented test vector, constant-time comparisons, refusal of empty secrets."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tasks_engine.triggers import sign_github, verify_generic_signature, verify_github_signature, verify_gitlab_token

SECRET = "It's a Secret to Everybody"
BODY = b"Hello, World!"
VECTOR = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


def test_github_documented_test_vector() -> None:
    assert sign_github(BODY, SECRET) == VECTOR
    assert verify_github_signature(BODY, VECTOR, SECRET)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "sha256=",
        VECTOR[:-1],
        VECTOR + "0",
        VECTOR.replace("sha256=", "sha1="),
        VECTOR[len("sha256=") :],
        "sha256=" + "z" * 64,
        "sha256=" + "é" * 64,
        "sha256=" + "0" * 64,
    ],
)
def test_github_rejects_wrong_or_malformed_headers(header: str | None) -> None:
    assert not verify_github_signature(BODY, header, SECRET)


def test_github_accepts_upper_case_hex_and_surrounding_spaces() -> None:
    assert verify_github_signature(BODY, "  SHA256=" + VECTOR[7:].upper() + " ", SECRET)


def test_github_signature_covers_every_byte() -> None:
    assert not verify_github_signature(BODY + b" ", VECTOR, SECRET)
    assert not verify_github_signature(BODY, VECTOR, SECRET + "x")


def test_generic_is_signed_the_github_way() -> None:
    assert verify_generic_signature(BODY, VECTOR, SECRET)


def test_gitlab_token() -> None:
    assert verify_gitlab_token("s3cret", "s3cret")
    assert not verify_gitlab_token("s3cret ", "s3cret")
    assert not verify_gitlab_token("S3CRET", "s3cret")
    assert not verify_gitlab_token(None, "s3cret")
    assert not verify_gitlab_token("", "s3cret")
    assert verify_gitlab_token("ünïcödé", "ünïcödé")


@pytest.mark.parametrize("secret", ["", None])
def test_empty_secrets_are_refused(secret: str | None) -> None:
    with pytest.raises(ValueError, match="non-empty"):
        verify_github_signature(BODY, VECTOR, secret)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="non-empty"):
        verify_gitlab_token("", secret)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="non-empty"):
        sign_github(BODY, secret)  # type: ignore[arg-type]


@given(st.binary(max_size=512), st.text(min_size=1, max_size=40))
def test_sign_then_verify_roundtrip(body: bytes, secret: str) -> None:
    signature = sign_github(body, secret)
    assert verify_github_signature(body, signature, secret)


@given(st.binary(max_size=256), st.text(min_size=1, max_size=20), st.text(min_size=1, max_size=20))
def test_other_secret_never_verifies(body: bytes, secret: str, other: str) -> None:
    if other != secret:
        assert not verify_github_signature(body, sign_github(body, secret), other)


@given(st.text(max_size=100))
def test_arbitrary_headers_never_raise(header: str) -> None:
    verify_github_signature(BODY, header, SECRET)
    verify_gitlab_token(header, SECRET)
