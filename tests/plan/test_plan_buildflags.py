"""The build-string parser: docker's flag forms, ACR's default context, errors that name the flag."""

from __future__ import annotations

import shlex

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tasks_engine.errors import DefinitionError
from tasks_engine.plan.buildflags import SUPPORTED_FLAGS, BuildFlagError, parse_build_args


def test_plain_acr_form() -> None:
    spec = parse_build_args("-t myreg.azurecr.io/web:ab1 -f Dockerfile .")
    assert spec.tags == ["myreg.azurecr.io/web:ab1"]
    assert spec.dockerfile == "Dockerfile"
    assert spec.context == "."
    assert spec.build_args == {}
    assert not spec.pull and not spec.no_cache


@pytest.mark.parametrize(
    "text",
    [
        "-t x:1 .",
        "-t=x:1 .",
        "-tx:1 .",
        "--tag x:1 .",
        "--tag=x:1 .",
        ". -t x:1",
    ],
)
def test_every_tag_form(text: str) -> None:
    spec = parse_build_args(text)
    assert spec.tags == ["x:1"]
    assert spec.context == "."


def test_equals_forms_acr_misses() -> None:
    spec = parse_build_args("--build-arg=K=V=W --tag=a --tag b -f=sub/Dockerfile ctx")
    assert spec.build_args == {"K": "V=W"}
    assert spec.tags == ["a", "b"]
    assert spec.dockerfile == "sub/Dockerfile"
    assert spec.context == "ctx"


def test_bare_build_arg_means_from_environment() -> None:
    spec = parse_build_args("--build-arg HTTP_PROXY --build-arg A=1 --build-arg A=2 .")
    assert spec.build_args == {"HTTP_PROXY": None, "A": "2"}


def test_boolean_before_context_does_not_hide_it() -> None:
    # ACR reads "." as the value of --pull and falls back to "."; a git URL would be lost (spec §8.16).
    spec = parse_build_args("--pull https://github.com/org/repo.git#main:app -t x")
    assert spec.pull is True
    assert spec.context == "https://github.com/org/repo.git#main:app"


@pytest.mark.parametrize(
    ("text", "pull", "no_cache"),
    [
        ("--pull --no-cache .", True, True),
        ("--pull=false --no-cache=true .", False, True),
        ("--pull=1 --no-cache=F .", True, False),
        ("--rm=false --force-rm -q --quiet=true .", False, False),
    ],
)
def test_boolean_forms(text: str, pull: bool, no_cache: bool) -> None:
    spec = parse_build_args(text)
    assert (spec.pull, spec.no_cache) == (pull, no_cache)


def test_every_value_flag() -> None:
    spec = parse_build_args(
        "--target final --label a=b --label solo --platform linux/arm64 --network host "
        "--add-host db:10.0.0.2 --add-host v6:::1 --add-host eq=1.2.3.4 --shm-size 1g --isolation default "
        "--cache-from a:1 --cache-from=b:2 --progress plain ."
    )
    assert spec.target == "final"
    assert spec.labels == {"a": "b", "solo": ""}
    assert spec.platform == "linux/arm64"
    assert spec.network == "host"
    assert spec.add_hosts == {"db": "10.0.0.2", "v6": "::1", "eq": "1.2.3.4"}
    assert spec.shm_size == "1g"
    assert spec.isolation == "default"
    assert spec.cache_from == ["a:1", "b:2"]


def test_shorthand_chain() -> None:
    spec = parse_build_args("-qt app:1 -fDockerfile.dev .")
    assert spec.tags == ["app:1"]
    assert spec.dockerfile == "Dockerfile.dev"


def test_quotes_are_shell_words() -> None:
    spec = parse_build_args("--build-arg 'MSG=hello world' --label \"k=a b\" .")
    assert spec.build_args == {"MSG": "hello world"}
    assert spec.labels == {"k": "a b"}


def test_no_context_defaults_to_dot_like_acr() -> None:
    assert parse_build_args("-t x").context == "."
    assert parse_build_args("").context == "."


def test_double_dash_ends_flags() -> None:
    assert parse_build_args("-t x -- -weird-dir").context == "-weird-dir"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("--squash .", "unknown docker build flag '--squash'"),
        ("--no-cahce .", "did you mean '--no-cache'?"),
        ("-x .", "unknown docker build flag '-x'"),
        ("-t", "'-t' needs a value"),
        ("-t --pull .", "'-t' needs a value"),
        ("--tag= .", "'--tag' needs a value"),
        ("--pull=maybe .", "takes true or false"),
        ("a b", "exactly one context"),
        ("-", "stdin"),
        ("'unbalanced", "cannot split"),
        ("--build-arg =v .", "no variable name"),
        ("--add-host nohost .", "HOST:IP"),
    ],
)
def test_errors_name_the_problem(text: str, needle: str) -> None:
    with pytest.raises(BuildFlagError) as info:
        parse_build_args(text)
    assert needle in info.value.message
    assert isinstance(info.value, DefinitionError)
    assert info.value.problems and needle in info.value.problems[0].message


def test_unknown_flag_lists_supported_ones() -> None:
    with pytest.raises(BuildFlagError) as info:
        parse_build_args("--ssh default .")
    assert info.value.flag == "--ssh"
    for name in SUPPORTED_FLAGS:
        assert name in info.value.message


# --- properties -------------------------------------------------------------------------------------------

_word = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), min_size=0, max_size=12
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(_word, st.sampled_from(["-t", "--pull", "-f", "--build-arg", "=", "--", "-", "'"])))
)
def test_random_input_gives_spec_or_own_error(parts: list[str]) -> None:
    text = " ".join(parts)
    try:
        spec = parse_build_args(text)
    except BuildFlagError as exc:
        assert exc.message
    else:
        assert spec.context


_safe = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._/:-", min_size=1, max_size=10).filter(
    lambda s: not s.startswith("-")
)
_key = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ_", min_size=1, max_size=6)
_value = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=8
)


@settings(max_examples=200, deadline=None)
@given(
    tags=st.lists(_safe, max_size=3),
    args=st.dictionaries(_key, st.one_of(st.none(), _value), max_size=3),
    context=_safe,
    pull=st.booleans(),
    form=st.sampled_from(["space", "equals"]),
    context_first=st.booleans(),
)
def test_generated_flags_round_trip(
    tags: list[str],
    args: dict[str, str | None],
    context: str,
    pull: bool,
    form: str,
    context_first: bool,
) -> None:
    words: list[str] = []
    for tag in tags:
        words += ["-t", tag] if form == "space" else [f"--tag={tag}"]
    for key, value in args.items():
        item = key if value is None else f"{key}={value}"
        words += ["--build-arg", item] if form == "space" else [f"--build-arg={item}"]
    if pull:
        words.append("--pull")
    words = [context, *words] if context_first else [*words, context]
    spec = parse_build_args(shlex.join(words))
    assert spec.tags == tags
    assert spec.build_args == args
    assert spec.context == context
    assert spec.pull is pull
