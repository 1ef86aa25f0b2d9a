"""Secret masking: plain, split across chunks, base64, multi-line, overlaps; also through the executor."""

from __future__ import annotations

import base64

from hypothesis import given, settings
from hypothesis import strategies as st

from tasks_engine.backends.fake import AttemptScript, FakeBackend, fail, ok
from tasks_engine.runtime.masking import SecretMasker

SECRET = "s3cr3t-Passw0rd"


def collect(masker: SecretMasker, chunks: list[str]) -> list[str]:
    out: list[str] = []
    buf = masker.line_buffer(out.append)
    for chunk in chunks:
        buf.write(chunk)
    buf.flush()
    return out


def test_plain_value_is_masked() -> None:
    m = SecretMasker([SECRET])
    assert m.mask(f"password={SECRET}; again {SECRET}") == "password=***; again ***"


def test_value_split_across_chunks_is_masked() -> None:
    m = SecretMasker([SECRET])
    assert collect(m, ["login s3cr", "3t-Pass", "w0rd ok\nnext ", "line"]) == ["login *** ok", "next line"]


def test_only_complete_lines_are_emitted_until_flush() -> None:
    out: list[str] = []
    buf = SecretMasker([SECRET]).line_buffer(out.append)
    buf.write("partial s3cr")
    assert out == []
    buf.write("3t-Passw0rd\r\nrest")
    assert out == ["partial ***"]
    buf.flush()
    assert out == ["partial ***", "rest"]


def test_base64_forms_are_masked() -> None:
    m = SecretMasker(["sec?ret>>value"])
    std = base64.b64encode(b"sec?ret>>value").decode()
    url = base64.urlsafe_b64encode(b"sec?ret>>value").decode()
    assert std != url
    assert m.mask(f"a {std} b") == "a *** b"
    assert m.mask(f"a {url} b") == "a *** b"
    assert m.mask(f"a {std.rstrip('=')} b") == "a *** b"


def test_base64_inside_longer_encoded_string_at_every_alignment() -> None:
    m = SecretMasker([SECRET])
    for prefix in ("", "u", "us", "user:", "user:x"):
        for suffix in ("", "!", "!!", "@registry"):
            encoded = base64.b64encode(f"{prefix}{SECRET}{suffix}".encode()).decode()
            masked = m.mask(f"auth: {encoded}")
            assert "***" in masked, (prefix, suffix)
            # what survives is at most the chars that also depend on the neighbours
            assert len(masked) < len(f"auth: {encoded}") - 10


def test_docker_config_auth_is_masked() -> None:
    m = SecretMasker(["hunter2hunter2"])
    auth = base64.b64encode(b"admin:hunter2hunter2").decode()
    assert "***" in m.mask('{"auths":{"r.io":{"auth":"' + auth + '"}}}')


def test_multi_line_secret_is_masked_line_by_line() -> None:
    key = "-----BEGIN KEY-----\nMIIEvQIBADANBgkq\n-----END KEY-----"
    m = SecretMasker([key])
    lines = collect(m, ["-----BEGIN KEY-----\nMIIEvQ", "IBADANBgkq\n-----END KEY-----\n"])
    assert lines == ["***", "***", "***"]
    assert m.mask(f"key is {key}") == "key is ***"


def test_short_and_empty_secrets_are_ignored() -> None:
    m = SecretMasker(["", "a", "ab"])
    assert not m
    assert m.mask("a b ab abc") == "a b ab abc"
    assert SecretMasker(["abc"]).mask("xabcx") == "x***x"
    assert SecretMasker(["ab"], min_length=1).mask("xabx") == "x***x"


def test_overlapping_and_nested_secrets() -> None:
    m = SecretMasker(["abcdef", "defghi", "cde"])
    assert m.mask("xxabcdefghiyy") == "xx***yy"
    assert m.mask("cde") == "***"
    assert SecretMasker(["aaa"]).mask("aaaa") == "***"


def test_long_line_without_newline_is_cut_outside_secrets() -> None:
    m = SecretMasker([SECRET])
    out: list[str] = []
    buf = m.line_buffer(out.append, max_line=40)
    text = ("x" * 30 + SECRET) * 20
    for i in range(0, len(text), 7):
        buf.write(text[i : i + 7])
    buf.flush()
    joined = "".join(out)
    assert SECRET not in joined
    assert joined == m.mask(text)
    assert len(out) > 1


@settings(max_examples=200, deadline=None)
@given(
    before=st.text(alphabet="ab \n=:", max_size=30),
    after=st.text(alphabet="ab \n=:", max_size=30),
    cuts=st.lists(st.integers(min_value=0, max_value=100), max_size=6),
)
def test_random_chunking_never_leaks(before: str, after: str, cuts: list[int]) -> None:
    m = SecretMasker([SECRET])
    text = before + SECRET + after
    points = sorted({min(c, len(text)) for c in cuts})
    chunks = [text[i:j] for i, j in zip([0, *points], [*points, len(text)], strict=True)]
    lines = collect(m, chunks)
    assert all(SECRET not in line for line in lines)
    expected = text.split("\n")
    if expected[-1] == "":
        expected.pop()
    assert lines == [m.mask(line) for line in expected]


def test_executor_masks_step_output_engine_lines_and_errors(kit) -> None:
    backend = FakeBackend(
        {
            "a": ok(0.0, "token=s3cr", "3t-Passw0rd\n", base64.b64encode(SECRET.encode()).decode() + "\n"),
            "b": AttemptScript(start_error=f"denied for {SECRET}"),
        }
    )
    out = kit.run(kit.plan(kit.step("a"), kit.step("b", "a")), backend, secrets=[SECRET])
    assert out.sink.texts(step_id="a", engine=False) == ["token=***", "***"]
    rendered = out.sink.render()
    assert SECRET not in rendered
    assert out.result.error is not None and SECRET not in out.result.error.message
    assert out.step("b").error == "denied for ***"


def test_executor_flushes_partial_output_at_attempt_end(kit) -> None:
    backend = FakeBackend({"a": [fail(1, 0.0, "no newline at end"), ok(0.0, "second")]})
    out = kit.run(kit.plan(kit.step("a", retries=1)), backend)
    assert out.sink.texts(step_id="a", engine=False) == ["no newline at end", "second"]


@settings(max_examples=200, deadline=None)
@given(
    data=st.binary(min_size=1, max_size=20),
    prefix=st.binary(max_size=7),
    suffix=st.binary(max_size=7),
    urlsafe=st.booleans(),
)
def test_stable_inner_base64_is_stable(
    data: bytes, prefix: bytes, suffix: bytes, urlsafe: bool
) -> None:
    from tasks_engine.runtime.masking import _stable_b64

    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    inner = _stable_b64(data, len(prefix) % 3, urlsafe=urlsafe)
    assert inner in encode(prefix + data + suffix).decode()
