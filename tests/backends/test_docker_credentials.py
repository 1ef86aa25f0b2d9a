"""Registry credentials: both input forms, masking, matching by registry."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tasks_engine.backends.docker import RegistryCredential, normalize_registry, parse_credential
from tasks_engine.credentials import credential_for
from tasks_engine.errors import UsageError


def test_json_form_as_acr_passes_it() -> None:
    text = json.dumps(
        {"registry": "r.example.com", "username": "u", "password": "p@ss", "userNameProviderType": "opaque"}
    )
    assert parse_credential(text) == RegistryCredential("r.example.com", "u", "p@ss")


def test_short_form_keeps_colons_in_the_password() -> None:
    cred = parse_credential("127.0.0.1:5000=alice:pa:ss=word")
    assert (cred.registry, cred.username, cred.password) == ("127.0.0.1:5000", "alice", "pa:ss=word")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "expected 'registry=username:password'"),
        ("registry-only", "expected 'registry=username:password'"),
        ("r=useronly", "expected 'username:password'"),
        ("r=:pw", "expected 'username:password'"),
        ("{not json", "not valid JSON"),
        ("[1]", "expected 'registry=username:password'"),
        ('{"registry": "r", "username": "u"}', "'password' must be a non-empty string"),
        ('{"registry": "r", "username": "u", "password": "p", "extra": 1}', "unknown key(s) extra"),
        ('{"registry": "r", "username": "u", "password": "p", "passwordProviderType": "vaultsecret"}', "vaultsecret"),
        ('{"registry": "r", "username": "u", "password": "p", "identity": "[system]"}', "managed identities"),
    ],
)
def test_bad_credentials_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(UsageError, match="invalid credential") as info:
        parse_credential(text)
    assert message in str(info.value)


def test_password_never_in_repr_or_str() -> None:
    cred = RegistryCredential("r", "u", "hunter2")
    assert "hunter2" not in repr(cred)
    assert "hunter2" not in str(cred)
    assert "***" in repr(cred)
    assert cred.auth_config()["password"] == "hunter2"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://127.0.0.1:5000/", "127.0.0.1:5000"),
        ("index.docker.io", "docker.io"),
        ("https://index.docker.io/v1/", "registry-1.docker.io"),
        ("MyReg.Example.com", "myreg.example.com"),
    ],
)
def test_registry_spellings_match(a: str, b: str) -> None:
    assert normalize_registry(a) == normalize_registry(b)
    assert RegistryCredential(a, "u", "p").matches(b)


def test_last_credential_for_a_registry_wins() -> None:
    creds = [
        RegistryCredential("r", "old", "1"),
        RegistryCredential("other", "x", "2"),
        RegistryCredential("r", "new", "3"),
    ]
    found = credential_for(creds, "r")
    assert found is not None and found.username == "new"
    assert credential_for(creds, "nope") is None


@given(st.text())
def test_any_text_gives_a_credential_or_a_usage_error(text: str) -> None:
    try:
        cred = parse_credential(text)
    except UsageError as exc:
        # A message never echoes a password back.
        _, _, rest = text.partition("=")
        password = rest.partition(":")[2]
        if len(password) > 3:
            assert password not in str(exc)
        return
    assert cred.registry and cred.username and cred.password
    assert repr(cred).endswith("password='***')")


@given(
    st.text(alphabet=st.characters(blacklist_characters="=\n", blacklist_categories=("Cs",)), min_size=1),
    st.text(alphabet=st.characters(blacklist_characters=":", blacklist_categories=("Cs",)), min_size=1),
    st.text(min_size=1),
)
def test_json_round_trip(registry: str, username: str, password: str) -> None:
    text = json.dumps({"registry": registry, "username": username, "password": password})
    assert parse_credential(text) == RegistryCredential(registry, username, password)
