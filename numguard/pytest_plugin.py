"""numguard's pytest plugin: a refused allocation fails its test, not the CI runner.

Active once numguard is installed (entry point `pytest11`); it does nothing until asked:

- `--numguard` (ini `numguard = true`) runs every test, fixtures included, inside a
  `numguard.guard(...)` block; `--numguard-limit/-mode/-inflation` (ini twins
  `numguard_limit`, ...) set its settings. Under pytest-xdist the default limit is
  shared among the workers, which all draw on one machine's memory.
- `@pytest.mark.numguard(limit=..., mode=..., inflation=..., rank_promotion=...)`
  guards one test, with or without `--numguard` (its values win).
- `@pytest.mark.numguard_scaling(n=[...], at=..., limit=..., arg="n")`, or named sizes
  `n={"users": [...], "items": [...]}, at={...}`, runs the test at toy sizes and fails
  it if its peak of NumPy memory or a line's allocation, projected to `at`, would
  exceed `limit` (numguard.growth, its marker.py).

A terminal section "numguard" lists the refusals, the largest allocations of the
guarded tests and the scaling verdicts. Under xdist the figures travel on the reports
(attributes `numguard_*`), so the controller's summary covers every worker.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Generator
from contextlib import ExitStack
from typing import Any

import pytest

from . import environment
from .environment import ACCEPTED, reason_of, text_to_value
from .errors import NumguardError
from .growth import ScalingReport, allocation_site, short_path, watch_allocations
from .growth import marker as scaling_marker
from .limits import parse_limit
from .memory import format_bytes
from .scope import guard
from .settings import MODES, RANK_PROMOTION, get_settings, validate

MARKER = "numguard"
SCALING_MARKER = scaling_marker.MARKER
#: Allocations at most this large are not listed in the summary (nor observed, where
#: the observer can skip them cheaply).
LISTED_FLOOR = 1024 * 1024
PER_TEST = 3
TESTS_LISTED = 10
SCALING_KEYS = scaling_marker.KEYS

_OPTIONS = {  # setting: (command-line option, ini name, help)
    "limit": ("--numguard-limit", "numguard_limit",
              "most one allocation may take in a guarded test: '512MiB', '2GB', '25%'"),
    "mode": ("--numguard-mode", "numguard_mode",
             f"what a guarded test does over the limit: {' | '.join(MODES)}"),
    "inflation": ("--numguard-inflation", "numguard_inflation",
                  "refuse broadcast results this many times larger than their largest "
                  "operand ('none' turns the rule off)"),
    "rank_promotion": ("--numguard-rank-promotion", "numguard_rank_promotion",
                       f"operands of different ranks broadcast together: "
                       f"{' | '.join(RANK_PROMOTION)}"),
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("numguard", "numguard: refuse NumPy memory blow-ups")
    group.addoption("--numguard", action="store_true", default=None,
                    help="run every test inside a numguard.guard block (ini: numguard)")
    parser.addini("numguard", type="bool", default=False,
                  help="run every test inside a numguard.guard block")
    for option, ini, text in _OPTIONS.values():
        # argparse %-formats help texts: a '25%' must be written '25%%' there.
        group.addoption(option, default=None, metavar="VALUE",
                        help=f"{text} (ini: {ini})".replace("%", "%%"))
        parser.addini(ini, default="", help=text)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(limit=..., mode=..., inflation=..., rank_promotion=...): run this test "
        "inside numguard.guard(...) with these settings, with or without --numguard")
    config.addinivalue_line("markers", scaling_marker.HELP)
    config.pluginmanager.register(NumguardRun(config), "numguard-run")


class _OriginGuard(guard):
    """guard() whose settings name where pytest got them (not the plugin's caller frame)."""

    __slots__ = ()

    def __init__(self, origin: str, changes: dict[str, Any]) -> None:
        super().__init__(**changes)
        self._origin = origin  # read by report.py as "limit=... from <origin>"


def run_changes(config: pytest.Config) -> list[tuple[str, dict[str, Any]]]:
    """The run's settings as (origin, validated changes) groups; pytest.UsageError if bad."""
    groups: dict[str, dict[str, Any]] = {}
    for name, (option, ini, _) in _OPTIONS.items():
        value, origin = config.getoption(option), f"pytest {option}"
        if value is None:
            value, origin = config.getini(ini).strip() or None, f"pytest ini {ini}"
        if value is None:
            continue
        try:
            groups.setdefault(origin, {})[name] = validate(
                {name: text_to_value(name, value.strip())})[name]
        except (TypeError, ValueError) as error:
            reason = reason_of(error)
            why = f" ({reason})" if reason else ""
            raise pytest.UsageError(f"{origin}={value!r} is not valid{why}: "
                                    f"expected {ACCEPTED[name]}") from None
    if not any("limit" in changes for changes in groups.values()):
        shared = _shared_default_limit()
        if shared is not None:
            groups[shared[0]] = {"limit": shared[1]}
    return list(groups.items())


def _shared_default_limit() -> tuple[str, Any] | None:
    """Under pytest-xdist, the limit in force divided among the workers (they share RAM)."""
    try:
        workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    except ValueError:
        return None
    if workers <= 1:
        return None
    limit = get_settings().limit
    if limit.nbytes is not None:
        share = parse_limit(max(1, limit.nbytes // workers))
    else:
        assert limit.fraction is not None  # a Limit holds nbytes or a fraction
        share = parse_limit(f"{limit.fraction * 100 / workers:.6g}%")
    return (f"pytest-xdist: {limit.text} shared among {workers} workers", share)


class NumguardRun:
    """The plugin's state for one session: what guards each test, and what it saw."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.guard_all = bool(config.getoption("--numguard") or config.getini("numguard"))
        self.changes = run_changes(config)
        self.refusals: list[dict[str, Any]] = []
        self.largest: dict[str, list[tuple[int, str]]] = {}
        self.guarded = 0
        self.scaled: list[tuple[str, bool, str]] = []
        #: backstop refusals a guarded test caught itself (pytest.raises(MemoryError)...)
        self.handled: list[tuple[str, int, str]] = []
        #: bad NUMGUARD_* values, reported once if a test is guarded
        self.problems_reported = False

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        if not self.guard_all or not environment.problems:
            return []
        self.problems_reported = True
        return [problem.instead() for problem in environment.problems]

    # -- which tests are guarded, with what ------------------------------------------

    def _guards(self, item: pytest.Item) -> list[guard] | None:
        """The test's guard blocks (None: not guarded); a bad marker fails its setup once."""
        if _GUARDS in item.stash:
            return item.stash[_GUARDS]
        item.stash[_GUARDS] = None
        marker = item.get_closest_marker(MARKER)
        if marker is None and not self.guard_all:
            return None
        # At least one block, even with nothing to change: a live block is what makes
        # the backstop judge this test's plain NumPy allocations.
        guards: list[guard] = [_OriginGuard(o, c) for o, c in self.changes] or [guard()]
        if marker is not None:
            if marker.args:
                pytest.fail(f"@pytest.mark.{MARKER} takes keyword arguments only "
                            f"(limit=, mode=, inflation=, rank_promotion=), not {marker.args!r}",
                            pytrace=False)
            try:
                changes = validate(marker.kwargs)
            except (TypeError, ValueError) as error:
                pytest.fail(f"@pytest.mark.{MARKER}(...) on {item.nodeid}: {error}",
                            pytrace=False)
            guards.append(_OriginGuard(f"@pytest.mark.{MARKER} on {item.nodeid}", changes))
        item.stash[_GUARDS] = guards
        return guards

    def _run_guarded(self, item: pytest.Item) -> Generator[None, Any, Any]:
        """Around one phase (setup, call, teardown): the test's guards, allocations observed."""
        guards = self._guards(item)
        if guards is None:
            return (yield)
        seen = item.stash.setdefault(_LARGEST, LargestAllocations(LISTED_FLOOR, PER_TEST))
        refused = item.stash.setdefault(_REFUSED, RefusedRequests())
        with ExitStack() as stack:
            # No handler tap here: a guarded test must see NumPy as it is.
            stack.enter_context(watch_allocations(seen, LISTED_FLOOR, refused))
            for each in guards:
                stack.enter_context(each)
            return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Generator[None, Any, Any]:
        return (yield from self._run_guarded(item))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, Any, Any]:
        return (yield from self._run_guarded(item))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_teardown(self, item: pytest.Item, nextitem: Any) -> Generator[None, Any, Any]:
        return (yield from self._run_guarded(item))

    # -- scaling ----------------------------------------------------------------------

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        marker = metafunc.definition.get_closest_marker(SCALING_MARKER)
        if marker is not None:
            scaling_marker.parametrize(metafunc, marker)

    @pytest.hookimpl(tryfirst=True)
    def pytest_pyfunc_call(self, pyfuncitem: pytest.Function) -> bool | None:
        marker = pyfuncitem.get_closest_marker(SCALING_MARKER)
        if marker is None:
            return None
        report = pyfuncitem.stash[_SCALING] = scaling_marker.run(pyfuncitem, marker)
        scaling_marker.judge(pyfuncitem, report)
        return True

    # -- reports ----------------------------------------------------------------------

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo) -> Any:
        report = yield
        error = call.excinfo.value if call.excinfo is not None else None
        if isinstance(error, NumguardError) and report.failed:
            refusal = describe_refusal(item, error)
            report.numguard_refusal = refusal
            if self.config.getoption("tbstyle", "auto") not in ("long", "native"):
                report.longrepr = refusal["text"]
        if call.when == "call" and _SCALING in item.stash:
            scaled: ScalingReport = item.stash[_SCALING]
            worst = scaled.sites[0] if scaled.sites else None
            report.numguard_scaling = (scaled.ok, _scaling_line(scaled, worst))
        if call.when == "call" and _REFUSED in item.stash and isinstance(
                error, NumguardError) and isinstance(error.__cause__, MemoryError):
            item.stash[_REFUSED].failed_the_test()  # listed as the failure, not twice
        if call.when == "teardown" and _LARGEST in item.stash:
            report.numguard_largest = item.stash[_LARGEST].listed()
            report.numguard_handled = item.stash[_REFUSED].listed()
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        refusal = getattr(report, "numguard_refusal", None)
        if refusal is not None:
            self.refusals.append(refusal)
        for nbytes, where in getattr(report, "numguard_handled", ()):
            self.handled.append((report.nodeid, nbytes, where))
        largest = getattr(report, "numguard_largest", None)
        if largest is not None:
            self.guarded += 1
            if largest:
                self.largest[report.nodeid] = [tuple(pair) for pair in largest]
        scaled = getattr(report, "numguard_scaling", None)
        if scaled is not None:
            self.scaled.append((report.nodeid, *scaled))

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not (self.guarded or self.refusals or self.scaled):
            return
        write = terminalreporter.write_line
        terminalreporter.section("numguard")
        if self.guarded and environment.problems and not self.problems_reported:
            for problem in environment.problems:
                write(problem.instead())
        if self.guarded or self.refusals:
            write(f"{self.guarded} guarded test(s), "
                  f"{len(self.refusals) + len(self.handled)} refusal(s)")
        for refusal in self.refusals:
            write(f"refused: {refusal['nodeid']}: {refusal['summary']}")
        for nodeid, nbytes, where in self.handled:
            write(f"refused, and handled by the test: {nodeid}: {format_bytes(nbytes)} "
                  f"requested at {where}")
        ranked = sorted(self.largest.items(), key=lambda kv: -kv[1][0][0])
        shown = len(ranked) if self.config.getoption("verbose") > 0 else TESTS_LISTED
        if ranked:
            write(f"largest allocations observed (over {format_bytes(LISTED_FLOOR)}, "
                  f"{min(len(ranked), shown)} of {len(ranked)} tests; -v lists all):")
        for nodeid, pairs in ranked[:shown]:
            listed = ", ".join(f"{format_bytes(n)} at {where}" for n, where in pairs)
            write(f"  {nodeid}: {listed}")
        for nodeid, ok, line in self.scaled:
            write(f"scaling {'passed' if ok else 'FAILED'}: {nodeid}: {line}")


_GUARDS = pytest.StashKey["list[guard] | None"]()
_LARGEST = pytest.StashKey["LargestAllocations"]()
_REFUSED = pytest.StashKey["RefusedRequests"]()
_SCALING = pytest.StashKey[ScalingReport]()


class LargestAllocations:
    """An allocation callback keeping a test's largest allocations, one per call site."""

    def __init__(self, floor: int, keep: int) -> None:
        self.floor = floor
        self.keep = keep
        self.by_site: dict[tuple[str, int], int] = {}

    def __call__(self, nbytes: int) -> None:
        if nbytes <= self.floor:
            return
        site = allocation_site(sys._getframe(1))
        if nbytes > self.by_site.get(site, 0):
            self.by_site[site] = nbytes

    def listed(self) -> list[tuple[int, str]]:
        """The largest `keep` allocations as (bytes, "file:line"), largest first."""
        ranked = sorted(self.by_site.items(), key=lambda kv: -kv[1])[: self.keep]
        return [(n, f"{short_path(f)}:{line}") for (f, line), n in ranked]


class RefusedRequests:
    """A refusal callback keeping the requests the backstop refused during a test."""

    def __init__(self) -> None:
        self.requests: list[tuple[int, str]] = []

    def __call__(self, nbytes: int) -> None:
        filename, line = allocation_site(sys._getframe(1))
        self.requests.append((nbytes, f"{short_path(filename)}:{line}"))

    def failed_the_test(self) -> None:
        """The last refusal left the test as its failure: it is listed as that."""
        if self.requests:
            self.requests.pop()

    def listed(self) -> list[tuple[int, str]]:
        return list(self.requests)


def describe_refusal(item: pytest.Item, error: NumguardError) -> dict[str, Any]:
    """A refusal as the summary and the failure report show it (plain data: xdist ships it)."""
    site = _innermost_user_line(error)
    test_line = _test_line(item, error)
    estimate, trip = error.estimate, error.trip
    nbytes = getattr(estimate, "nbytes", None)
    limit = getattr(trip, "limit", None)
    figures = (f"{format_bytes(nbytes)} projected" if nbytes is not None else "refused") + (
        f", limit {format_bytes(limit)}" if limit is not None else "")
    summary = f"{type(error).__name__} at {site or '?'} ({figures})"
    where = f" at {test_line}" if test_line else ""
    text = (f"numguard refused an operation in {item.nodeid}{where}; nothing was allocated.\n"
            f"{type(error).__name__}: {error}")
    return {"nodeid": item.nodeid, "summary": summary, "text": text, "nbytes": nbytes,
            "limit": limit, "site": site, "test_line": test_line}


def _chain(error: BaseException) -> list[BaseException]:
    """`error` and the errors it was raised from or during, the original one first."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain[::-1]


def _entries(error: BaseException) -> list[Any]:
    entries, tb = [], error.__traceback__
    while tb is not None:
        entries.append(tb)
        tb = tb.tb_next
    return entries


def _innermost_user_line(error: BaseException) -> str | None:
    """The innermost line outside NumPy and numguard, in the original error's traceback."""
    for each in _chain(error):
        for tb in reversed(_entries(each)):
            filename, _ = allocation_site(tb.tb_frame)
            if tb.tb_frame.f_code.co_filename == filename:
                return f"{short_path(filename)}:{tb.tb_lineno}"
    return None


def _test_line(item: pytest.Item, error: BaseException) -> str | None:
    """file:line in the test function where the refused operation was written or called."""
    code = getattr(getattr(item, "obj", None), "__code__", None)
    for each in _chain(error):
        for tb in reversed(_entries(each)):
            if tb.tb_frame.f_code is code:
                return f"{short_path(code.co_filename)}:{tb.tb_lineno}"
    return None


def _scaling_line(report: ScalingReport, worst: Any) -> str:
    return scaling_marker.summary_line(report, worst)
