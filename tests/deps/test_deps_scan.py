"""Dockerfile scanning: acr-builder's scan/dependencies_test.go cases, spec §8.17, and our improvements."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tasks_engine.deps import DockerfileError, parse_dockerfile, scan_dockerfile
from tasks_engine.errors import DefinitionError

ASPNET = """# This dockerfile is just a test resource and is not buildable
ARG runtime_version="2.0.6"
FROM microsoft/aspnetcore:${runtime_version} AS base
WORKDIR /app
EXPOSE 80

FROM base AS secondary
RUN nothing

ARG build_image
ARG build_version=2.0
FROM microsoft/$build_image:$build_version AS builder
WORKDIR /src
COPY *.sln ./
RUN dotnet restore
COPY . .
RUN dotnet build -c Release -o /app

FROM builder AS publish
RUN dotnet publish -c Release -o /app

FROM imaginary/cert-generator:1.0
RUN generate-cert.sh

FROM secondary AS production
WORKDIR /app
COPY --from=publish /app .
COPY --from=3 /cert /app
ENTRYPOINT ["dotnet", "Web.dll"]"""

GOLANG_SCRATCH = """FROM golang:1.10-alpine AS gobuild-base
RUN apk add --no-cache \\
\tgit \\
\tmake

FROM gobuild-base AS base
WORKDIR /go/src/github.com/scratch/scratch
COPY . .
RUN make static && mv scratch /usr/bin/scratch

FROM scratch
COPY --from=base /usr/bin/scratch /usr/bin/scratch
ENTRYPOINT [ "scratch" ]
CMD [ ]"""


def refs(deps_list: object) -> list[str]:
    return [r.reference for r in deps_list]  # type: ignore[attr-defined]


def test_acr_resolve_dockerfile_dependencies() -> None:
    deps = scan_dockerfile(ASPNET, build_args={"build_image": "aspnetcore-build", "build_version": "2.0.6"})
    assert deps.runtime.reference == "microsoft/aspnetcore:2.0.6"
    assert refs(deps.buildtime) == ["microsoft/aspnetcore-build:2.0.6", "imaginary/cert-generator:1.0"]
    assert [s.name for s in deps.stages] == ["base", "secondary", "builder", "publish", None, "production"]
    assert deps.stages[1].parent_stage == "base"
    assert deps.stages[5].origin == deps.runtime


def test_acr_with_bom() -> None:
    deps = scan_dockerfile("\ufeff" + GOLANG_SCRATCH)
    assert deps.runtime.reference == "scratch:latest"
    assert deps.runtime.is_scratch
    assert refs(deps.buildtime) == ["golang:1.10-alpine"]


def test_acr_with_target_stops_the_scan() -> None:
    text = "FROM scratch AS base\n\tRUN ls\n\tFROM node:lts AS build\n\tRUN ls\n\tFROM nginx:stable AS final\n\tRUN ls"
    deps = scan_dockerfile(text, target="build")
    assert deps.runtime.reference == "node:lts"
    assert refs(deps.buildtime) == ["scratch:latest"]
    assert scan_dockerfile(text, target="BUILD").runtime.reference == "node:lts"


def test_unknown_target_is_an_error() -> None:
    with pytest.raises(DockerfileError, match="target stage 'nope'"):
        scan_dockerfile("FROM a AS b\n", target="nope")


def test_build_args_win_over_arg_defaults_and_first_arg_wins() -> None:
    text = "ARG v=1\nARG v=2\nFROM img:$v\n"
    assert scan_dockerfile(text).runtime.tag == "1"
    assert scan_dockerfile(text, build_args={"v": "9"}).runtime.tag == "9"
    # A bare --build-arg NAME (no value) does not override the default.
    assert scan_dockerfile(text, build_args={"v": None}).runtime.tag == "1"


@pytest.mark.parametrize(
    ("arg", "tag"),
    [('ARG v="1.2"', "1.2"), ("ARG v='1.2'", "1.2"), ("ARG v=1.2", "1.2"), ('ARG v="a b"', None)],
)
def test_quoted_arg_values(arg: str, tag: str | None) -> None:
    text = f"{arg}\nFROM img:${{v}}\n"
    if tag is None:
        with pytest.raises(DockerfileError):
            scan_dockerfile(text)
    else:
        assert scan_dockerfile(text).runtime.tag == tag


def test_dollar_and_braced_variables_and_unknown_empty() -> None:
    deps = scan_dockerfile("ARG r=reg.io\nARG n=app\nFROM $r/${n}:1$unknown\n")
    assert deps.runtime.reference == "reg.io/app:1"


def test_lowercase_from_as_and_alias_chain() -> None:
    deps = scan_dockerfile("from alpine:3 as one\nfrom one as two\nfrom two\n")
    assert deps.runtime.reference == "alpine:3"
    assert deps.buildtime == ()


def test_duplicate_buildtime_deps_collapse() -> None:
    deps = scan_dockerfile("FROM golang AS a\nFROM library/golang:latest AS b\nFROM docker.io/golang\nFROM alpine\n")
    assert refs(deps.buildtime) == ["golang:latest"]
    assert deps.runtime.reference == "alpine:latest"


def test_runtime_not_repeated_in_buildtime() -> None:
    deps = scan_dockerfile("FROM golang AS a\nFROM golang:latest\n")
    assert deps.buildtime == ()


def test_no_from_is_unexpected_format() -> None:
    with pytest.raises(DockerfileError, match="unexpected dockerfile format") as info:
        scan_dockerfile("# only a comment\nRUN echo\n")
    assert isinstance(info.value, DefinitionError)


def test_platform_flag_is_handled() -> None:
    deps = scan_dockerfile(
        "FROM --platform=$BUILDPLATFORM golang:1.22 AS build\nFROM --platform=linux/arm64 alpine\n",
        build_args={"BUILDPLATFORM": "linux/amd64"},
    )
    assert deps.stages[0].platform == "linux/amd64"
    assert deps.stages[1].platform == "linux/arm64"
    assert deps.runtime.reference == "alpine:latest"


def test_unknown_from_flag_is_error_with_line() -> None:
    with pytest.raises(DockerfileError) as info:
        scan_dockerfile("# c\nFROM --nope=1 alpine\n")
    assert info.value.line == 2


@pytest.mark.parametrize(
    ("expr", "env", "expected"),
    [
        ("${V:-3.19}", {}, "3.19"),
        ("${V:-3.19}", {"V": ""}, "3.19"),
        ("${V-3.19}", {"V": ""}, ""),
        ("${V:-3.19}", {"V": "3.18"}, "3.18"),
        ("${V:+3.20}", {"V": "x"}, "3.20"),
        ("${V:+3.20}", {}, ""),
        ("${V+3.20}", {"V": ""}, "3.20"),
        ("${V#v}", {"V": "v3.1"}, "3.1"),
        ("${V%-*}", {"V": "3.1-rc"}, "3.1"),
        ("${V%%.*}", {"V": "3.1.2"}, "3"),
        ("${V##*.}", {"V": "3.1.2"}, "2"),
        ("${V:-${W:-3.0}}", {}, "3.0"),
    ],
)
def test_posix_modifiers_expand_like_docker(expr: str, env: dict[str, str], expected: str) -> None:
    args = "".join(f"ARG {k}={v}\n" for k, v in env.items())
    tag = scan_dockerfile(f"{args}FROM alpine:{expr}x\n").runtime.tag
    assert tag == f"{expected}x"


def test_required_variable_error() -> None:
    with pytest.raises(DockerfileError, match="V"):
        scan_dockerfile("FROM alpine:${V:?must be set}\n")


def test_line_continuation() -> None:
    deps = scan_dockerfile("FROM \\\n  golang:1.22 \\\n  AS build\nRUN echo \\\nFROM nope\nFROM alpine\n")
    assert [s.base for s in deps.stages] == ["golang:1.22", "alpine"]
    assert deps.stages[0].name == "build"


def test_comments_and_blank_lines_inside_continuation() -> None:
    deps = scan_dockerfile("RUN a \\\n# FROM hidden\n\n  b\nFROM alpine\n")
    assert [s.base for s in deps.stages] == ["alpine"]


def test_escape_directive_backtick() -> None:
    deps = scan_dockerfile("# escape=`\nFROM `\n  mcr.microsoft.com/windows/servercore:ltsc2022\n")
    assert deps.runtime.registry == "mcr.microsoft.com"


def test_parser_directives_only_at_top() -> None:
    parsed = parse_dockerfile("# syntax=docker/dockerfile:1\n# escape=`\nFROM a\n")
    assert parsed.directives == {"syntax": "docker/dockerfile:1", "escape": "`"}
    late = parse_dockerfile("FROM a\n# escape=`\n")
    assert late.directives == {}


def test_bad_directive_values() -> None:
    with pytest.raises(DockerfileError, match="escape"):
        scan_dockerfile("# escape=x\nFROM a\n")
    with pytest.raises(DockerfileError, match="only one"):
        scan_dockerfile("# syntax=a\n# syntax=b\nFROM a\n")


def test_heredocs_are_not_instructions() -> None:
    text = (
        "FROM golang AS build\n"
        "RUN <<EOF\nFROM evil\nEOF\n"
        'COPY <<-"EOT" /x <<TWO\n\tFROM evil2\n\tEOT\nFROM evil3\nTWO\n'
        "FROM alpine\n"
    )
    deps = scan_dockerfile(text)
    assert [s.base for s in deps.stages] == ["golang", "alpine"]
    parsed = parse_dockerfile(text)
    copy = parsed.instructions[2]
    assert copy.keyword == "COPY"
    assert [h.name for h in copy.heredocs] == ["EOT", "TWO"]
    assert copy.heredocs[0].body == "FROM evil2"


def test_unterminated_heredoc() -> None:
    with pytest.raises(DockerfileError, match="unterminated heredoc") as info:
        scan_dockerfile("FROM a\nRUN <<EOF\necho\n")
    assert info.value.line == 2


def test_arg_with_several_names() -> None:
    deps = scan_dockerfile("ARG a=reg.io b=app\nFROM $a/$b\n")
    assert deps.runtime.reference == "reg.io/app:latest"
    assert deps.args == {"a": "reg.io", "b": "app"}


def test_arg_default_uses_earlier_arg() -> None:
    assert scan_dockerfile("ARG v=3\nARG img=alpine:$v\nFROM $img\n").runtime.tag == "3"


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("FROM\n", 1, "one or three"),
        ("FROM a b\n", 1, "one or three"),
        ("FROM a AS\n", 1, "one or three"),
        ("FROM a FOR b\n", 1, "'AS'"),
        ("\nFROM a AS 1bad\n", 2, "invalid name"),
        ("FROM $EMPTY\n", 1, "should not be blank"),
        ("FROM Bad/Name\n", 1, "lowercase"),
        ("ARG\nFROM a\n", 1, "ARG requires"),
        ("ARG =x\nFROM a\n", 1, "blank"),
        ("FROM a:${V\n", 1, "substitution"),
        ("FROM 'a\n", 1, "matching"),
    ],
)
def test_errors_have_line_numbers(text: str, line: int, fragment: str) -> None:
    with pytest.raises(DockerfileError) as info:
        scan_dockerfile(text, file="app/Dockerfile")
    assert info.value.line == line
    assert fragment in str(info.value)
    assert info.value.problems[0].file == "app/Dockerfile"


def test_every_from_recorded_in_order() -> None:
    deps = scan_dockerfile("FROM c\nFROM b\nFROM a AS x\nFROM x\nFROM z\n")
    assert refs(deps.buildtime) == ["c:latest", "b:latest", "a:latest"]
    assert [s.index for s in deps.stages] == [0, 1, 2, 3, 4]


_WORDS = st.sampled_from(
    [
        "FROM",
        "from",
        "ARG",
        "AS",
        "as",
        "RUN",
        "COPY",
        "<<EOF",
        "EOF",
        "\\",
        "`",
        "#",
        "# escape=`",
        "$",
        "${",
        "}",
        ":-",
        "a",
        "b=1",
        "alpine",
        "x:1",
        "--platform=linux",
        '"',
        "'",
        "\n",
        " ",
        "\t",
        "\ufeff",
        "=",
        "@",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_WORDS, max_size=30).map("".join), st.text(max_size=40))
def test_random_dockerfile_text_never_crashes(text: str, noise: str) -> None:
    for candidate in (text, text + noise, noise):
        with contextlib.suppress(DockerfileError):
            scan_dockerfile(candidate, build_args={"b": "2"}, target=None)
        with contextlib.suppress(DockerfileError):
            parse_dockerfile(candidate)
