"""IPython and Jupyter: `%load_ext numguard`, the `%numguard` magics, and refused cells.

In a notebook an oversized NumPy allocation usually kills the kernel, and every
variable with it. Loading this extension arms the allocation backstop for the session
(process settings, so `%numguard ...` or `numguard.configure()` inside a cell takes
effect at once), and wraps each cell so that a refusal leaving it is numguard's error:
IPython then shows its `_render_traceback_`, a short message instead of pages of
frames, and the kernel lives on. Nothing here runs at `import numguard`:
numguard.load_ipython_extension imports this module when IPython asks for it.

How a cell is wrapped (an AST transformer, not `set_custom_exc`, whose single slot
belongs to whichever tool took it last): the cell's statements run inside
`with translating():`, which scopes no settings. A trailing expression is evaluated
inside that block and handed out again by a final expression statement, so IPython
still displays it in Out[] as it would have.
"""

from __future__ import annotations

import ast
import linecache
import shlex
import sys
from typing import Any

try:
    from IPython.core.error import UsageError
except ImportError as error:  # pragma: no cover - exercised where IPython is absent
    raise ImportError(
        f"numguard.ipython needs IPython ({error.name} is missing): "
        "pip install 'numguard[jupyter]'"
    ) from error

from . import backstop
from .environment import ACCEPTED, reason_of, text_to_value
from .errors import NumguardError
from .memory import budget, format_bytes
from .scope import guard, translating
from .settings import Settings, _configure, process_settings, settings_fields, validate

__all__ = ["CellTranslator", "load", "load_ipython_extension", "status_text", "unload",
           "unload_ipython_extension"]

MAGIC = "numguard"
_MODULE = __name__

# --- the value of a cell's trailing expression, between its evaluation and display ----

_held: list[Any] = []


def _hold(value: Any) -> None:
    """Keep a cell's trailing value until `_release` hands it to IPython's display."""
    _held[:] = [value]


def _release() -> Any:
    """The held value, forgotten here at once (numguard must not keep big arrays alive)."""
    value = _held[0] if _held else None
    _held.clear()
    return value


def _translating() -> translating:
    """The context manager each cell runs in (a function, so the AST names one thing)."""
    return translating()


# --- the AST transformer ---------------------------------------------------------------


def _helper(name: str, where: ast.AST | None = None) -> ast.expr:
    """`__import__("numguard.ipython", fromlist=["_"])._hold`, robust to `%reset`."""
    at = _position(where)
    module = ast.Call(
        func=ast.Name("__import__", ast.Load(), **at),
        args=[ast.Constant(_MODULE, **at)],
        keywords=[ast.keyword("fromlist", ast.List([ast.Constant("_", **at)], ast.Load(), **at),
                              **at)],
        **at,
    )
    return ast.Attribute(module, name, ast.Load(), **at)


def _call(name: str, where: ast.AST, *args: ast.expr) -> ast.Call:
    return ast.Call(func=_helper(name, where), args=list(args), keywords=[],
                    **_position(where))


def _position(where: ast.AST | None) -> dict[str, Any]:
    """`where`'s position, for new nodes (placed by hand: walking the cell costs more)."""
    if where is None:
        return {}
    return {"lineno": where.lineno, "col_offset": where.col_offset,  # type: ignore[attr-defined]
            "end_lineno": where.end_lineno,  # type: ignore[attr-defined]
            "end_col_offset": where.end_col_offset}  # type: ignore[attr-defined]


#: How the helper module is named in a wrapped cell (compared without positions).
_HELPER_MODULE = ast.dump(_helper("_").value)  # type: ignore[attr-defined]


def _is_future_import(node: ast.stmt) -> bool:
    return isinstance(node, ast.ImportFrom) and node.module == "__future__"


def is_release(node: ast.stmt) -> bool:
    """Whether `node` is the final `_release()` statement a wrapped cell ends with."""
    if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)):
        return False
    func = node.value.func
    return (isinstance(func, ast.Attribute) and func.attr == "_release"
            and ast.dump(func.value) == _HELPER_MODULE)


def _assigned_name(node: ast.stmt) -> str | None:
    """The single name a last statement assigns (IPython's 'last_expr_or_assign' shows it)."""
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target: ast.expr | None = node.targets[0]
    elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
        target = node.target
    else:
        target = None
    return target.id if isinstance(target, ast.Name) else None


def split_futures(body: list[ast.stmt]) -> tuple[list[ast.stmt], list[ast.stmt]]:
    """(a leading docstring and the `from __future__` imports after it, the rest): the
    former must stay first, as Python requires of a module."""
    count = 0
    if len(body) > 1 and _is_docstring(body[0]) and _is_future_import(body[1]):
        count = 1
    while count < len(body) and _is_future_import(body[count]):
        count += 1
    return body[:count], body[count:]


def _is_docstring(node: ast.stmt) -> bool:
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str))


def wrap_statements(body: list[ast.stmt], show_assignment: bool = False) -> list[ast.stmt]:
    """`body` inside `with translating():`; a trailing expression is still displayed."""
    futures, body = split_futures(body)
    if not body:
        return futures
    inner = list(body)
    after: list[ast.stmt] = []
    last = inner[-1]
    if isinstance(last, ast.Expr):
        inner[-1] = ast.Expr(_call("_hold", last, last.value), **_position(last))
        after.append(ast.Expr(_call("_release", last), **_position(last)))
    elif show_assignment and (name := _assigned_name(last)):
        shown = ast.Name(name, ast.Load(), **_position(last))
        after.append(ast.Expr(shown, **_position(last)))
    first = body[0]
    block = ast.With(items=[ast.withitem(_call("_translating", first))], body=inner,
                     **_position(first))
    block.end_lineno, block.end_col_offset = last.end_lineno, last.end_col_offset
    return futures + [block] + after


class CellTranslator(ast.NodeTransformer):
    """IPython AST transformer: a backstop refusal leaving a cell is numguard's error."""

    def __init__(self, shell: Any) -> None:
        self.shell = shell

    def visit_Module(self, module: ast.Module) -> ast.Module:  # noqa: N802 - ast's naming
        if module.body and not is_release(module.body[-1]):  # never wrap a cell twice
            show = getattr(self.shell, "ast_node_interactivity", "") == "last_expr_or_assign"
            module.body = wrap_statements(module.body, show)
        return module


# --- the session: load, unload, status -------------------------------------------------


class _Session:
    """What `load` changed, so `unload` can put it back, and what `%numguard` reports."""

    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self.previous = process_settings()
        self.was_armed = backstop.is_enabled()
        self.translator = CellTranslator(shell)
        self.mode_before_off = "raise"
        self.cells_refused = 0
        self.refusals_at_load = _backstop_refusals()

    def after_cell(self, result: Any) -> None:
        _held.clear()  # an interrupted cell may have held a value it never displayed
        if isinstance(getattr(result, "error_in_exec", None), NumguardError):
            self.cells_refused += 1


_session: _Session | None = None


def _backstop_refusals() -> int:
    return int(backstop.status().get("refusals", 0))


def load(shell: Any) -> None:
    """`%load_ext numguard`: arm the backstop for the session and wrap every cell.

    The process settings in force are used (NUMGUARD_* or defaults: the limit is 80%
    of what the kernel can still allocate, cgroup-aware). Loading twice does nothing.
    """
    global _session
    if _session is not None:
        return
    session = _Session(shell)
    backstop.enable()
    shell.ast_transformers.append(session.translator)
    shell.events.register("post_run_cell", session.after_cell)
    shell.register_magic_function(numguard_magic, "line_cell", MAGIC)
    _session = session
    if process_settings().mode == "off":
        print(f"numguard: mode is off ({process_settings().origin('mode')}); "
              f"`%numguard on` arms it")


def unload(shell: Any) -> None:
    """`%unload_ext numguard`: cells run unwrapped, the settings and arming are as before."""
    global _session
    session, _session = _session, None
    if session is None:
        return
    if session.translator in shell.ast_transformers:
        shell.ast_transformers.remove(session.translator)
    try:
        shell.events.unregister("post_run_cell", session.after_cell)
    except ValueError:
        pass  # another tool already removed it
    for kind in ("line", "cell"):
        if shell.magics_manager.magics[kind].get(MAGIC) is numguard_magic:
            del shell.magics_manager.magics[kind][MAGIC]
    _held.clear()
    # Disarm first: disable() restores what the backstop's first enable() replaced, which
    # %numguard off/on may have moved; the session's own starting settings win last.
    if session.was_armed:
        backstop.enable()
    else:
        backstop.disable()
    _configure(session.previous, {}, "unload")


def status_text() -> str:
    """What `%numguard` prints: mode, limit and its origin, memory, refusals so far."""
    settings = process_settings()
    reading = budget()
    armed = backstop.is_enabled() and settings.mode != "off"
    lines = [f"numguard: {'armed' if armed else 'off'}, mode={settings.mode} "
             f"(from {settings.origin('mode')})"]
    limit = settings.limit
    if limit.nbytes is not None:
        figure = f"{format_bytes(limit.nbytes)} (limit={limit.text})"
    else:
        figure = (f"{format_bytes(limit.resolve(reading.available))} "
                  f"({limit.text} of what is available)")
    lines.append(f"  limit: {figure}, from {settings.origin('limit')}")
    if settings.inflation is not None:
        lines.append(f"  inflation: {settings.inflation:g}, from {settings.origin('inflation')}")
    lines.append(f"  memory available: {format_bytes(reading.available)}, "
                 f"bound by {reading.binding}")
    if _session is not None:
        allocations = _backstop_refusals() - _session.refusals_at_load
        lines.append(f"  refusals so far: {allocations} allocation(s) refused by the "
                     f"backstop, {_session.cells_refused} cell(s) stopped")
    if not armed:
        lines.append("  `%numguard on` arms it")
    return "\n".join(lines)


# --- the magics ------------------------------------------------------------------------

_USAGE = (
    "expected `%numguard` (status), `%numguard on`, `%numguard off`, or settings as "
    "name=value with name in " + ", ".join(settings_fields())
)


def parse_settings(line: str, magic: str = "%numguard") -> dict[str, Any]:
    """`limit=2GiB mode=warn` as settings, validated; UsageError names what is wrong."""
    try:
        tokens = shlex.split(line)
    except ValueError as error:
        raise UsageError(f"{magic}: cannot read {line!r} ({error}); {_USAGE}") from None
    changes: dict[str, Any] = {}
    for token in tokens:
        name, equals, text = token.partition("=")
        if not equals or name not in settings_fields():
            raise UsageError(f"{magic}: {token!r} is not a setting; {_USAGE}")
        try:
            value = text_to_value(name, text.strip())
            validate({name: value})
        except (TypeError, ValueError) as error:
            reason = reason_of(error)
            why = f" ({reason})" if reason else ""
            raise UsageError(f"{magic}: invalid {name} {text!r}{why}: "
                             f"expected {ACCEPTED[name]}") from None
        changes[name] = value
    return changes


def current_cell(shell: Any) -> str | None:
    """"In[7]" for the cell running now: the innermost frame IPython compiled for a cell.

    IPython 9 counts a cell before running it, so `execution_count` is one ahead in a
    cell run with history; the compiler's own name for the cell's code is not.
    """
    frame = sys._getframe(1)
    while frame is not None:
        named = shell.compile.format_code_name(frame.f_code.co_filename)
        if named is not None:
            return named[1]
        frame = frame.f_back  # type: ignore[assignment]
    return None


def _apply(changes: dict[str, Any]) -> Settings:
    """Set the session's (process) settings and arm or disarm to match."""
    cell = current_cell(_session.shell) if _session is not None else None
    origin = f"%numguard in {cell}" if cell else "%numguard"
    current = process_settings()
    if changes.get("mode") == "off" and current.mode != "off" and _session is not None:
        _session.mode_before_off = current.mode
    _configure(None, changes, origin)
    return backstop.enable()


def numguard_magic(line: str, cell: str | None = None) -> Any:
    """%numguard: status, on/off, or settings; %%numguard name=value: one guarded cell."""
    __tracebackhide__ = True  # noqa: F841 - IPython shows the cell's frames, not these
    if cell is not None:
        return run_guarded_cell(parse_settings(line, "%%numguard"), cell, line.strip())
    words = line.split()
    if not words:
        print(status_text())
    elif words == ["off"]:
        _apply({"mode": "off"})
    elif words == ["on"]:
        mode = process_settings().mode
        restored = _session.mode_before_off if _session is not None else "raise"
        _apply({"mode": restored if mode == "off" else mode})
    else:
        _apply(parse_settings(line))
    return None


def run_guarded_cell(changes: dict[str, Any], cell: str, line: str = "") -> Any:
    """The cell inside `guard(**changes)`: its settings end with the cell.

    The guard is entered by a one-line block compiled under the cell's name ("In[7]",
    its source the magic's own line), so a report says the limit was set by
    `guard(limit=...) at In[7]:1`, not somewhere in IPython's machinery.
    """
    __tracebackhide__ = True  # noqa: F841
    if _session is None:
        raise UsageError("%%numguard: the extension is not loaded (`%load_ext numguard`)")
    shell = _session.shell
    name = current_cell(shell)
    source = shell.transform_cell(cell)
    number = int(name[3:-1]) if name and name[3:-1].isdigit() else shell.execution_count
    filename = shell.compile.cache(source, number, raw_code=cell)
    module = shell.transform_ast(shell.compile.ast_parse(source, filename=filename))
    if not module.body or not is_release(module.body[-1]):
        module.body = wrap_statements(module.body)  # our transformer was not in the list
    futures, body = split_futures(module.body)
    release = body.pop() if body and is_release(body[-1]) else None
    module.body = futures + body
    code = shell.compile(ast.fix_missing_locations(module), filename, "exec")
    _held.clear()
    _guarded(changes, line, name or "%%numguard", code, shell)
    return _release() if release is not None else None


def _guarded(changes: dict[str, Any], line: str, name: str, code: Any, shell: Any) -> None:
    """exec `code` in the user's namespace inside `guard(**changes)` entered at `name`:1."""
    __tracebackhide__ = True  # noqa: F841 - IPython shows the cell's frames, not these
    linecache.cache[name] = (0, None, [f"%%numguard {line}\n"], name)
    block = compile("with guard(**changes): exec(code, user_globals, user_locals)\n",
                    name, "exec", dont_inherit=True)
    exec(block, {"guard": guard, "changes": changes, "code": code, "__tracebackhide__": True,
                 "user_globals": shell.user_global_ns, "user_locals": shell.user_ns})


#: `%load_ext numguard.ipython` works too (numguard's own hooks call `load`/`unload`).
load_ipython_extension = load
unload_ipython_extension = unload
