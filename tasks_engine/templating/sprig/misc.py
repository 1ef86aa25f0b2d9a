"""Environment, UUIDs, slash paths (Go's ``path`` package), flow control (``fail``, Helm's ``required``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ._sig import FuncTable, GoType, go_func


def go_expand(s: str, mapping: Callable[[str], str]) -> str:
    """Go ``os.Expand``: ``$VAR``/``${VAR}``; bad ``${`` syntax is eaten; a lone ``$`` stays."""
    out: list[str] = []
    i = 0
    j = 0
    n = len(s)
    while j < n:
        if s[j] == "$" and j + 1 < n:
            out.append(s[i:j])
            name, w = _shell_name(s[j + 1 :])
            if name == "" and w > 0:
                pass
            elif name == "":
                out.append("$")
            else:
                out.append(mapping(name))
            j += w
            i = j + 1
        j += 1
    return "".join(out) + s[i:]


def _is_special(c: str) -> bool:
    return c in "*#$@!?-0123456789"


def _shell_name(s: str) -> tuple[str, int]:
    if s[0] == "{":
        if len(s) > 2 and _is_special(s[1]) and s[2] == "}":
            return s[1:2], 3
        for i in range(1, len(s)):
            if s[i] == "}":
                if i == 1:
                    return "", 2
                return s[1:i], i + 1
        return "", 1
    if _is_special(s[0]):
        return s[0:1], 1
    i = 0
    while i < len(s) and (s[i] == "_" or (s[i].isascii() and s[i].isalnum())):
        i += 1
    return s[:i], i


def path_clean(p: str) -> str:
    """Go ``path.Clean``: purely lexical, slash-separated."""
    if p == "":
        return "."
    rooted = p.startswith("/")
    parts: list[str] = []
    for seg in p.split("/"):
        if seg in ("", "."):
            continue
        if seg == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append("..")
            continue
        parts.append(seg)
    out = "/".join(parts)
    if rooted:
        return "/" + out
    return out or "."


def path_base(p: str) -> str:
    if p == "":
        return "."
    p = p.rstrip("/")
    if p == "":
        return "/"
    return p[p.rfind("/") + 1 :]


def path_dir(p: str) -> str:
    return path_clean(p[: p.rfind("/") + 1])


def path_ext(p: str) -> str:
    for i in range(len(p) - 1, -1, -1):
        if p[i] == "/":
            break
        if p[i] == ".":
            return p[i:]
    return ""


def fail(msg: str) -> str:
    raise ValueError(msg)


def required(warn: str, val: object) -> object:
    """Helm's ``required`` (not part of Sprig): nil or "" fails with the given message."""
    if val is None or val == "":
        raise ValueError(warn)
    return val


def misc_functions(environ: Mapping[str, str], new_uuid: Callable[[], str]) -> FuncTable:
    def getenv(name: str) -> str:
        return environ.get(name, "")

    s1: tuple[GoType, ...] = ("string",)
    return {
        "hello": go_func("hello", lambda: "Hello!"),
        "env": go_func("env", getenv, s1),
        "expandenv": go_func("expandenv", lambda s: go_expand(s, getenv), s1),
        "uuidv4": go_func("uuidv4", lambda: str(new_uuid())),
        "base": go_func("base", path_base, s1),
        "dir": go_func("dir", path_dir, s1),
        "clean": go_func("clean", path_clean, s1),
        "ext": go_func("ext", path_ext, s1),
        "isAbs": go_func("isAbs", lambda p: p.startswith("/"), s1),
        "fail": go_func("fail", fail, s1),
        "required": go_func("required", required, ("string", "any")),
    }
