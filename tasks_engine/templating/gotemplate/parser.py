"""Parser for Go templates, a port of ``text/template/parse/parse.go``.

Keeps Go's checks that happen at parse time (undefined functions and variables, ``{{break}}`` outside
``range``, non-executable pipeline stages) so a bad task file fails before anything runs, with Go's messages.
"""

from __future__ import annotations

from collections.abc import Container

from .errors import TemplateError
from .lexer import T, Token, lex
from .literals import LiteralError, parse_number, unquote
from .nodes import (
    ActionNode,
    BoolNode,
    BranchNode,
    BreakNode,
    ChainNode,
    CommandNode,
    ContinueNode,
    DotNode,
    ElseNode,
    EndNode,
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
    WithNode,
)
from .sourcemap import LineIndex

_TERM_TYPES = {
    T.BOOL,
    T.CHAR_CONSTANT,
    T.COMPLEX,
    T.DOT,
    T.FIELD,
    T.IDENTIFIER,
    T.NUMBER,
    T.NIL,
    T.RAW_STRING,
    T.STRING,
    T.VARIABLE,
    T.LEFT_PAREN,
}


class _Abort(Exception):
    pass


class Tree:
    """One named template (the main text, or a ``define``/``block`` body)."""

    def __init__(self, name: str, root: ListNode) -> None:
        self.name = name
        self.root = root


def _is_empty_tree(n: Node) -> bool:
    if isinstance(n, ListNode):
        return all(_is_empty_tree(c) for c in n.nodes)
    if isinstance(n, TextNode):
        return n.text.strip(" \t\r\n") == ""
    return False


class Parser:
    def __init__(self, text: str, name: str, funcs: Container[str], index: LineIndex) -> None:
        self.text = text
        self.name = name
        self.funcs = funcs
        self.index = index
        self.tokens = lex(text, break_ok="break" not in funcs, continue_ok="continue" not in funcs)
        self.i = 0
        self.vars: list[str] = ["$"]
        self.range_depth = 0
        self.far = 0
        self.action_line = 0
        self.trees: dict[str, Tree] = {}

    # -- errors --------------------------------------------------------------------------------------------
    def errorf(self, msg: str, tok: Token | None = None) -> _Abort:
        """Go prints the line of the furthest token read (lookahead included); the attributes point at
        ``tok``, the token the message is about, when there is one."""
        far = self.tokens[min(self.far, len(self.tokens) - 1)]
        go_line = self.index.line_col(far.pos)[0]
        t = tok or far
        line, col = self.index.line_col(t.pos)
        raise TemplateError(
            "parse",
            msg,
            name=self.name,
            line=line,
            column=col,
            offset=t.pos,
            go_text=f"template: {self.name}:{go_line}: {msg}",
        )

    def unexpected(self, tok: Token, context: str) -> _Abort:
        if tok.typ == T.ERROR:
            extra = ""
            tok_line = self.index.line_col(tok.pos)[0]
            if self.action_line and self.action_line != tok_line:
                extra = f" in action started at {self.name}:{self.action_line}"
                if tok.val.endswith(" action"):
                    extra = extra[len(" in action") :]
            raise self.errorf(tok.val + extra, tok)
        raise self.errorf(f"unexpected {tok.describe()} in {context}", tok)

    # -- token stream --------------------------------------------------------------------------------------
    def next(self) -> Token:
        tok = self.tokens[self.i] if self.i < len(self.tokens) else self.tokens[-1]
        if self.i > self.far:
            self.far = self.i
        self.i += 1
        return tok

    def backup(self, n: int = 1) -> None:
        self.i -= n

    def peek(self) -> Token:
        if self.i > self.far:
            self.far = self.i
        return self.tokens[self.i] if self.i < len(self.tokens) else self.tokens[-1]

    def next_non_space(self) -> Token:
        tok = self.next()
        while tok.typ == T.SPACE:
            tok = self.next()
        return tok

    def peek_non_space(self) -> Token:
        j = self.i
        while j < len(self.tokens) and self.tokens[j].typ == T.SPACE:
            j += 1
        self.i = j
        return self.peek()


    def expect(self, typ: T, context: str) -> Token:
        tok = self.next_non_space()
        if tok.typ != typ:
            raise self.unexpected(tok, context)
        return tok

    # -- structure -----------------------------------------------------------------------------------------
    def parse(self) -> dict[str, Tree]:
        root = ListNode(self.peek().pos)
        while self.peek().typ != T.EOF:
            if self.peek().typ == T.LEFT_DELIM:
                save = self.i
                self.next()
                if self.next_non_space().typ == T.DEFINE:
                    self.parse_definition()
                    continue
                self.i = save
            n = self.text_or_action()
            if isinstance(n, EndNode | ElseNode):
                raise self.errorf(f"unexpected {n}")
            if n is not None:
                root.nodes.append(n)
        self.add(Tree(self.name, root))
        return self.trees

    def add(self, tree: Tree) -> None:
        old = self.trees.get(tree.name)
        if old is None or _is_empty_tree(old.root):
            self.trees[tree.name] = tree
            return
        if not _is_empty_tree(tree.root):
            raise self.errorf(f"template: multiple definition of template {_q(tree.name)}")

    def _sub_tree(self) -> tuple[list[str], int]:
        saved = (self.vars, self.range_depth)
        self.vars, self.range_depth = ["$"], 0
        return saved

    def parse_definition(self) -> None:
        context = "define clause"
        tok = self.next_non_space()
        if tok.typ not in (T.STRING, T.RAW_STRING):
            raise self.unexpected(tok, context)
        name = self._unquote(tok)
        self.expect(T.RIGHT_DELIM, context)
        saved = self._sub_tree()
        body, end = self.item_list()
        self.vars, self.range_depth = saved
        if not isinstance(end, EndNode):
            raise self.errorf(f"unexpected {end} in {context}")
        self.add(Tree(name, body))

    def item_list(self) -> tuple[ListNode, Node]:
        lst = ListNode(self.peek_non_space().pos)
        while self.peek_non_space().typ != T.EOF:
            n = self.text_or_action()
            if isinstance(n, EndNode | ElseNode):
                return lst, n
            if n is not None:
                lst.nodes.append(n)
        raise self.errorf("unexpected EOF")

    def text_or_action(self) -> Node | None:
        tok = self.next_non_space()
        if tok.typ == T.TEXT:
            return TextNode(tok.pos, tok.val)
        if tok.typ == T.LEFT_DELIM:
            self.action_line = self.index.line_col(tok.pos)[0]
            try:
                return self.action(tok)
            finally:
                self.action_line = 0
        if tok.typ == T.COMMENT:
            return None
        raise self.unexpected(tok, "input")

    def action(self, delim: Token) -> Node:
        tok = self.next_non_space()
        t = tok.typ
        if t == T.BLOCK:
            return self.block_control()
        if t in (T.BREAK, T.CONTINUE):
            word = "break" if t == T.BREAK else "continue"
            nt = self.next_non_space()
            if nt.typ != T.RIGHT_DELIM:
                raise self.unexpected(nt, "{{" + word + "}}")
            if self.range_depth == 0:
                raise self.errorf("{{" + word + "}} outside {{range}}")
            return BreakNode(tok.pos) if t == T.BREAK else ContinueNode(tok.pos)
        if t == T.ELSE:
            return self.else_control()
        if t == T.END:
            return EndNode(self.expect(T.RIGHT_DELIM, "end").pos)
        if t == T.IF:
            return self.control(IfNode, "if", delim.pos)
        if t == T.RANGE:
            return self.control(RangeNode, "range", delim.pos)
        if t == T.TEMPLATE:
            return self.template_control()
        if t == T.WITH:
            return self.control(WithNode, "with", delim.pos)
        self.backup()
        pos = self.peek().pos
        return ActionNode(pos, self.pipeline("command", T.RIGHT_DELIM), delim.pos)

    def else_control(self) -> Node:
        peek = self.peek_non_space()
        if peek.typ in (T.IF, T.WITH):
            return ElseNode(peek.pos)
        return ElseNode(self.expect(T.RIGHT_DELIM, "else").pos)

    def control(self, cls: type[BranchNode], context: str, delim_pos: int) -> BranchNode:
        mark = len(self.vars)
        pipe = self.pipeline(context, T.RIGHT_DELIM)
        if context == "range":
            self.range_depth += 1
        lst, nxt = self.item_list()
        if context == "range":
            self.range_depth -= 1
        else_list: ListNode | None = None
        if isinstance(nxt, ElseNode):
            if context in ("if", "with") and self.peek().typ == (T.IF if context == "if" else T.WITH):
                inner_delim = self.next()
                else_list = ListNode(nxt.pos)
                else_list.nodes.append(self.control(cls, context, inner_delim.pos))
            else:
                else_list, nxt2 = self.item_list()
                if not isinstance(nxt2, EndNode):
                    raise self.errorf(f"expected end; found {nxt2}")
        del self.vars[mark:]
        node = cls(pipe.pos, context, pipe, lst, else_list)
        return node

    def block_control(self) -> Node:
        context = "block clause"
        tok = self.next_non_space()
        name = self.template_name(tok, context)
        pipe = self.pipeline(context, T.RIGHT_DELIM)
        saved = self._sub_tree()
        body, end = self.item_list()
        self.vars, self.range_depth = saved
        if not isinstance(end, EndNode):
            raise self.errorf(f"unexpected {end} in {context}")
        self.add(Tree(name, body))
        return TemplateNode(tok.pos, name, pipe)

    def template_control(self) -> Node:
        context = "template clause"
        tok = self.next_non_space()
        name = self.template_name(tok, context)
        pipe: PipeNode | None = None
        if self.next_non_space().typ != T.RIGHT_DELIM:
            self.backup()
            pipe = self.pipeline(context, T.RIGHT_DELIM)
        return TemplateNode(tok.pos, name, pipe)

    def template_name(self, tok: Token, context: str) -> str:
        if tok.typ in (T.STRING, T.RAW_STRING):
            return self._unquote(tok)
        raise self.unexpected(tok, context)

    def _unquote(self, tok: Token) -> str:
        try:
            return unquote(tok.val)
        except LiteralError as e:
            raise self.errorf(str(e), tok) from None

    # -- pipelines -----------------------------------------------------------------------------------------
    def pipeline(self, context: str, end: T) -> PipeNode:
        tok = self.peek_non_space()
        pipe = PipeNode(tok.pos)
        while True:  # declarations
            v = self.peek_non_space()
            if v.typ != T.VARIABLE:
                break
            self.next()
            after = self.peek()
            nxt = self.peek_non_space()
            if nxt.typ in (T.ASSIGN, T.DECLARE):
                pipe.is_assign = nxt.typ == T.ASSIGN
                self.next_non_space()
                pipe.decl.append(VariableNode(v.pos, [v.val]))
                self.vars.append(v.val)
                break
            if nxt.typ == T.CHAR and nxt.val == ",":
                self.next_non_space()
                pipe.decl.append(VariableNode(v.pos, [v.val]))
                self.vars.append(v.val)
                if context == "range" and len(pipe.decl) < 2:
                    if self.peek_non_space().typ in (T.VARIABLE, T.RIGHT_DELIM, T.RIGHT_PAREN):
                        continue
                    raise self.errorf("range can only initialize variables")
                raise self.errorf(f"too many declarations in {context}")
            # Not a declaration: push the variable (and the token after it) back.
            del after
            self._rewind_to(v)
            break
        while True:
            tok = self.next_non_space()
            if tok.typ == end:
                self.check_pipeline(pipe, context)
                return pipe
            if tok.typ in _TERM_TYPES:
                self.backup()
                pipe.cmds.append(self.command())
            else:
                raise self.unexpected(tok, context)

    def _rewind_to(self, tok: Token) -> None:
        j = self.i
        while j > 0 and self.tokens[j] is not tok:
            j -= 1
        self.i = j

    def check_pipeline(self, pipe: PipeNode, context: str) -> None:
        if not pipe.cmds:
            raise self.errorf(f"missing value for {context}")
        for i, c in enumerate(pipe.cmds[1:]):
            if isinstance(c.args[0], BoolNode | DotNode | NilNode | NumberNode | StringNode):
                raise self.errorf(f"non executable command in pipeline stage {i + 2}")

    def command(self) -> CommandNode:
        cmd = CommandNode(self.peek_non_space().pos)
        while True:
            self.peek_non_space()
            operand = self.operand()
            if operand is not None:
                cmd.args.append(operand)
            tok = self.next()
            if tok.typ == T.SPACE:
                continue
            if tok.typ in (T.RIGHT_DELIM, T.RIGHT_PAREN):
                self.backup()
            elif tok.typ == T.PIPE:
                pass
            else:
                raise self.unexpected(tok, "operand")
            break
        if not cmd.args:
            raise self.errorf("empty command")
        return cmd

    def operand(self) -> Node | None:
        node = self.term()
        if node is None:
            return None
        if self.peek().typ == T.FIELD:
            chain = ChainNode(self.peek().pos, node)
            while self.peek().typ == T.FIELD:
                chain.fields.append(self.next().val[1:])
            if isinstance(node, FieldNode):
                return FieldNode(chain.pos, node.ident + chain.fields)
            if isinstance(node, VariableNode):
                return VariableNode(chain.pos, node.ident + chain.fields)
            if isinstance(node, BoolNode | StringNode | NumberNode | NilNode | DotNode):
                raise self.errorf(f"unexpected . after term {_q(str(node))}", self.tokens[self.i - 1])
            return chain
        return node

    def term(self) -> Node | None:
        tok = self.next_non_space()
        t = tok.typ
        if t == T.IDENTIFIER:
            if tok.val not in self.funcs:
                raise self.errorf(f"function {_q(tok.val)} not defined", tok)
            return IdentifierNode(tok.pos, tok.val)
        if t == T.DOT:
            return DotNode(tok.pos)
        if t == T.NIL:
            return NilNode(tok.pos)
        if t == T.VARIABLE:
            parts = tok.val.split(".")
            if parts[0] not in self.vars:
                raise self.errorf(f"undefined variable {_q(parts[0])}", tok)
            return VariableNode(tok.pos, parts)
        if t == T.FIELD:
            return FieldNode(tok.pos, tok.val[1:].split("."))
        if t == T.BOOL:
            return BoolNode(tok.pos, tok.val == "true")
        if t in (T.CHAR_CONSTANT, T.COMPLEX, T.NUMBER):
            try:
                return parse_number(tok.pos, tok.val, t == T.CHAR_CONSTANT)
            except LiteralError as e:
                raise self.errorf(str(e), tok) from None
        if t == T.LEFT_PAREN:
            return self.pipeline("parenthesized pipeline", T.RIGHT_PAREN)
        if t in (T.STRING, T.RAW_STRING):
            return StringNode(tok.pos, tok.val, self._unquote(tok))
        self.backup()
        return None


def _q(s: str) -> str:
    from .gostrconv import quote

    return quote(s)


def parse_text(text: str, name: str, funcs: Container[str], index: LineIndex) -> dict[str, Tree]:
    return Parser(text, name, funcs, index).parse()
