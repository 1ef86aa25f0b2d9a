"""`.dockerignore` semantics: moby/patternmatcher's test tables (TestMatches, TestMatch, ReadAll) and
docker-py-style walks over a real tree."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tasks_engine.errors import EngineError
from tasks_engine.source import DockerignoreError, PatternMatcher, build_matcher, read_dockerignore
from tasks_engine.source.pack import iter_context_paths

EXACT, INEXACT, FAIL = "exact", "inexact", "fail"

# patternmatcher_test.go TestMatches (MatchesOrParentMatches: exact and inexact both match)
MATCHES = [
    ("**", "file", EXACT),
    ("**", "file/", EXACT),
    ("**/", "file", EXACT),
    ("**/", "file/", EXACT),
    ("**", "/", EXACT),
    ("**/", "/", EXACT),
    ("**", "dir/file", EXACT),
    ("**/", "dir/file", EXACT),
    ("**", "dir/file/", EXACT),
    ("**/", "dir/file/", EXACT),
    ("**/**", "dir/file", EXACT),
    ("**/**", "dir/file/", EXACT),
    ("dir/**", "dir/file", EXACT),
    ("dir/**", "dir/file/", EXACT),
    ("dir/**", "dir/dir2/file", EXACT),
    ("dir/**", "dir/dir2/file/", EXACT),
    ("**/dir", "dir", EXACT),
    ("**/dir", "dir/file", INEXACT),
    ("**/dir2/*", "dir/dir2/file", EXACT),
    ("**/dir2/*", "dir/dir2/file/", INEXACT),
    ("**/dir2/**", "dir/dir2/dir3/file", EXACT),
    ("**/dir2/**", "dir/dir2/dir3/file/", EXACT),
    ("**file", "file", EXACT),
    ("**file", "dir/file", EXACT),
    ("**/file", "dir/file", EXACT),
    ("**file", "dir/dir/file", EXACT),
    ("**/file", "dir/dir/file", EXACT),
    ("**/file*", "dir/dir/file", EXACT),
    ("**/file*", "dir/dir/file.txt", EXACT),
    ("**/file*txt", "dir/dir/file.txt", EXACT),
    ("**/file*.txt", "dir/dir/file.txt", EXACT),
    ("**/file*.txt*", "dir/dir/file.txt", EXACT),
    ("**/**/*.txt", "dir/dir/file.txt", EXACT),
    ("**/**/*.txt2", "dir/dir/file.txt", FAIL),
    ("**/*.txt", "file.txt", EXACT),
    ("**/**/*.txt", "file.txt", EXACT),
    ("a**/*.txt", "a/file.txt", EXACT),
    ("a**/*.txt", "a/dir/file.txt", EXACT),
    ("a**/*.txt", "a/dir/dir/file.txt", EXACT),
    ("a/*.txt", "a/dir/file.txt", FAIL),
    ("a/*.txt", "a/file.txt", EXACT),
    ("a/*.txt**", "a/file.txt", EXACT),
    ("a[b-d]e", "ae", FAIL),
    ("a[b-d]e", "ace", EXACT),
    ("a[b-d]e", "aae", FAIL),
    ("a[^b-d]e", "aze", EXACT),
    (".*", ".foo", EXACT),
    (".*", "foo", FAIL),
    ("abc.def", "abcdef", FAIL),
    ("abc.def", "abc.def", EXACT),
    ("abc.def", "abcZdef", FAIL),
    ("abc?def", "abcZdef", EXACT),
    ("abc?def", "abcdef", FAIL),
    ("**/foo/bar", "foo/bar", EXACT),
    ("**/foo/bar", "dir/foo/bar", EXACT),
    ("**/foo/bar", "dir/dir2/foo/bar", EXACT),
    ("abc/**", "abc", FAIL),
    ("abc/**", "abc/def", EXACT),
    ("abc/**", "abc/def/ghi", EXACT),
    ("**/.foo", ".foo", EXACT),
    ("**/.foo", "bar.foo", FAIL),
    ("a(b)c/def", "a(b)c/def", EXACT),
    ("a(b)c/def", "a(b)c/xyz", FAIL),
    ("a.|)$(}+{bc", "a.|)$(}+{bc", EXACT),
    (
        "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
        "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
        EXACT,
    ),
    ("dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", EXACT),
    ("a\\\\", "a\\", EXACT),
    ("a\\*b", "a*b", EXACT),
]

MULTI = [
    (["**", "!util/docker/web"], "util/docker/web/foo", FAIL),
    (["**", "!util/docker/web", "util/docker/web/foo"], "util/docker/web/foo", EXACT),
    (
        ["**", "!dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl"],
        "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
        FAIL,
    ),
    (["**", "!dist/*.whl"], "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", FAIL),
    # TestPatternMatches* / TestExclusionPattern*
    (["*"], "fileutils.go", EXACT),
    (["*.go"], "fileutils.go", EXACT),
    (["!fileutils.go", "*.go"], "fileutils.go", EXACT),
    (["docs", "!docs/README.md"], "docs/README.md", FAIL),
    (["docs/", "!docs/README.md"], "docs/README.md", FAIL),
    (["docs/*", "!docs/README.md"], "docs/README.md", FAIL),
    (["*.go", "!fileutils.go"], "fileutils.go", FAIL),
    (["*.go"], ".", FAIL),
    ([], "/any/path/there", FAIL),
    (["docs", "  !docs/README.md  "], "docs/README.md", FAIL),
]

# patternmatcher_test.go matchTests (stolen from Go's filepath Match tests); None = ErrBadPattern
GO_MATCH = [
    ("abc", "abc", True),
    ("*", "abc", True),
    ("*c", "abc", True),
    ("a*", "a", True),
    ("a*", "abc", True),
    ("a*", "ab/c", True),
    ("a*/b", "abc/b", True),
    ("a*/b", "a/c/b", False),
    ("a*b*c*d*e*/f", "axbxcxdxe/f", True),
    ("a*b*c*d*e*/f", "axbxcxdxexxx/f", True),
    ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", False),
    ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", False),
    ("a*b?c*x", "abxbbxdbxebxczzx", True),
    ("a*b?c*x", "abxbbxdbxebxczzy", False),
    ("ab[c]", "abc", True),
    ("ab[b-d]", "abc", True),
    ("ab[e-g]", "abc", False),
    ("ab[^c]", "abc", False),
    ("ab[^b-d]", "abc", False),
    ("ab[^e-g]", "abc", True),
    ("a\\*b", "a*b", True),
    ("a\\*b", "ab", False),
    ("a?b", "a☺b", True),
    ("a[^a]b", "a☺b", True),
    ("a???b", "a☺b", False),
    ("a[^a][^a][^a]b", "a☺b", False),
    ("[a-ζ]*", "α", True),
    ("*[a-ζ]", "A", False),
    ("a?b", "a/b", False),
    ("a*b", "a/b", False),
    ("[\\]a]", "]", True),
    ("[\\-]", "-", True),
    ("[x\\-]", "x", True),
    ("[x\\-]", "-", True),
    ("[x\\-]", "z", False),
    ("[\\-x]", "x", True),
    ("[\\-x]", "-", True),
    ("[\\-x]", "a", False),
    ("[]a]", "]", None),
    ("[-]", "-", None),
    ("[x-]", "x", None),
    ("[x-]", "-", None),
    ("[x-]", "z", None),
    ("[-x]", "x", None),
    ("[-x]", "-", None),
    ("[-x]", "a", None),
    ("\\", "a", None),
    ("[a-b-c]", "a", None),
    ("[", "a", None),
    ("[^", "a", None),
    ("[^bc", "a", None),
    ("a[", "a", None),
    ("a[", "ab", None),
    ("*x", "xxx", True),
]


@pytest.mark.parametrize(("pattern", "text", "expected"), MATCHES)
def test_moby_matches_table(pattern: str, text: str, expected: str) -> None:
    assert PatternMatcher([pattern]).matches(text) is (expected != FAIL)


@pytest.mark.parametrize(("patterns", "text", "expected"), MULTI)
def test_moby_multi_pattern_table(patterns: list[str], text: str, expected: str) -> None:
    assert PatternMatcher(patterns).matches(text) is (expected != FAIL)


@pytest.mark.parametrize(("pattern", "text", "expected"), GO_MATCH)
def test_go_filepath_match_table(pattern: str, text: str, expected: bool | None) -> None:
    if expected is None:
        with pytest.raises(DockerignoreError, match="syntax error"):
            PatternMatcher([pattern])
    else:
        assert PatternMatcher([pattern]).matches(text) is expected


def test_lone_exclamation_is_an_error() -> None:
    with pytest.raises(DockerignoreError, match="illegal exclusion"):
        PatternMatcher(["!"])


def test_read_dockerignore_like_ignorefile_readall() -> None:
    content = "\ufefftest1\n/test2\n/a/file/here\n\nlastfile\n# this is a comment\n! /inverted/abs/path\n!\n! "
    assert read_dockerignore(content) == ["test1", "test2", "a/file/here", "lastfile", "!inverted/abs/path", "!", "!"]
    assert read_dockerignore("./foo/\nfoo//bar/../baz\n  # not a comment once indented\r\n") == [
        "foo",
        "foo/baz",
        "# not a comment once indented",
    ]


def make_tree(root: Path, files: list[str]) -> None:
    for name in files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(name)


TREE = [
    "Dockerfile",
    "a.py",
    "cde.py",
    "foo/a.py",
    "foo/b.py",
    "foo/bar/a.py",
    "bar/a.py",
    "docs/README.md",
    "docs/guide.md",
    "node_modules/x/index.js",
    "build/Dockerfile.prod",
    ".git/config",
    ".gitignore",
    "sub/.git/config",
]


def sent(root: Path, ignore: str | None, *, dockerfile: str | None = None, **kw: object) -> set[str]:
    if ignore is not None:
        (root / ".dockerignore").write_text(ignore)
    return set(iter_context_paths(root, dockerfile=dockerfile, **kw))  # type: ignore[arg-type]


def files_only(root: Path, paths: set[str]) -> set[str]:
    return {p for p in paths if not (root / p).is_dir()}


def test_walk_excludes_directory_contents_and_reincludes(tmp_path: Path) -> None:
    make_tree(tmp_path, TREE)
    got = files_only(tmp_path, sent(tmp_path, "docs\n!docs/README.md\nnode_modules\n*.py\n!foo/*.py\n"))
    assert got == {
        "Dockerfile",
        ".dockerignore",
        "docs/README.md",
        "foo/a.py",
        "foo/b.py",
        "build/Dockerfile.prod",
        "sub/.git/config",
        # "*.py" does not cross "/": only top-level .py files are excluded, as in Docker
        "foo/bar/a.py",
        "bar/a.py",
    }


def test_walk_wildcard_reinclude_descends(tmp_path: Path) -> None:
    make_tree(tmp_path, TREE)
    got = files_only(tmp_path, sent(tmp_path, "docs\n!*/README.md\n"))
    assert "docs/README.md" in got and "docs/guide.md" not in got


def test_dockerfile_and_dockerignore_always_sent(tmp_path: Path) -> None:
    make_tree(tmp_path, TREE)
    got = files_only(tmp_path, sent(tmp_path, "*\n", dockerfile="build/Dockerfile.prod"))
    assert got == {".dockerignore", "build/Dockerfile.prod"}
    got = files_only(tmp_path, sent(tmp_path, "**\n"))
    assert got == {".dockerignore", "Dockerfile"}


def test_acr_default_excludes_top_level_only(tmp_path: Path) -> None:
    make_tree(tmp_path, TREE)
    got = sent(tmp_path, None)
    assert ".git" not in got and ".gitignore" not in got and ".git/config" not in got
    assert "sub/.git/config" in got
    got = sent(tmp_path, None, acr_default_excludes=False)
    assert ".git/config" in got and ".gitignore" in got


def test_dockerfile_specific_ignore_file(tmp_path: Path) -> None:
    make_tree(tmp_path, [*TREE, "build/Dockerfile.prod.dockerignore", "app.Dockerfile"])
    (tmp_path / "build/Dockerfile.prod.dockerignore").write_text("foo\n")
    (tmp_path / ".dockerignore").write_text("bar\n")
    got = sent(tmp_path, None, dockerfile="build/Dockerfile.prod")
    assert "foo/a.py" not in got and "bar/a.py" in got
    # ACR's spelling: <basename>.dockerignore in the context root
    (tmp_path / "app.Dockerfile.dockerignore").write_text("docs\n")
    got = sent(tmp_path, None, dockerfile="app.Dockerfile")
    assert "docs/README.md" not in got and "bar/a.py" in got


def test_extra_excludes_have_last_word(tmp_path: Path) -> None:
    make_tree(tmp_path, TREE)
    got = sent(tmp_path, "!node_modules\n", extra_excludes=["node_modules"])
    assert not any(p.startswith("node_modules") for p in got)


def test_build_matcher_reincludes_only_when_needed() -> None:
    matcher = build_matcher("*.md\n.dockerignore\n", dockerfile="Dockerfile")
    assert not matcher.matches(".dockerignore")
    assert matcher.matches("README.md")


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.text(alphabet="ab*?[]^-!\\/. \n#", max_size=12), max_size=6),
    st.lists(st.text(alphabet="ab/.*[]\\", min_size=1, max_size=10), max_size=5),
)
def test_random_patterns_only_raise_project_errors(patterns: list[str], paths: list[str]) -> None:
    try:
        matcher = PatternMatcher(read_dockerignore("\n".join(patterns)))
    except EngineError:
        return
    for path in paths:
        assert matcher.matches(path) in (True, False)


def test_inverted_range_is_an_error_like_dockers_regexp() -> None:
    with pytest.raises(DockerignoreError, match="range"):
        PatternMatcher(["[?-/]"])
