"""The --where language of `lrsweep query`, in Python (docs/store.md, "Queries").

The grammar, the types and the error messages are those of src/query/expr.c;
tests/python/test_parity.py runs one list of expressions through both on one store.

    expr    := and ( ("||" | "or") and )*
    and     := unary ( ("&&" | "and") unary )*
    unary   := ("!" | "not") unary | compare
    compare := sum [ ("==" | "!=" | "<" | "<=" | ">" | ">=") sum ]
    sum     := term ( ("+" | "-") term )*
    term    := factor ( ("*" | "/") factor )*
    factor  := "-" factor | primary
    primary := NUMBER | "string" | 'string' | COLUMN | true | false | nan | inf
             | FUNCTION "(" expr ")" | "(" expr ")"          FUNCTION: log10 log exp sqrt abs

Like the C parser this one builds postfix code while it parses and evaluates it
over whole columns with a stack: no `eval`, and no recursion along a long chain.
"""

import math
import re

import numpy as np

MAX_TEXT = 8192  # LRS_QUERY_MAX_TEXT
MAX_DEPTH = 64  # LRS_QUERY_MAX_DEPTH

FUNCTIONS = {"log10": np.log10, "log": np.log, "exp": np.exp, "sqrt": np.sqrt, "abs": np.abs}
_WORDS = {"and": "&&", "or": "||", "not": "!"}
_OPS = ("&&", "||", "==", "!=", "<=", ">=", "<", ">", "!", "(", ")", "+", "-", "*", "/")
_CMP = ("==", "!=", "<", "<=", ">", ">=")
_NUMBER = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


class ExprError(ValueError):
    """A parse error: one line, with the 1-based column, as lrsweep prints it."""


class Column:
    """What the language needs to know of a column: 'number', 'text' or 'enum'
    (with its value names)."""

    def __init__(self, kind, names=()):
        self.kind, self.names = kind, list(names)


class _Tok:
    __slots__ = ("kind", "pos", "len", "value", "word")

    def __init__(self, kind, pos, length=0, value=None, word=False):
        self.kind, self.pos, self.len, self.value, self.word = kind, pos, length, value, word


class _Node:
    __slots__ = ("kind", "type", "pos", "value", "col", "code_at", "a", "b", "op")

    def __init__(self, kind, type_, pos, value=None, col=None, code_at=None, a=None, b=None, op=None):
        self.kind, self.type, self.pos, self.value, self.col = kind, type_, pos, value, col
        self.code_at, self.a, self.b, self.op = code_at, a, b, op


def _tok_text(t):
    if t.kind == "end":
        return "the end"
    if t.kind in ("number", "string"):
        return "a " + t.kind
    if t.kind == "ident":
        return "a column"
    if t.kind in ("&&", "||", "!") and t.word:
        return "'%s'" % {"&&": "and", "||": "or", "!": "not"}[t.kind]
    return "'%s'" % t.kind


def _distance(a, b):
    """Edit distance with transpositions of neighbours (optimal string alignment),
    as lrsweep's C (src/status/status.c); names over 64 characters are far apart."""
    if len(a) > 64 or len(b) > 64:
        return math.inf
    d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i][j] = min(d[i - 1][j - 1] + (a[i - 1] != b[j - 1]), d[i - 1][j] + 1, d[i][j - 1] + 1)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
    return d[len(a)][len(b)]


def _did_you_mean(word, names):
    """"; did you mean 'x'?" by the one rule of every suggestion (include/lrsweep/status.h,
    lrs_closest_name): the first closest name, when at most max(1, len(word) // 3) edits
    away; else ""."""
    best, pick = math.inf, None
    for name in names:
        d = _distance(word, name)
        if d < best:
            best, pick = d, name
    return "; did you mean '%s'?" % pick if pick is not None and best <= max(1, len(word) // 3) else ""


class Expr:
    """A parsed expression over the columns `columns` (dict name -> Column)."""

    def __init__(self, text, columns, value=False, option="--where"):
        self.text, self.columns, self.option = text, columns, option
        self.code, self.nodes = [], []
        self._depth = 0
        self._at = 0
        if len(text.encode()) > MAX_TEXT:
            self._fail(MAX_TEXT, "an expression of %d bytes; at most %d are read" % (len(text.encode()), MAX_TEXT))
        self._lex()
        if self.tok.kind == "end":
            self._fail(0, "empty expression")
        root = self._or()
        if self.tok.kind != "end":
            self._fail(self.tok.pos, "unexpected %s; expected an operator or the end" % _tok_text(self.tok))
        if value:
            self._number(root, option)
        else:
            self._condition(root, option)
        self.root = root

    # errors and tokens -------------------------------------------------------------
    def _fail(self, pos, what):
        shown = self.text[:60] + ("…" if len(self.text) > 60 else "")
        raise ExprError('%s "%s": column %d: %s' % (self.option, shown, pos + 1, what))

    def _lex(self):
        s, i = self.text, self._at
        while i < len(s) and s[i].isspace():
            i += 1
        if i >= len(s):
            self.tok = _Tok("end", i)
        else:
            c = s[i]
            m = _NUMBER.match(s, i) if (c.isdigit() or (c == "." and s[i + 1 : i + 2].isdigit())) else None
            if m:
                end = m.end()
                if end < len(s) and (s[end].isalpha() or s[end] == "_"):
                    self._fail(end, "unexpected '%s' after the number" % s[end])
                self.tok = _Tok("number", i, end - i, float(m.group()))
            elif c.isalpha() or c == "_":
                j = i
                while j < len(s) and (s[j].isalnum() or s[j] == "_"):
                    j += 1
                w = s[i:j]
                self.tok = _Tok(_WORDS[w], i, j - i, w, True) if w in _WORDS else _Tok("ident", i, j - i, w)
            elif c in "\"'":
                j, out = i + 1, []
                while j < len(s) and s[j] != c:
                    if s[j] == "\\" and j + 1 < len(s):
                        j += 1
                    out.append(s[j])
                    j += 1
                if j >= len(s):
                    self._fail(i, "unterminated string (missing closing %s)" % c)
                self.tok = _Tok("string", i, j + 1 - i, "".join(out))
            else:
                op = next((o for o in _OPS if s.startswith(o, i)), None)
                if op is None:
                    if c in "=&|":
                        self._fail(i, "'%s' alone is not an operator; use '%s%s'" % (c, c, c))
                    self._fail(i, "unexpected character '%s'" % c)
                self.tok = _Tok(op, i, len(op))
        self._at = self.tok.pos + self.tok.len

    def _emit(self, *instr):
        self.code.append(list(instr))

    def _node(self, *a, **k):
        self.nodes.append(_Node(*a, **k))
        return self.nodes[-1]

    def _enter(self, pos):
        self._depth += 1
        if self._depth > MAX_DEPTH:
            self._fail(pos, "more than %d nested '(', '!' and unary '-'" % MAX_DEPTH)

    def _starts_operand(self, after=None):
        if self.tok.kind in ("number", "string", "ident", "(", "-", "!"):
            return
        if after:
            self._fail(self.tok.pos, "expected a value after %s, found %s" % (after, _tok_text(self.tok)))
        self._fail(self.tok.pos, "expected a number, string, column or '(' but found %s" % _tok_text(self.tok))

    # type checks -----------------------------------------------------------------------
    def _number(self, n, what):
        if n.type == "number":
            return
        if n.type == "cond":
            self._fail(n.pos, "%s takes numbers, not a condition" % what)
        if n.type == "enum":
            self._fail(n.pos, "%s takes numbers; %s is an enum column" % (what, n.col))
        self._fail(n.pos, "%s takes numbers, not text" % what)

    def _condition(self, n, what):
        if n.type in ("number", "cond"):
            return
        if n.type == "enum":
            self._fail(n.pos, '%s takes conditions; %s is an enum column: compare it, e.g. %s == "%s"'
                       % (what, n.col, n.col, self.columns[n.col].names[0]))
        self._fail(n.pos, "%s takes conditions, not text: compare it with == or !=" % what)

    # the grammar -------------------------------------------------------------------------
    def _primary(self):
        t = self.tok
        self._starts_operand()
        if t.kind == "(":
            self._enter(t.pos)
            self._lex()
            inner = self._or()
            self._depth -= 1
            if self.tok.kind != ")":
                self._fail(self.tok.pos, "expected ')' to close the '(' at column %d, found %s" % (t.pos + 1, _tok_text(self.tok)))
            self._lex()
            return inner
        if t.kind == "ident" and self.text[t.pos + t.len :].lstrip().startswith("("):
            if t.value not in FUNCTIONS and t.value not in self.columns:
                self._fail(t.pos, "unknown function '%s' (functions: log10, log, exp, sqrt, abs)" % t.value)
            if t.value in FUNCTIONS:
                self._enter(t.pos)
                self._lex()
                self._lex()
                arg = self._or()
                self._depth -= 1
                if self.tok.kind != ")":
                    self._fail(self.tok.pos, "expected ')' to close %s( at column %d, found %s" % (t.value, t.pos + 1, _tok_text(self.tok)))
                self._number(arg, t.value + "()")
                self._lex()
                self._emit("call", t.value)
                return self._node("call", "number", t.pos, a=arg)
        if t.kind in ("-", "!"):
            self._fail(t.pos, "expected a number, string, column or '(' but found %s" % _tok_text(t))
        at = len(self.code)
        if t.kind == "number":
            n = self._node("number", "number", t.pos, value=t.value, code_at=at)
            self._emit("num", t.value)
        elif t.kind == "string":
            n = self._node("string", "text", t.pos, value=t.value, code_at=at)
            self._emit("num", math.nan)  # a slot: a comparison replaces it
        elif t.value in ("true", "false", "nan", "inf"):
            v = {"true": 1.0, "false": 0.0, "nan": math.nan, "inf": math.inf}[t.value]
            n = self._node("number", "number", t.pos, value=v, code_at=at)
            self._emit("num", v)
        else:
            c = self.columns.get(t.value)
            if c is None:
                self._fail(t.pos, "unknown column '%s'%s" % (t.value, _did_you_mean(t.value, self.columns)))
            n = self._node("column", c.kind, t.pos, col=t.value, code_at=at)
            self._emit("col", t.value)
        self._lex()
        return n

    def _factor(self):
        if self.tok.kind != "-":
            return self._primary()
        pos = self.tok.pos
        self._enter(pos)
        self._lex()
        self._starts_operand("unary '-'")
        inner = self._factor()
        self._number(inner, "unary '-'")
        self._depth -= 1
        if inner.kind == "number":  # a literal's minus is folded into it
            inner.value = -inner.value
            self.code[inner.code_at][1] = inner.value
            inner.pos = pos
            return inner
        self._emit("neg")
        return self._node("neg", "number", pos, a=inner)

    def _arith(self, ops, operand):
        left = operand()
        while self.tok.kind in ops:
            op = self.tok
            what = _tok_text(op)
            self._number(left, what)
            self._lex()
            self._starts_operand(what)
            right = operand()
            self._number(right, what)
            self._emit(op.kind)
            left = self._node("arith", "number", op.pos, a=left, b=right, op=op.kind)
        return left

    def _term(self):
        return self._arith(("*", "/"), self._factor)

    def _sum(self):
        return self._arith(("+", "-"), self._term)

    def _compare(self):
        left = self._sum()
        if self.tok.kind not in _CMP:
            return left
        optok = self.tok
        self._lex()
        if self.tok.kind == "!":
            self._fail(self.tok.pos, "expected a value after %s, found %s" % (_tok_text(optok), _tok_text(self.tok)))
        self._starts_operand(_tok_text(optok))
        right = self._sum()
        cmp = self._node("cmp", "cond", optok.pos, a=left, b=right, op=optok.kind)
        self._check_compare(cmp)
        if self.tok.kind in _CMP:
            self._fail(self.tok.pos, "comparisons do not chain: use && between them")
        return cmp

    def _check_compare(self, cmp):
        a0, b0 = cmp.a, cmp.b
        op = "'%s'" % cmp.op
        if a0.type == "cond" or b0.type == "cond":
            self._fail(cmp.pos, "%s compares values, not conditions (use parentheses and && ||)" % op)
        a, b = (b0, a0) if (a0.kind != "column" and b0.kind == "column") else (a0, b0)
        an = a.col if a.kind == "column" else ""
        eq = cmp.op in ("==", "!=")
        if a.type == "enum" and b.kind == "string":
            names = self.columns[a.col].names
            if b.value not in names:
                self._fail(b.pos, "'%s' is not a value of %s%s (values: %s)"
                           % (b.value, an, _did_you_mean(b.value, names), ", ".join(names)))
            if not eq:
                self._fail(cmp.pos, "%s is an enum column: compare it with == or !=" % an)
            b.kind, b.type = "enumvalue", "enum"
            self.code[b.code_at] = ["str", b.value]
        elif a.type == "enum" and b.type == "enum":
            if self.columns[a.col].names != self.columns[b.col].names or not eq:
                self._fail(cmp.pos, "%s and %s cannot be compared" % (an, b.col))
        elif a.type == "enum" or b.type == "enum":
            en, other = (a, b) if a.type == "enum" else (b, a)
            self._fail(other.pos, '%s is an enum column: compare it with a quoted name, e.g. %s == "%s"'
                       % (en.col, en.col, self.columns[en.col].names[0]))
        elif a.type == "text" or b.type == "text":
            if a.type != b.type:
                num = an if (a.kind == "column" and a.type == "number") else "a number"
                self._fail(b.pos, "cannot compare %s with a string" % num)
            for n in (a0, b0):
                if n.kind == "string":
                    self.code[n.code_at] = ["str", n.value]
        self._emit("cmp", cmp.op)

    def _unary(self):
        if self.tok.kind != "!":
            return self._compare()
        t = self.tok
        what = _tok_text(t)
        self._enter(t.pos)
        self._lex()
        self._starts_operand(what)
        inner = self._unary()
        self._condition(inner, what)
        self._depth -= 1
        self._emit("not")
        return self._node("not", "cond", t.pos, a=inner)

    def _chain(self, op, operand):
        left = operand()
        while self.tok.kind == op:
            t = self.tok
            what = _tok_text(t)
            self._condition(left, what)
            self._lex()
            self._starts_operand()
            right = operand()
            self._condition(right, what)
            self._emit(op)
            left = self._node(op, "cond", t.pos, a=left, b=right)
        return left

    def _and(self):
        return self._chain("&&", self._unary)

    def _or(self):
        return self._chain("||", self._and)

    # evaluation --------------------------------------------------------------------------
    def evaluate(self, get, n):
        """The truth of the expression for n rows; `get(name)` gives a column as an
        array: float for numbers (missing: NaN), str for text and enum columns."""
        return np.broadcast_to(_truth(self._run(get)), (n,)).copy()

    def values(self, get, n):
        """The value of a numeric expression (parsed with value=True) for n rows."""
        return np.broadcast_to(np.asarray(self._run(get), dtype=float), (n,)).copy()

    def _run(self, get):
        stack = []
        with np.errstate(all="ignore"):
            for ins in self.code:
                k = ins[0]
                if k == "num":
                    stack.append(ins[1])
                elif k == "str":
                    stack.append(ins[1])
                elif k == "col":
                    stack.append(get(ins[1]))
                elif k == "neg":
                    stack[-1] = -np.asarray(stack[-1], dtype=float)
                elif k == "call":
                    stack[-1] = FUNCTIONS[ins[1]](np.asarray(stack[-1], dtype=float))
                elif k in ("+", "-", "*", "/"):
                    y = np.asarray(stack.pop(), dtype=float)
                    x = np.asarray(stack[-1], dtype=float)
                    stack[-1] = x + y if k == "+" else x - y if k == "-" else x * y if k == "*" else x / y
                elif k == "cmp":
                    y, x = stack.pop(), stack.pop()
                    stack.append(_compare(ins[1], x, y))
                elif k == "not":
                    stack[-1] = ~_truth(stack[-1])
                else:  # && ||
                    y = _truth(stack.pop())
                    x = _truth(stack.pop())
                    stack.append(x & y if k == "&&" else x | y)
        return stack[0]


def _truth(v):
    """A number as a condition: true when non-zero and not NaN."""
    a = np.asarray(v)
    if a.dtype == bool:
        return a
    a = a.astype(float)
    return (a != 0) & ~np.isnan(a)


def _is_text(v):
    return isinstance(v, str) or (isinstance(v, np.ndarray) and v.dtype.kind in "USO")


def _compare(op, x, y):
    if _is_text(x) or _is_text(y):
        x, y = np.asarray(x, dtype=str), np.asarray(y, dtype=str)
        # strcmp order: Python compares code points, as strcmp compares UTF-8 bytes
        return {"==": np.equal, "!=": np.not_equal, "<": np.less, "<=": np.less_equal,
                ">": np.greater, ">=": np.greater_equal}[op](x, y)
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    nan = np.isnan(x) | np.isnan(y)
    f = {"==": np.equal, "!=": np.not_equal, "<": np.less, "<=": np.less_equal,
         ">": np.greater, ">=": np.greater_equal}[op]
    # IEEE: a comparison with NaN is false, except != (NaN != NaN too)
    return np.where(nan, op == "!=", f(x, y))


def parse(text, columns, value=False, option="--where"):
    """Parses `text` over `columns` (dict name -> Column): a condition, or with
    value=True a number; raises ExprError."""
    return Expr(text, columns, value, option)
