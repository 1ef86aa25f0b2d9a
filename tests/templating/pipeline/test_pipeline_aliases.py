"""Alias pre-processing: block separation, the substitution state machine, resolution and validation,
command-image expansion (ports of acr-builder graph/preprocessor_test.go and preprocessing-stress.yaml)."""

from __future__ import annotations

import string
from collections.abc import Callable

import pytest
import yaml

from tasks_engine.templating.aliases import (
    AliasError,
    builtin_aliases,
    default_image_aliases,
    expand_command_alias,
    parse_alias_block,
    parse_alias_source,
    resolve_aliases,
    separate_alias_block,
    substitute_aliases,
    validate_directive,
)

ALPHANUMERIC = {c: c for c in string.ascii_letters + string.digits}
ALPHANUMERIC_FILE = "\n".join(f'"{c}": "{c}"' for c in ALPHANUMERIC) + "\n"


def loader_for(files: dict[str, str]) -> Callable[[str], str]:
    def load(name: str) -> str:
        return files[name]

    return load


def preprocess(text: str, files: dict[str, str] | None = None) -> str:
    """acr-builder PreprocessBytes: separate, parse (unrendered), resolve, substitute."""
    split = separate_alias_block(text)
    spec = parse_alias_block(split.alias_text)
    load = loader_for(files or {})
    aliases, directive = resolve_aliases(spec, builtins=builtin_aliases(), load_source=load)
    return substitute_aliases(split.rest_text, aliases, directive)[0]


# ----------------------------------------------------------------------------------------- separation


def test_separate_alias_block() -> None:
    text = (
        "version: v1.1.0\n"
        "alias:\n"
        "  values:\n"
        "    repo: web\n"
        "  # comment inside\n"
        "  directive: '&'\n"
        "steps:\n"
        "  - cmd: x\n"
    )
    split = separate_alias_block(text)
    assert split.alias_text == "alias:\n  values:\n    repo: web\n  directive: '&'\n"
    assert split.rest_text == "version: v1.1.0\nsteps:\n  - cmd: x\n"
    assert split.alias_offset == text.index("alias:")


def test_separate_alias_block_ends_at_column0_list_item_with_colon() -> None:
    text = "alias:\n  values:\n    a: b\n- x: y\nrest: 1"
    split = separate_alias_block(text)
    assert split.alias_text == "alias:\n  values:\n    a: b\n"
    assert split.rest_text == "- x: y\nrest: 1\n"  # every kept line is re-terminated


def test_separate_alias_block_needs_column_0() -> None:
    text = "steps:\n  alias: 1\n  - cmd: x\n"
    split = separate_alias_block(text)
    assert split.alias_text == ""
    assert split.alias_offset is None
    assert split.rest_text == text


def test_separate_drops_cr_and_comment_lines() -> None:
    split = separate_alias_block("a: 1\r\n  # c\r\nb: 2")
    assert split.rest_text == "a: 1\nb: 2\n"


def test_alias_keyword_variants() -> None:
    assert separate_alias_block("alias  :\n  values: {}\n").alias_text == "alias  :\n  values: {}\n"
    assert separate_alias_block("aliases:\n  x: 1\n").alias_text == ""


# ------------------------------------------------------------------------------------- state machine

ALIASES = {"a": "A", "b": "B", "ID": "{{.Run.ID}}", "Registry": "{{.Run.Registry}}", "foo": ".Values.bar"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$$", "$"),
        ("$$HOME", "$HOME"),
        ("echo $$$$", "echo $$"),
        ("$HOME", "$HOME"),
        ("${X}", "${X}"),
        ("$(date)", "$(date)"),
        ("$ID2", "$ID2"),
        ("$ID", "{{.Run.ID}}"),
        ("$Registry/$ID", "{{.Run.Registry}}/{{.Run.ID}}"),
        ("$a$b", "AB"),
        ("$a$b$a.", "ABA."),
        ("$unknown$ID", "$unknown$ID"),
        ("$unknown$a", "$unknown$a"),
        ("{{$foo}}", "{{.Values.bar}}"),
        ("x $ y", "x $ y"),
        ("end $", "end $"),  # flushed by the scanning space
        ("end $a", "end A"),
        ("end $zz", "end $zz"),
        ("$a-$b_$c", "A-B_$c"),
        ("no aliases here", "no aliases here"),
        ("", ""),
        ("trailing space ", "trailing space "),
        ("$a\n$b\n", "A\nB\n"),
        ("é$aé", "éAé"),
    ],
)
def test_substitution_state_machine(text: str, expected: str) -> None:
    assert substitute_aliases(text, ALIASES)[0] == expected


def test_custom_directive_leaves_dollar_literal() -> None:
    aliases = {"a": "A", "HOME": "nope"}
    assert substitute_aliases("&a $HOME && &&a", aliases, "&")[0] == "A $HOME & &a"


def test_multibyte_directive() -> None:
    assert substitute_aliases("8🐳0🐳0🐳0 🐳a $a", {"0": "0", "a": "A"}, "🐳")[0] == "8000 A $a"


def test_alias_values_are_not_rescanned() -> None:
    # acr-builder#528: a regex value containing "$" is inserted verbatim.
    aliases = {"filter": "^v[0-9]+$", "x": "$a"}
    assert substitute_aliases("--filter '$filter' $x", aliases)[0] == "--filter '^v[0-9]+$' $a"


def test_substitution_source_map() -> None:
    text = "ab $a cd\n$ID z"
    out, source_map = substitute_aliases(text, ALIASES)
    assert out == "ab A cd\n{{.Run.ID}} z"
    assert source_map.to_source(0) == (0, True)
    assert source_map.to_source(out.index("A")) == (text.index("$a"), False)
    assert source_map.to_source(out.index(" cd")) == (text.index(" cd"), True)
    assert source_map.to_source(out.index("{{")) == (text.index("$ID"), False)
    assert source_map.to_source(out.index("z")) == (text.index("z"), True)


# ---------------------------------------------------------------------- preprocessing-stress.yaml

EXPECTED = """\
stepTimeout: 600
version: v1.1.0

env:
  - "foo=taskEnv"

steps:
  - id: puller
    cmd: azure/images/docker pull ubuntu
    entryPoint: someEntryPoint
    env: [eric=foo, foo=bar]
    exitedWithout: [0, 255]
    workingDirectory: pullDir
    retries: 5
    retryDelay: 90
    pull: true

  - id: build-qux
    cmd: "azure/images/acr-builder build -f Dockerfile https://github.com/ehotinger/qux --cache-from=ubuntu"
    when: ["-"]
    detach: true
    startDelay: 50

  - id: C
    cmd: blah
    when: ["-"]
    ports:
      - "8000:8000"
      - "8080:8080"
    expose:
      - "80"
      - "81"
    exitedWith: [0, 1, 2, 3, 4]
    keep: true
    isolation: default

  - id: build-bar
    cmd: azure/images/acr-builder build -f Dockerfile https://github.com/ehotinger/bar --cache-from=ubuntu
    when: ["-"]

  - id: B
    when: [C]
    cmd: azure/images/git clone https://github.com/ehotinger/clone
    ignoreErrors: true
    disableWorkingDirectoryOverride: true

  - id: build-foo
    cmd: azure/images/acr-builder build -f Dockerfile https://github.com/ehotinger/foo --cache-from=ubuntu
    env: ["eric=foo"]
    when: [build-qux]

  - id: build-qaz
    build: "-f Dockerfile https://github.com/ehotinger/qaz --cache-from=ubuntu"
    privileged: true
    user: root
    network: "host"
    repeat: 2
"""

CHAINING_UNICODE = """\
alias:
  src:
    - testdata/preprocessor/alphanumeric-external.yaml
  directive: 🐳

stepTimeout: 600
version: v1.1.0

env:
  - "foo=taskEnv"

steps:
  - 🐳i🐳d: puller
    cmd: azure/images/docker pull ubuntu
    entryPoint: someEntryPoint
    env: [eric=foo, foo=bar]
    exitedWithout: [0, 255]
    workingDirectory: pullDir
    retries: 5
    retryDelay: 90
    pull: true

  - id: build-qux
    cmd: "azure/images/acr-builder build -f Dockerfile https://github.com/ehotinger/qux --cache-from=ubuntu"
    when: ["-"]
    detach: true
    startDelay: 50

  - id: 🐳C
    cmd: blah
    when: ["-"]
    ports:
      - "8000:8🐳0🐳0🐳0"
      - "8080:8🐳0🐳8🐳0"
    expose:
      - "80"
      - "81"
    exitedWith: [0, 1, 2, 3, 4]
    keep: true
    isolation: default

  - id: build-bar
    cmd: azure/images/acr-builder build -🐳f Dockerfile https://github.com/ehotinger/bar --cache-from=ubuntu
    when: ["-"]

  - id: 🐳B
    when: [🐳C]
    cmd: azure/images/git clone https://github.com/ehotinger/clone
    ignoreErrors: true
    disableWorkingDirectoryOverride: true

  - id: build-foo
    cmd: azure/images/acr-builder build -f Dockerfile https://github.com/ehotinger/foo --cache-from=ubuntu
    env: ["eric=foo"]
    when: [build-qux]

  - id: build-qaz
    build: "-f Dockerfile https://github.com/ehotinger/qaz --cache-from=ubuntu"
    privileged: true
    user: root
    network: "host"
    repeat: 2
"""

MULTILINE = """\
alias:
  values:
    buildQux: |
      id: build-qux
          cmd: 'azure/images/acr-builder build -f Dockerfile https://github.com/ehotinger/qux --cache-from=ubuntu'
          when: ["-"]
          detach: true
          startDelay: 50
    C: |
      id: C
          cmd: blah
          when: ["-"]
          ports:
            - "8000:8000"
            - "8080:8080"
          expose:
            - "80"
            - "81"
          exitedWith: [0, 1, 2, 3, 4]
          keep: true
          isolation: default
    buildBar: |
      id: build-bar
          cmd: azure/images/acr-builder build -f Dockerfile https://github.com/ehotinger/bar --cache-from=ubuntu
          when: ["-"]
    Puller: |
      id: puller
          cmd: azure/images/docker pull ubuntu
          entryPoint: someEntryPoint
          env: [eric=foo, foo=bar]
          exitedWithout: [0, 255]
          workingDirectory: pullDir
          retries: 5
          retryDelay: 90
          pull: true
    B: |
      id: B
          when: [C]
          cmd: azure/images/git clone https://github.com/ehotinger/clone
          ignoreErrors: true
          disableWorkingDirectoryOverride: true
    buildFoo: |
      id: build-foo
          cmd: azure/images/acr-builder build -f Dockerfile https://github.com/ehotinger/foo --cache-from=ubuntu
          env: ["eric=foo"]
          when: [build-qux]
    buildQuaz: |
      id: build-qaz
          build: "-f Dockerfile https://github.com/ehotinger/qaz --cache-from=ubuntu"
          privileged: true
          user: root
          network: "host"
          repeat: 2

stepTimeout: 600
version: v1.1.0

env:
  - "foo=taskEnv"

steps:
  - $Puller
  - $buildQux
  - $C
  - $buildBar
  - $B
  - $buildFoo
  - $buildQuaz
"""

ESCAPE = """\
alias:
  values:
    puller: "break"
    azure: "break"
    images: "break"
    docker: "break"

stepTimeout: 600
version: v1.1.0

env:
  - "foo=taskEnv"

steps:
  - id: $$puller
    cmd: $$azure/$$images/$$docker pull ubuntu
    entryPoint: $$someEntryPoint
    env: [eric=foo, foo=bar]
    exitedWithout: [0, 255]
    workingDirectory: pullDir
    retries: 5
    retryDelay: 90
    pull: true
"""

EXPECTED_ESCAPE = """\
stepTimeout: 600
version: v1.1.0

env:
  - "foo=taskEnv"

steps:
  - id: $puller
    cmd: $azure/$images/$docker pull ubuntu
    entryPoint: $someEntryPoint
    env: [eric=foo, foo=bar]
    exitedWithout: [0, 255]
    workingDirectory: pullDir
    retries: 5
    retryDelay: 90
    pull: true
"""

NO_USE_ALIAS = """\
alias:
  values:
    puller: "break"
    azure: "break"
    images: "break"
    docker: "break"
    id: "break"
    build: "break"

"""


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (CHAINING_UNICODE, EXPECTED),
        (MULTILINE, EXPECTED),
        (ESCAPE, EXPECTED_ESCAPE),
        (EXPECTED, EXPECTED),
        (NO_USE_ALIAS + EXPECTED, EXPECTED),
    ],
    ids=["chaining-directive-unicode", "multiline-alias", "escape", "no-alias", "alias-no-use"],
)
def test_preprocessing_stress(source: str, expected: str) -> None:
    files = {"testdata/preprocessor/alphanumeric-external.yaml": ALPHANUMERIC_FILE}
    assert yaml.safe_load(preprocess(source, files)) == yaml.safe_load(expected)


def test_unicode_chaining_exact_text() -> None:
    files = {"a.yaml": ALPHANUMERIC_FILE}
    text = "alias:\n  src: [a.yaml]\n  directive: 🐳\nports: 8000:8🐳0🐳0🐳0 🐳i🐳d: $ID\n"
    assert preprocess(text, files) == "ports: 8000:8000 id: $ID\n"


# --------------------------------------------------------------------------- resolution / validation


def spec_of(block: str) -> object:
    return parse_alias_block(block)


def test_precedence_values_then_later_src_then_builtins() -> None:
    block = "alias:\n  src: [one.yaml, two.yaml]\n  values:\n    v: from-values\n"
    files = {
        "one.yaml": "v: one\nx: one\ny: one\nbash: one-bash\n",
        "two.yaml": "x: two\n",
    }
    aliases, directive = resolve_aliases(
        parse_alias_block(block), builtins=builtin_aliases(), load_source=loader_for(files)
    )
    assert directive == "$"
    assert aliases["v"] == "from-values"
    assert aliases["x"] == "two"
    assert aliases["y"] == "one"
    assert aliases["bash"] == "one-bash"
    assert aliases["az"] == default_image_aliases()["az"]
    assert aliases["ID"] == "{{.Run.ID}}"


def test_builtins() -> None:
    linux = builtin_aliases()
    assert linux["bash"] == "mcr.microsoft.com/acr/bash:2ff604c"
    assert linux["acr"] == "mcr.microsoft.com/acr/acr-cli:0.19"
    assert set(default_image_aliases()) == {"acr", "az", "bash", "curl", "cssc"}
    assert linux["RegistryName"] == "{{.Run.RegistryName}}"
    assert "TaskName" not in linux
    windows = builtin_aliases(os="windows")
    assert "bash" not in windows
    assert windows["ID"] == "{{.Run.ID}}"
    custom = builtin_aliases(image_aliases={"bash": "localhost:5000/bash:1"})
    assert custom["bash"] == "localhost:5000/bash:1"
    assert "az" not in custom


def test_alias_values_use_yaml_v2_string_semantics() -> None:
    spec = parse_alias_block("alias:\n  values:\n    a: 010\n    b: yes\n    c:\n    d: 'q'\n    e: ~\n")
    assert {e.key: e.value for e in spec.values} == {"a": "010", "b": "yes", "c": "", "d": "q", "e": ""}


@pytest.mark.parametrize("key", ["my-key", "my_key", "my key", "é"])
def test_key_names_must_be_alphanumeric(key: str) -> None:
    block = f"alias:\n  values:\n    '{key}': x\n"
    with pytest.raises(AliasError, match="alias key names only support alphanumeric characters") as info:
        resolve_aliases(parse_alias_block(block), builtins={}, load_source=None)
    assert info.value.offset == block.index(f"'{key}'")


def test_src_key_names_are_validated_too() -> None:
    block = "alias:\n  src: [bad.yaml]\n"
    with pytest.raises(AliasError, match="alphanumeric"):
        resolve_aliases(
            parse_alias_block(block), builtins={}, load_source=loader_for({"bad.yaml": "a-b: x\n"})
        )


@pytest.mark.parametrize(
    ("directive", "message"),
    [
        ("a", "may not be alphanumeric"),
        ("7", "may not be alphanumeric"),
        ("ab", "single character"),
        ("&&&", "single character"),
    ],
)
def test_directive_validation(directive: str, message: str) -> None:
    with pytest.raises(AliasError, match=message):
        validate_directive(directive)


@pytest.mark.parametrize("directive", ["&", "^", "🐳", "é", "#"])
def test_valid_directives(directive: str) -> None:
    assert validate_directive(directive) == directive


def test_empty_directive_means_dollar() -> None:
    assert validate_directive("") == "$"


@pytest.mark.parametrize(
    "block",
    [
        "alias:\n  values:\n    a:\n      nested: map\n",
        "alias:\n  values: [a, b]\n",
        "alias:\n  src: one.yaml\n",
        "alias: just a string\n",
        "alias:\n  values:\n    a: [1]\n",
        "alias:\n  values: {a: b\n",
    ],
)
def test_malformed_alias_blocks(block: str) -> None:
    with pytest.raises(AliasError):
        spec = parse_alias_block(block)
        resolve_aliases(spec, builtins={}, load_source=None)


def test_empty_alias_block_is_fine() -> None:
    aliases, directive = resolve_aliases(parse_alias_block("alias:\n"), builtins={"x": "y"}, load_source=None)
    assert aliases == {"x": "y"}
    assert directive == "$"
    assert parse_alias_block("").values == []


def test_src_without_loader_is_an_error() -> None:
    with pytest.raises(AliasError, match="cannot be loaded"):
        resolve_aliases(parse_alias_block("alias:\n  src: [x.yaml]\n"), builtins={}, load_source=None)


@pytest.mark.parametrize("text", ["- a\n- b\n", "a: {b: c}\n", "{{{\n"])
def test_invalid_alias_source_files(text: str) -> None:
    with pytest.raises(AliasError, match=r"alias source s\.yaml"):
        parse_alias_source(text, "s.yaml")


def test_empty_alias_source_file() -> None:
    assert parse_alias_source("", "e.yaml") == {}
    assert parse_alias_source("# nothing\n", "e.yaml") == {}


# ------------------------------------------------------------------------------ command expansion

PURGE = (
    "purge --registry {{.Run.Registry}} --filter 'samples/devimage1:.*' "
    "--filter 'samples/devimage2:.*' --ago 0d --untagged --dry-run\""
)


@pytest.mark.parametrize(
    ("cmd", "aliases", "expected"),
    [
        (PURGE, {"purge": "acr purge"}, "acr " + PURGE),
        (f"        {PURGE}            ", {"purge": "acr purge"}, "acr " + PURGE),
        ("fakealias --wait 300", {"acr": "acr expanded"}, "fakealias --wait 300"),
        ("acrmixedin --wait 300", {"acr": "acr expanded"}, "acrmixedin --wait 300"),
        ("  purge --x", {"purge": "acr purge"}, "acr purge --x"),
        ("bash echo hi", builtin_aliases(), "mcr.microsoft.com/acr/bash:2ff604c echo hi"),
        ("  untouched  ", {}, "  untouched  "),
        ("", {"": "empty"}, "empty"),
    ],
)
def test_expand_command_alias(cmd: str, aliases: dict[str, str], expected: str) -> None:
    assert expand_command_alias(cmd, aliases) == expected
