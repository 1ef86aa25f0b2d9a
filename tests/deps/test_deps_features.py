"""Which builder a Dockerfile needs: BuildKit-only syntax, newer-frontend syntax, secret ids, syntax lines."""

from __future__ import annotations

import pytest

from tasks_engine.deps.features import LABS, scan_features, too_new_message


@pytest.mark.parametrize(
    ("text", "what", "line"),
    [
        ("FROM a\nRUN --mount=type=cache,target=/root/.cache pip install x\n", "RUN --mount=type=cache", 2),
        ("FROM a\nRUN --mount=type=secret,id=npm npm ci\n", "RUN --mount=type=secret", 2),
        ("FROM a\nRUN --mount=target=/src make\n", "RUN --mount=type=bind", 2),
        ("FROM a\nCOPY --chmod=755 run.sh /\n", "COPY --chmod", 2),
        ("FROM --platform=$BUILDPLATFORM golang AS build\n", "FROM using $BUILDPLATFORM", 1),
        ("FROM a\nARG TARGETARCH\nRUN echo $TARGETARCH\n", "ARG TARGETARCH (set automatically by BuildKit)", 2),
        ("# syntax=docker/dockerfile:1\nFROM a\n", "# syntax=docker/dockerfile:1", 1),
        ("FROM a\nRUN <<EOF\necho hi\nEOF\n", "RUN <<EOF (heredoc)", 2),
        ("FROM a\nCOPY --link . /app\n", "COPY --link", 2),
    ],
)
def test_first_buildkit_feature(text: str, what: str, line: int) -> None:
    needs = scan_features(text).needs_buildkit
    assert needs is not None
    assert (needs.what, needs.line) == (what, line)


@pytest.mark.parametrize(
    "text",
    [
        "FROM a\nRUN echo --mount=type=cache\n",  # a word of the command, not a flag
        "FROM a\nARG TARGETARCH=amd64\n",  # a default makes it an ordinary ARG
        "FROM a\nCOPY --chown=1:1 . /\n",
        "# escape=`\nFROM a\n",
    ],
)
def test_classic_dockerfiles_need_nothing(text: str) -> None:
    assert scan_features(text).needs_buildkit is None


def test_secret_ids_from_id_or_target() -> None:
    features = scan_features(
        "FROM a\nRUN --mount=type=secret,id=npm --mount=type=secret,target=/run/secrets/pip_conf x\n"
    )
    assert features.secret_ids == {"npm", "pip_conf"}


@pytest.mark.parametrize(
    ("text", "version", "expected"),
    [
        ("FROM a\nRUN <<EOF\nx\nEOF\n", "20.10.24+dfsg1", "23.0"),
        ("FROM a\nRUN <<EOF\nx\nEOF\n", "23.0.1", None),
        ("FROM a\nADD --checksum=sha256:00 https://x/y /y\n", "23.0.6", "24.0"),
        ("FROM a\nADD --checksum=sha256:00 https://x/y /y\n", "24.0.7", None),
        ("FROM a\nCOPY --parents a/b /\n", "27.1.0", LABS),
        ("FROM a\nRUN --mount=type=cache,target=/c x\n", "18.09.0", None),
    ],
)
def test_too_new_for_the_daemon(text: str, version: str, expected: str | None) -> None:
    feature = scan_features(text).too_new_for(version)
    assert (feature.needs if feature else None) == expected


def test_too_new_message_names_instruction_version_and_syntax_way_out() -> None:
    feature = scan_features("FROM a\nCOPY --link . /\n").too_new_for("20.10.24")
    assert feature is not None
    message = too_new_message(feature, docker_version="20.10.24", file="Dockerfile")
    assert message.startswith("Dockerfile line 2: COPY --link needs Docker 23.0 or newer")
    assert "# syntax=docker/dockerfile:1" in message
    labs = scan_features("FROM a\nRUN --security=insecure x\n").too_new_for("27.0")
    assert labs is not None
    assert "1-labs" in too_new_message(labs, docker_version="27.0", file="Dockerfile")
