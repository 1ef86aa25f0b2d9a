"""``docker run`` options at the start of a cmd, env quote removal, the registry cache reference."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tasks_engine.plan.cache import cache_ref_for
from tasks_engine.plan.normalize import StepValueError, remove_quotes
from tasks_engine.plan.pflag import FlagError
from tasks_engine.plan.runflags import RUN_FLAGS, parse_cmd_line


def test_tutorial_tty_flag_then_image() -> None:
    line = parse_cmd_line("-t myreg.azurecr.io/hello-world:cf1")
    assert (line.image, line.args, line.options) == ("myreg.azurecr.io/hello-world:cf1", [], {"tty": True})


def test_flags_stop_at_the_image() -> None:
    line = parse_cmd_line("-it --rm img -t -e X=1")
    assert line.image == "img"
    assert line.args == ["-t", "-e", "X=1"]
    assert line.options == {"interactive": True, "tty": True}


@pytest.mark.parametrize(
    "cmd",
    ["-e A=1 --env B=2 -eC=3 --env=D=4 img", "--env A=1 -e=B=2 -e C=3 -e D=4 img"],
)
def test_both_forms_of_value_flags(cmd: str) -> None:
    assert parse_cmd_line(cmd).folded["env"] == ["A=1", "B=2", "C=3", "D=4"]


def test_folded_and_kept_options() -> None:
    line = parse_cmd_line(
        "-d --privileged=false -p 80:80 -w /srv -u 1 --entrypoint 'my tool' --network=net --cpus 1.5 "
        "--pull always --name web --network-alias w2 -v /data --mount type=tmpfs,target=/t -h box img arg"
    )
    assert line.folded == {
        "detach": True, "privileged": False, "ports": ["80:80"], "workingDirectory": "/srv", "user": "1",
        "entryPoint": "'my tool'", "network": "net", "cpus": "1.5", "pull": "always",
    }
    assert line.options == {
        "name": "web", "networkAliases": ["w2"], "volumes": ["/data"], "mounts": ["type=tmpfs,target=/t"],
        "hostname": "box",
    }


@pytest.mark.parametrize(
    ("cmd", "needle"),
    [
        ("--env-file /etc/environment img", "--env-file is not allowed"),
        ("--volumes-from other img", "--volumes-from is not allowed"),
        ("--link db img", "--link is not allowed"),
        ("--runtime runc img", "--runtime is not allowed"),
        ("--bogus img", "unknown docker run flag '--bogus'"),
        ("-e", "needs a value"),
        ("-t", "names no image after its docker run options"),
        ("", "names no image"),
        ("'unterminated", "cannot split cmd into words"),
    ],
)
def test_refused_and_malformed(cmd: str, needle: str) -> None:
    with pytest.raises(FlagError, match=needle):
        parse_cmd_line(cmd)


def test_every_flag_has_one_key_and_long_name() -> None:
    keys = [f.key for f in RUN_FLAGS]
    assert len(keys) == len(set(keys))
    assert all(any(n.startswith("--") for n in f.names) for f in RUN_FLAGS)


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ('NAME="value"', "NAME=value"),
        ('NAME="a b"', "NAME=a b"),
        ("NAME='$HOME \"x\"'", 'NAME=$HOME "x"'),
        ('NAME="$HOME"', "NAME=$HOME"),  # no expansion
        ('NAME="say \\"hi\\" \\$x \\n"', 'NAME=say "hi" $x \\n'),
        ("NAME=a\\ b", "NAME=a b"),
        ("NAME=plain", "NAME=plain"),
        ('"NAME=v"', "NAME=v"),
        ("NAME=", "NAME="),
    ],
)
def test_quote_removal(entry: str, expected: str) -> None:
    assert remove_quotes(entry) == expected


@pytest.mark.parametrize("entry", ['NAME="open', "NAME='open"])
def test_unterminated_quotes(entry: str) -> None:
    with pytest.raises(StepValueError, match="unterminated"):
        remove_quotes(entry)


@given(st.text(alphabet=st.characters(blacklist_characters="'\"\\"), max_size=30))
def test_quote_removal_leaves_unquoted_text_alone(text: str) -> None:
    assert remove_quotes(text) == text


@pytest.mark.parametrize(
    ("tags", "task", "registry", "expected"),
    [
        # acr-builder TestGetCmdForBuildCache
        (["test.com/repo:tag"], "fooTask", "", "test.com/repo:cache_fooTask_step0"),
        (["sub-dom1.foo.com/bar/baz/quux"], "", "", "sub-dom1.foo.com/bar/baz/quux:cache_quickrun_step0"),
        (["a", "b", "c"], "", "sam.azurecr.io", "sam.azurecr.io/a:cache_quickrun_step0"),
        (["a", "sam.azurecr.io/foo", "c"], "", "sam.azurecr.io", "sam.azurecr.io/foo:cache_quickrun_step0"),
        (["127.0.0.1:5000/app@sha256:" + "f" * 64], "t", "", "127.0.0.1:5000/app:cache_t_step0"),
        (["app:1"], "t", "", None),
        ([], "t", "r.io", None),
    ],
)
def test_cache_ref(tags: list[str], task: str, registry: str, expected: str | None) -> None:
    assert cache_ref_for(tags, task_name=task, step_id="step0", registry=registry) == expected
