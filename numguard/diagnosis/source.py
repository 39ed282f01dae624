"""Which expression a frame is running: the AST node of the instruction at `f_lasti`.

Python 3.11+ records each instruction's source span (`code.co_positions()`), so the
node is found without parsing the file: the span's text is cut from the source lines
(linecache: files, and IPython's cells, which IPython registers there) and parsed on
its own. That costs one small parse per site, where `executing` parses the whole file
on first use. The instruction then confirms the node: a BINARY_OP must be a BinOp or
an augmented assignment, a CALL a Call, and so on; a mismatch (a stale source file)
gives "unknown" rather than a wrong expression.

Python 3.10 has no positions: the optional `executing` package finds the node there
(its verified bytecode match); without it the expression is unknown, and says why.

Results are cached per (code object, instruction offset): a site is located once.
Source is read from linecache without the module's globals, so no loader
(user code) is ever asked for it.
"""

from __future__ import annotations

import ast
import dis
import linecache
import sys
from itertools import islice
from types import CodeType, FrameType
from typing import Any, NamedTuple

_HAS_POSITIONS = sys.version_info >= (3, 11)

#: Instruction -> the node classes it may run. Others are located but not projected.
_BINARY = (ast.BinOp, ast.AugAssign)
_CALL = (ast.Call,)
_EXPECTED: dict[str, tuple[type, ...]] = {
    "BINARY_OP": _BINARY, "BINARY_SUBSCR": (ast.Subscript,), "BINARY_SLICE": (ast.Subscript,),
    "CALL": _CALL, "CALL_KW": _CALL, "CALL_FUNCTION_EX": _CALL, "PRECALL": _CALL,
    "CALL_FUNCTION": _CALL, "CALL_FUNCTION_KW": _CALL, "CALL_METHOD": _CALL,
    "COMPARE_OP": (ast.Compare,), "UNARY_NEGATIVE": (ast.UnaryOp,),
    "UNARY_POSITIVE": (ast.UnaryOp,), "UNARY_INVERT": (ast.UnaryOp,),
    "CALL_INTRINSIC_1": (ast.UnaryOp,), "LOAD_ATTR": (ast.Attribute,),
}
# Python 3.10 spells each operator as an instruction of its own.
for _name in dis.opname:
    if _name.startswith("BINARY_") and _name not in _EXPECTED:
        _EXPECTED[_name] = (ast.BinOp,)
    elif _name.startswith("INPLACE_"):
        _EXPECTED[_name] = (ast.AugAssign,)


class Located(NamedTuple):
    """The node a frame runs, and the snippet of source its positions refer to."""

    text: str
    """The node's source text ("" when unknown)."""
    node: ast.AST | None
    """The node, parsed from `snippet` (None when unknown)."""
    snippet: str
    """The source the node was parsed from: `segment` reads its sub-nodes' text."""
    instruction: str
    """The instruction's name (BINARY_OP, CALL, ...)."""
    reason: str
    """Why `node` is None, or why the instruction is not one numguard projects."""
    texts: dict
    """node -> its source text, filled by `segment` (a site is read many times)."""

    def segment(self, node: ast.AST) -> str:
        """The source text of `node`, one of `self.node`'s descendants."""
        text = self.texts.get(node)
        if text is None:
            text = self.texts[node] = ast.get_source_segment(self.snippet, node) or ""
        return text


_sites: dict[tuple[CodeType, int], Located] = {}
_SITES_MAX = 4096


def locate(frame: FrameType) -> Located:
    """The node `frame` is running (cached per code object and instruction offset)."""
    code, lasti = frame.f_code, frame.f_lasti
    key = (code, lasti)
    found = _sites.get(key)
    if found is None:
        try:
            found = _locate(frame, code, lasti)
        except Exception as error:  # noqa: BLE001 - a diagnosis never raises
            found = _unknown("", f"the expression could not be read ({error!r})")
        if len(_sites) >= _SITES_MAX:
            _sites.clear()
        _sites[key] = found
    return found


def _locate(frame: FrameType, code: CodeType, lasti: int) -> Located:
    lasti = _instruction_start(code, lasti)
    instruction = _instruction(code, lasti)
    if _HAS_POSITIONS:
        span = next(islice(code.co_positions(), lasti // 2, None), None)  # type: ignore[attr-defined]
    elif instruction not in _EXPECTED:
        return _unknown(instruction, f"the line runs {instruction}, not an operation numguard projects")
    else:
        span = _executing_span(frame, instruction)
        if isinstance(span, str):
            return _unknown(instruction, span)
    if span is None or None in span:
        return _unknown(instruction, "Python recorded no source position for this instruction")
    lines = linecache.getlines(code.co_filename)
    if not lines:
        return _unknown(instruction, f"the source of {code.co_filename} is not available")
    text = _cut(lines, *span)
    if not text:
        return _unknown(instruction, "the source does not match the code")
    expected = _EXPECTED.get(instruction)
    if expected is None:
        return _unknown(instruction, f"the line runs {instruction}, not an operation numguard projects", text)
    node, snippet = _parse(text)
    if node is None:
        return _unknown(instruction, "the source does not match the code", text)
    if not isinstance(node, expected):
        return _unknown(instruction, "the source does not match the code", text)
    return Located(text, node, snippet, instruction, "", {})


_CACHE = dis.opmap.get("CACHE")


def _unknown(instruction: str, reason: str, text: str = "") -> Located:
    return Located(text, None, "", instruction, reason, {})


def _instruction_start(code: CodeType, lasti: int) -> int:
    """The instruction `lasti` belongs to: a frame that called a Python function
    reports the last inline CACHE entry of its CALL (Python 3.11+)."""
    raw = code.co_code
    while _CACHE is not None and 0 < lasti < len(raw) and raw[lasti] == _CACHE:
        lasti -= 2
    return lasti


def _instruction(code: CodeType, lasti: int) -> str:
    raw = code.co_code
    if 0 <= lasti < len(raw):
        return dis.opname[raw[lasti]]
    return ""


def _cut(lines: list[str], first: int, last: int, start: int, end: int) -> str:
    """The text between two positions; columns are UTF-8 byte offsets, as Python's."""
    if not 1 <= first <= last <= len(lines):
        return ""
    chosen = [line.encode("utf-8") for line in lines[first - 1:last]]
    if first == last:
        return chosen[0][start:end].decode("utf-8", "replace")
    chosen[0] = chosen[0][start:]
    chosen[-1] = chosen[-1][:end]
    return b"".join(chosen).decode("utf-8", "replace")


def _parse(text: str) -> tuple[ast.AST | None, str]:
    """The node `text` holds: an expression (parenthesised, so that a span running
    over several lines parses) or, for an augmented assignment, one statement."""
    snippet = "(" + text + ")"
    try:
        return ast.parse(snippet, mode="eval").body, snippet
    except (SyntaxError, ValueError):
        pass
    try:
        body = ast.parse(text).body
    except (SyntaxError, ValueError):
        return None, ""
    return (body[0], text) if len(body) == 1 else (None, "")


def _executing_span(frame: FrameType, instruction: str) -> tuple | str:
    """Python 3.10: the node's span from the `executing` package, or why not.

    Where `executing` gives up (an augmented assignment, in its 3.10 matcher), the
    one node of the instruction's kind and operator on the line is taken, if there is
    exactly one.
    """
    try:
        import executing
    except ImportError:
        return "on Python 3.10 the expression needs the `executing` package"
    node = executing.Source.executing(frame).node
    if node is None:
        node = _only_candidate(executing.Source.for_frame(frame).tree, frame.f_lineno,
                               instruction)
    if node is None:
        return "`executing` could not identify the expression"
    return (node.lineno, node.end_lineno, node.col_offset, node.end_col_offset)  # type: ignore[attr-defined]


#: Python 3.10's operator instructions (BINARY_ADD, INPLACE_ADD...) -> the AST operator.
_OPERATORS_310 = {
    "ADD": ast.Add, "SUBTRACT": ast.Sub, "MULTIPLY": ast.Mult, "TRUE_DIVIDE": ast.Div,
    "FLOOR_DIVIDE": ast.FloorDiv, "MODULO": ast.Mod, "POWER": ast.Pow,
    "MATRIX_MULTIPLY": ast.MatMult, "LSHIFT": ast.LShift, "RSHIFT": ast.RShift,
    "AND": ast.BitAnd, "OR": ast.BitOr, "XOR": ast.BitXor,
}


def _only_candidate(tree: ast.AST | None, lineno: int | None, instruction: str) -> Any:
    expected = _EXPECTED.get(instruction)
    if tree is None or lineno is None or expected is None:
        return None
    operator = _OPERATORS_310.get(instruction.partition("_")[2])
    found = [node for node in ast.walk(tree)
             if isinstance(node, expected) and node.lineno <= lineno <= node.end_lineno  # type: ignore[attr-defined]
             and (operator is None or isinstance(getattr(node, "op", None), operator))]
    return found[0] if len(found) == 1 else None
