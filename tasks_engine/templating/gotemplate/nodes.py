"""Parse tree of a Go template (``text/template/parse/node.go``).

``str(node)`` reproduces Go's ``Node.String()`` because execution errors quote it: ``at <.Values.x>``.
Positions are offsets into the template source (characters, not bytes).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True, eq=False)
class Node:
    pos: int


@dataclass(slots=True, eq=False)
class TextNode(Node):
    text: str

    def __str__(self) -> str:
        from .gostrconv import quote

        return quote(self.text)


@dataclass(slots=True, eq=False)
class ListNode(Node):
    nodes: list[Node] = field(default_factory=list)

    def __str__(self) -> str:
        return "".join(str(n) for n in self.nodes)


@dataclass(slots=True, eq=False)
class DotNode(Node):
    def __str__(self) -> str:
        return "."


@dataclass(slots=True, eq=False)
class NilNode(Node):
    def __str__(self) -> str:
        return "nil"


@dataclass(slots=True, eq=False)
class BoolNode(Node):
    value: bool

    def __str__(self) -> str:
        return "true" if self.value else "false"


@dataclass(slots=True, eq=False)
class NumberNode(Node):
    text: str
    is_int: bool = False
    is_uint: bool = False
    is_float: bool = False
    int_val: int = 0
    float_val: float = 0.0

    def __str__(self) -> str:
        return self.text


@dataclass(slots=True, eq=False)
class StringNode(Node):
    quoted: str
    text: str

    def __str__(self) -> str:
        return self.quoted


@dataclass(slots=True, eq=False)
class IdentifierNode(Node):
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(slots=True, eq=False)
class VariableNode(Node):
    ident: list[str]

    def __str__(self) -> str:
        return ".".join(self.ident)


@dataclass(slots=True, eq=False)
class FieldNode(Node):
    ident: list[str]

    def __str__(self) -> str:
        return "".join("." + i for i in self.ident)


@dataclass(slots=True, eq=False)
class PipeNode(Node):
    decl: list[VariableNode] = field(default_factory=list)
    is_assign: bool = False
    cmds: list[CommandNode] = field(default_factory=list)

    def __str__(self) -> str:
        s = ""
        if self.decl:
            s = ", ".join(str(v) for v in self.decl) + (" = " if self.is_assign else " := ")
        return s + " | ".join(str(c) for c in self.cmds)


@dataclass(slots=True, eq=False)
class ChainNode(Node):
    node: Node
    fields: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        s = f"({self.node})" if isinstance(self.node, PipeNode) else str(self.node)
        return s + "".join("." + f for f in self.fields)


@dataclass(slots=True, eq=False)
class CommandNode(Node):
    args: list[Node] = field(default_factory=list)

    def __str__(self) -> str:
        return " ".join(f"({a})" if isinstance(a, PipeNode) else str(a) for a in self.args)


@dataclass(slots=True, eq=False)
class ActionNode(Node):
    pipe: PipeNode
    delim_pos: int = 0

    def __str__(self) -> str:
        return "{{" + str(self.pipe) + "}}"


@dataclass(slots=True, eq=False)
class BranchNode(Node):
    keyword: str
    pipe: PipeNode
    list: ListNode
    else_list: ListNode | None = None

    def __str__(self) -> str:
        s = "{{" + self.keyword + " " + str(self.pipe) + "}}" + str(self.list)
        if self.else_list is not None:
            s += "{{else}}" + str(self.else_list)
        return s + "{{end}}"


@dataclass(slots=True, eq=False)
class IfNode(BranchNode):
    pass


@dataclass(slots=True, eq=False)
class RangeNode(BranchNode):
    pass


@dataclass(slots=True, eq=False)
class WithNode(BranchNode):
    pass


@dataclass(slots=True, eq=False)
class BreakNode(Node):
    def __str__(self) -> str:
        return "{{break}}"


@dataclass(slots=True, eq=False)
class ContinueNode(Node):
    def __str__(self) -> str:
        return "{{continue}}"


@dataclass(slots=True, eq=False)
class TemplateNode(Node):
    name: str
    pipe: PipeNode | None = None

    def __str__(self) -> str:
        from .gostrconv import quote

        if self.pipe is None:
            return "{{template " + quote(self.name) + "}}"
        return "{{template " + quote(self.name) + " " + str(self.pipe) + "}}"


@dataclass(slots=True, eq=False)
class EndNode(Node):
    def __str__(self) -> str:
        return "{{end}}"


@dataclass(slots=True, eq=False)
class ElseNode(Node):
    def __str__(self) -> str:
        return "{{else}}"
