"""Template execution, a port of ``text/template/exec.go`` over the Python data model.

Value model (see ``values.py``): ``MISSING`` is Go's invalid ``reflect.Value``; ``None`` is a nil
``interface{}`` (what a map lookup of a missing key yields under ``missingkey=zero``). Each pipeline command's
result is "unboxed" like Go does (``value.Elem()``), which turns ``None`` into ``MISSING`` — that is why a
missing key prints ``<no value>`` even with ``missingkey=zero``. A ``boxed`` flag travels with dot and
variables only to reproduce Go's type names in errors (``can't evaluate field x in type interface {}``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .argtypes import ideal_constant, literal_arg, validate_type
from .builtins import (
    BUILTINS,
    IFACE,
    MAP,
    SLICE,
    VALUE,
    CallError,
    FuncSpec,
    is_true,
    spec_for,
)
from .errors import TemplateError
from .gofmt import format_value, sort_map_keys
from .nodes import (
    ActionNode,
    BoolNode,
    BranchNode,
    BreakNode,
    ChainNode,
    CommandNode,
    ContinueNode,
    DotNode,
    FieldNode,
    IdentifierNode,
    IfNode,
    ListNode,
    NilNode,
    Node,
    NumberNode,
    PipeNode,
    RangeNode,
    StringNode,
    TemplateNode,
    TextNode,
    VariableNode,
)
from .parser import Tree
from .sourcemap import LineIndex, Segment
from .values import MISSING, GoMethods, go_type_name

MAX_EXEC_DEPTH = 100


class _NoFinal:
    """Go's ``missingVal``: "no value piped into this command"."""


NO_FINAL = _NoFinal()
_MAX_INT64 = (1 << 63) - 1


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


@dataclass
class Output:
    parts: list[str]
    segments: list[Segment]
    length: int = 0

    def write(self, text: str, src: int, literal: bool) -> None:
        if text:
            self.parts.append(text)
            self.segments.append(Segment(self.length, self.length + len(text), src, literal))
            self.length += len(text)


class State:
    def __init__(
        self,
        *,
        trees: Mapping[str, Tree],
        funcs: Mapping[str, FuncSpec],
        parse_name: str,
        tmpl_name: str,
        index: LineIndex,
        missingkey: str,
        out: Output,
        lenient_nil_fields: bool,
        depth: int = 0,
    ) -> None:
        self.trees = trees
        self.funcs = funcs
        self.parse_name = parse_name
        self.tmpl_name = tmpl_name
        self.index = index
        self.missingkey = missingkey
        self.out = out
        self.lenient = lenient_nil_fields
        self.depth = depth
        self.node: Node | None = None
        self.vars: list[list[object]] = []  # [name, value, boxed]

    # -- errors and variables ------------------------------------------------------------------------------
    def errorf(self, msg: str) -> TemplateError:
        node = self.node
        pos = node.pos if node is not None else 0
        line, col = self.index.line_col(pos)
        if node is None:
            go = f"template: {self.tmpl_name}: {msg}"
        else:
            go = (
                f"template: {self.parse_name}:{line}:{self.index.go_col(pos)}: "
                f"executing {_q(self.tmpl_name)} at <{node}>: {msg}"
            )
        return TemplateError("exec", msg, name=self.tmpl_name, line=line, column=col, offset=pos, go_text=go)

    def push(self, name: str, value: object, boxed: bool = False) -> None:
        self.vars.append([name, value, boxed])

    def pop(self, mark: int) -> None:
        del self.vars[mark:]

    def set_var(self, name: str, value: object) -> None:
        for v in reversed(self.vars):
            if v[0] == name:
                v[1], v[2] = value, False
                return
        raise self.errorf(f"undefined variable: {name}")

    def var_value(self, name: str) -> tuple[object, bool]:
        for v in reversed(self.vars):
            if v[0] == name:
                return v[1], bool(v[2])
        raise self.errorf(f"undefined variable: {name}")

    # -- walking -------------------------------------------------------------------------------------------
    def walk(self, dot: object, boxed: bool, node: Node) -> None:
        self.node = node
        if isinstance(node, TextNode):
            self.out.write(node.text, node.pos, True)
        elif isinstance(node, ActionNode):
            val = self.eval_pipeline(dot, boxed, node.pipe)
            if not node.pipe.decl:
                self.print_value(node, val)
        elif isinstance(node, ListNode):
            for n in node.nodes:
                self.walk(dot, boxed, n)
        elif isinstance(node, RangeNode):
            self.walk_range(dot, boxed, node)
        elif isinstance(node, BranchNode):
            self.walk_if_or_with(dot, boxed, node)
        elif isinstance(node, TemplateNode):
            self.walk_template(dot, boxed, node)
        elif isinstance(node, BreakNode):
            raise _Break
        elif isinstance(node, ContinueNode):
            raise _Continue
        else:  # pragma: no cover - the parser builds no other node at statement level
            raise self.errorf(f"unknown node: {node}")

    def print_value(self, node: ActionNode, val: object) -> None:
        self.node = node
        if callable(val) and not isinstance(val, type):
            raise self.errorf(f"can't print {node} of type func")
        try:
            text = format_value(val)
        except RecursionError:
            raise
        except Exception as e:  # a value whose printing fails (a user object) is a template error
            raise self.errorf(f"can't print {node}: {_exc_message(e)}") from None
        self.out.write(text, node.delim_pos, False)

    def walk_if_or_with(self, dot: object, boxed: bool, node: BranchNode) -> None:
        mark = len(self.vars)
        try:
            val = self.eval_pipeline(dot, boxed, node.pipe)
            if is_true(val):
                if isinstance(node, IfNode):
                    self.walk(dot, boxed, node.list)
                else:
                    self.walk(val, False, node.list)
            elif node.else_list is not None:
                self.walk(dot, boxed, node.else_list)
        finally:
            self.pop(mark)

    def walk_range(self, dot: object, boxed: bool, r: RangeNode) -> None:
        self.node = r
        mark = len(self.vars)
        try:
            val = self.eval_pipeline(dot, boxed, r.pipe)
            body_mark = len(self.vars)
            decl = r.pipe.decl

            def one(index: object, elem: object, elem_boxed: bool) -> None:
                if decl:
                    if r.pipe.is_assign:
                        self.set_var(decl[0].ident[0], index if len(decl) > 1 else elem)
                    else:
                        self.vars[-1][1:] = [elem, elem_boxed]
                if len(decl) > 1:
                    if r.pipe.is_assign:
                        self.set_var(decl[1].ident[0], elem)
                    else:
                        self.vars[-2][1:] = [index, False]
                try:
                    self.walk(elem, elem_boxed, r.list)
                except _Continue:
                    pass
                finally:
                    self.pop(body_mark)

            if isinstance(val, list | tuple | bytes | bytearray):
                if val:
                    for i, e in enumerate(val):
                        one(i, e, True)
                    return
            elif isinstance(val, Mapping):
                if val:
                    for k in sort_map_keys(val.keys()):
                        one(k, val[k], True)
                    return
            elif isinstance(val, int) and not isinstance(val, bool):
                if len(decl) > 1:
                    raise self.errorf(f"can't use {val} to iterate over more than one variable")
                if val > 0:
                    for i in range(val):
                        one(i, i, False)
                    return
            elif val is not MISSING:
                self.node = r
                raise self.errorf(f"range can't iterate over {format_value(val)}")
            if r.else_list is not None:
                self.walk(dot, boxed, r.else_list)
        except _Break:
            pass
        finally:
            self.pop(mark)

    def walk_template(self, dot: object, boxed: bool, t: TemplateNode) -> None:
        self.node = t
        tree = self.trees.get(t.name)
        if tree is None:
            raise self.errorf(f"template {_q(t.name)} not defined")
        if self.depth >= MAX_EXEC_DEPTH:
            raise self.errorf(f"exceeded maximum template depth ({MAX_EXEC_DEPTH})")
        new_dot = self.eval_pipeline(dot, boxed, t.pipe) if t.pipe is not None else MISSING
        sub = State(
            trees=self.trees,
            funcs=self.funcs,
            parse_name=self.parse_name,
            tmpl_name=t.name,
            index=self.index,
            missingkey=self.missingkey,
            out=self.out,
            lenient_nil_fields=self.lenient,
            depth=self.depth + 1,
        )
        sub.push("$", new_dot)
        sub.walk(new_dot, False, tree.root)

    # -- evaluation ----------------------------------------------------------------------------------------
    def eval_pipeline(self, dot: object, boxed: bool, pipe: PipeNode) -> object:
        self.node = pipe
        value: object = NO_FINAL
        for cmd in pipe.cmds:
            value = self.eval_command(dot, boxed, cmd, value)
            if value is None:  # a nil interface{} unboxes to "no value"
                value = MISSING
        for v in pipe.decl:
            if pipe.is_assign:
                self.set_var(v.ident[0], value)
            else:
                self.push(v.ident[0], value)
        return value

    def not_a_function(self, args: list[Node], final: object) -> None:
        if len(args) > 1 or final is not NO_FINAL:
            raise self.errorf(f"can't give argument to non-function {args[0]}")

    def eval_command(self, dot: object, boxed: bool, cmd: CommandNode, final: object) -> object:
        first = cmd.args[0]
        if isinstance(first, FieldNode):
            return self.eval_field_node(dot, boxed, first, cmd.args, final)
        if isinstance(first, ChainNode):
            return self.eval_chain_node(dot, boxed, first, cmd.args, final)
        if isinstance(first, IdentifierNode):
            return self.eval_function(dot, boxed, first, cmd, cmd.args, final)
        if isinstance(first, PipeNode):
            self.not_a_function(cmd.args, final)
            return self.eval_pipeline(dot, boxed, first)
        if isinstance(first, VariableNode):
            return self.eval_variable_node(dot, boxed, first, cmd.args, final)
        self.node = first
        self.not_a_function(cmd.args, final)
        if isinstance(first, BoolNode):
            return first.value
        if isinstance(first, DotNode):
            return dot
        if isinstance(first, NilNode):
            raise self.errorf("nil is not a command")
        if isinstance(first, NumberNode):
            return self.ideal_constant(first)
        if isinstance(first, StringNode):
            return first.text
        raise self.errorf(f"can't evaluate command {_q(str(first))}")

    def ideal_constant(self, c: NumberNode) -> object:
        self.node = c
        return ideal_constant(c, self.errorf)

    def eval_field_node(
        self, dot: object, boxed: bool, field: FieldNode, args: list[Node] | None, final: object
    ) -> object:
        self.node = field
        return self.eval_field_chain(dot, dot, boxed, field, field.ident, args, final)

    def eval_chain_node(
        self, dot: object, boxed: bool, chain: ChainNode, args: list[Node] | None, final: object
    ) -> object:
        self.node = chain
        if isinstance(chain.node, NilNode):
            raise self.errorf(f"indirection through explicit nil in {chain}")
        pipe = self.eval_arg(dot, boxed, None, chain.node)
        return self.eval_field_chain(dot, pipe, False, chain, chain.fields, args, final)

    def eval_variable_node(
        self, dot: object, boxed: bool, var: VariableNode, args: list[Node] | None, final: object
    ) -> object:
        self.node = var
        value, vboxed = self.var_value(var.ident[0])
        if len(var.ident) == 1:
            self.not_a_function(args or [var], final)
            return value
        return self.eval_field_chain(dot, value, vboxed, var, var.ident[1:], args, final)

    def eval_field_chain(
        self,
        dot: object,
        receiver: object,
        boxed: bool,
        node: Node,
        ident: list[str],
        args: list[Node] | None,
        final: object,
    ) -> object:
        for name in ident[:-1]:
            receiver = self.eval_field(dot, name, node, None, NO_FINAL, receiver, boxed)
            boxed = True
        return self.eval_field(dot, ident[-1], node, args, final, receiver, boxed)

    def eval_field(
        self,
        dot: object,
        name: str,
        node: Node,
        args: list[Node] | None,
        final: object,
        receiver: object,
        boxed: bool,
    ) -> object:
        self.node = node
        if receiver is MISSING:
            if self.missingkey == "error":
                raise self.errorf(f"nil data; no entry for key {_q(name)}")
            return MISSING
        typ = "interface {}" if boxed or receiver is None else go_type_name(receiver)
        if receiver is None:
            if self.lenient:
                return MISSING
            raise self.errorf(f"nil pointer evaluating {typ}.{name}")
        has_args = (args is not None and len(args) > 1) or final is not NO_FINAL
        if isinstance(receiver, Mapping):
            if has_args:
                raise self.errorf(f"{name} is not a method but has arguments")
            if name in receiver:
                return receiver[name]
            if self.missingkey == "error":
                raise self.errorf(f"map has no entry for key {_q(name)}")
            return None if self.missingkey == "zero" else MISSING
        if isinstance(receiver, GoMethods):
            method = receiver.go_methods().get(name)
            if method is not None:
                return self.eval_call(dot, boxed, spec_for(method), False, node, name, args, final)
        raise self.errorf(f"can't evaluate field {name} in type {typ}")

    def eval_function(
        self,
        dot: object,
        boxed: bool,
        node: IdentifierNode,
        cmd: Node,
        args: list[Node] | None,
        final: object,
    ) -> object:
        self.node = node
        spec = self.funcs.get(node.name)
        is_builtin = False
        if spec is None:
            spec = BUILTINS.get(node.name)
            is_builtin = True
        if spec is None:
            raise self.errorf(f"{_q(node.name)} is not a defined function")
        return self.eval_call(dot, boxed, spec, is_builtin, cmd, node.name, args, final)

    def eval_call(
        self,
        dot: object,
        boxed: bool,
        spec: FuncSpec,
        is_builtin: bool,
        node: Node,
        name: str,
        args: list[Node] | None,
        final: object,
    ) -> object:
        argn = args[1:] if args is not None else []
        has_final = final is not NO_FINAL
        num_in = len(argn) + (1 if has_final else 0)
        params = spec.params
        if spec.known:
            if spec.variadic is not None:
                if num_in < len(params):
                    raise self.errorf(
                        f"wrong number of args for {name}: want at least {len(params)} got {len(argn)}"
                    )
            elif not len(params) - spec.optional <= num_in <= len(params):
                want = len(params) if num_in > len(params) else len(params) - spec.optional
                raise self.errorf(f"wrong number of args for {name}: want {want} got {num_in}")
        if is_builtin and name in ("and", "or"):
            v: object = MISSING
            for a in argn:
                v = self.eval_arg(dot, boxed, VALUE, a)
                if is_true(v) == (name == "or"):
                    return v
            if has_final:
                v = self.validate_type(final, VALUE)
            return v

        def ptype(i: int) -> str:
            if not spec.known:
                return IFACE
            if i < len(params):
                return params[i]
            return spec.variadic or IFACE

        argv = [self.eval_arg(dot, boxed, ptype(i), a) for i, a in enumerate(argn)]
        if has_final:
            argv.append(self.validate_type(final, ptype(len(argv))))
        if not is_builtin:
            argv = [None if a is MISSING else a for a in argv]
        try:
            result = spec.fn(*argv)
        except TemplateError:
            raise
        except CallError as e:
            self.node = node
            raise self.errorf(f"error calling {name}: {e}") from None
        except RecursionError:
            self.node = node
            raise self.errorf(f"error calling {name}: recursion too deep") from None
        except Exception as e:
            self.node = node
            raise self.errorf(f"error calling {name}: {_exc_message(e)}") from None
        return result

    def validate_type(self, value: object, typ: str | None) -> object:
        return validate_type(value, typ, self.errorf)

    def eval_arg(self, dot: object, boxed: bool, typ: str | None, n: Node) -> object:
        self.node = n
        if isinstance(n, DotNode):
            return self.validate_type(dot, typ)
        if isinstance(n, NilNode):
            if typ in (IFACE, SLICE, MAP):
                return None
            if typ == VALUE:
                return MISSING
            raise self.errorf(f"cannot assign nil to {typ}")
        if isinstance(n, FieldNode):
            return self.validate_type(self.eval_field_node(dot, boxed, n, [n], NO_FINAL), typ)
        if isinstance(n, VariableNode):
            return self.validate_type(self.eval_variable_node(dot, boxed, n, None, NO_FINAL), typ)
        if isinstance(n, PipeNode):
            return self.validate_type(self.eval_pipeline(dot, boxed, n), typ)
        if isinstance(n, IdentifierNode):
            return self.validate_type(self.eval_function(dot, boxed, n, n, None, NO_FINAL), typ)
        if isinstance(n, ChainNode):
            return self.validate_type(self.eval_chain_node(dot, boxed, n, None, NO_FINAL), typ)
        return literal_arg(n, typ, self.errorf)


def _exc_message(e: BaseException) -> str:
    msg = str(e)
    if isinstance(e, KeyError) and e.args:
        msg = str(e.args[0])
    return msg or type(e).__name__


def _q(s: str) -> str:
    from .gostrconv import quote

    return quote(s)


def execute_tree(
    *,
    trees: Mapping[str, Tree],
    name: str,
    funcs: Mapping[str, FuncSpec],
    index: LineIndex,
    data: object,
    missingkey: str,
    lenient_nil_fields: bool,
) -> Output:
    out = Output([], [])
    state = State(
        trees=trees,
        funcs=funcs,
        parse_name=name,
        tmpl_name=name,
        index=index,
        missingkey=missingkey,
        out=out,
        lenient_nil_fields=lenient_nil_fields,
    )
    value = MISSING if data is None else data
    state.push("$", value)
    tree = trees.get(name)
    if tree is None:
        raise state.errorf(f"{_q(name)} is an incomplete or empty template")
    state.walk(value, False, tree.root)
    return out

