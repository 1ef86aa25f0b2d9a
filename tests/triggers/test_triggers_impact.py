"""Static cascade impact: generations by longest path, cycles, generation limit, disabled tasks."""

from __future__ import annotations

import pytest

from tasks_engine.triggers import (
    BaseImage,
    BaseImageTrigger,
    DependencyIndex,
    DependencyKind,
    TaskNode,
    cycles_through,
    find_cycles,
    impact,
)

R = DependencyKind.RUNTIME


def node(task: str, bases: list[str], outputs: list[str], *, enabled: bool = True) -> TaskNode:
    return TaskNode(
        task,
        {b: BaseImage(b, R, "sha256:old") for b in bases},
        {o: "sha256:out" for o in outputs},
        BaseImageTrigger(enabled=enabled),
    )


def idx(*nodes: TaskNode) -> DependencyIndex:
    return DependencyIndex({n.task: n for n in nodes})


def img(name: str) -> str:
    return f"reg.example.com/{name}:1"


def test_chain_base_mid_app() -> None:
    index = idx(node("mid", [img("base")], [img("mid")]), node("app", [img("mid")], [img("app")]))
    result = impact(index, img("base"))
    assert [(g.number, [t.task for t in g.tasks]) for g in result.generations] == [(1, ["mid"]), (2, ["app"])]
    assert result.cycles == () and result.beyond_limit == ()
    assert result.to_dict()["generations"][1] == {"generation": 2, "tasks": [{"task": "app", "via": [img("mid")]}]}


def test_diamond_rebuilds_once_after_everything_upstream() -> None:
    index = idx(node("mid", [img("base")], [img("mid")]), node("app", [img("base"), img("mid")], []))
    result = impact(index, img("base"))
    assert result.generation_of("mid") == 1
    assert result.generation_of("app") == 2
    assert result.tasks == ("mid", "app")
    app = result.generations[1].tasks[0]
    assert app.via == (img("base"), img("mid"))


def test_longest_path_wins() -> None:
    index = idx(
        node("a", [img("base")], [img("a")]),
        node("b", [img("a")], [img("b")]),
        node("c", [img("b")], [img("c")]),
        node("t", [img("base"), img("c")], []),
    )
    assert impact(index, img("base")).generation_of("t") == 4


def test_cycles_are_detected_and_reported() -> None:
    index = idx(node("a", [img("base"), img("b")], [img("a")]), node("b", [img("a")], [img("b")]))
    result = impact(index, img("base"))
    assert [c.tasks for c in result.cycles] == [("a", "b")]
    assert result.cycles[0].describe() == "a → b → a"
    assert set(result.tasks) == {"a", "b"}
    assert [c.tasks for c in find_cycles(index)] == [("a", "b")]


def test_self_loop_is_a_cycle() -> None:
    index = idx(node("self", [img("self")], [img("self")]))
    assert [c.tasks for c in find_cycles(index)] == [("self",)]
    assert [c.tasks for c in impact(index, img("self")).cycles] == [("self",)]


def test_generation_limit() -> None:
    chain = [node("t1", [img("base")], [img("o1")])]
    chain += [node(f"t{i}", [img(f"o{i - 1}")], [img(f"o{i}")]) for i in range(2, 8)]
    result = impact(idx(*chain), img("base"))
    assert [g.number for g in result.generations] == [1, 2, 3, 4, 5]
    assert result.beyond_limit == ("t6", "t7")
    assert impact(idx(*chain), img("base"), max_generations=7).beyond_limit == ()
    with pytest.raises(ValueError):
        impact(idx(*chain), img("base"), max_generations=0)


def test_disabled_dependants_are_listed_not_followed() -> None:
    index = idx(node("off", [img("base")], [img("off")], enabled=False), node("after", [img("off")], []))
    result = impact(index, img("base"))
    assert result.tasks == () and result.disabled == ("off",)


def test_unknown_image_has_no_impact() -> None:
    assert impact(idx(), "node:20").generations == ()
    assert impact(idx(), "node:20").image == "registry.hub.docker.com/library/node:20"


def test_a_long_chain_does_not_recurse() -> None:
    n = 3000
    chain = [node("t0", [img("base")], [img("o0")])] + [
        node(f"t{i}", [img(f"o{i - 1}")], [img(f"o{i}")]) for i in range(1, n)
    ]
    result = impact(idx(*chain), img("base"), max_generations=n)
    assert result.generation_of(f"t{n - 1}") == n


def test_creation_time_checks_find_self_triggers_and_new_cycles() -> None:
    index = idx(node("a", [img("base"), img("b")], [img("a")]))
    assert [c.tasks for c in cycles_through(index, node("b", [img("a")], [img("b")]))] == [("a", "b")]
    assert [c.tasks for c in cycles_through(index, node("s", [img("s")], [img("s")]))] == [("s",)]
    assert cycles_through(index, node("c", [img("a")], [img("c")])) == ()
