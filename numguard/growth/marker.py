"""`@pytest.mark.numguard_scaling`: a test run at toy sizes, failed if production won't fit.

The pytest plugin's two scaling hooks delegate here: `parametrize` (collection: the
test's size arguments receive the toy sizes, one test id "scaling") and `run` (the
call: `scaling` runs the test once per toy run and judges the projection). This
module imports pytest; nothing outside the plugin imports it.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping

import pytest

from ..memory import format_bytes
from .analysis import scaling
from .report import ScalingReport, SiteGrowth

MARKER = "numguard_scaling"
KEYS = ("n", "at", "limit", "arg")
HELP = (f"{MARKER}(n=[1_000, 2_000, 4_000], at=5_000_000, limit='16GiB', arg='n'), or "
        "named sizes n={'users': [200, 400, 800], 'items': [20, 40, 80]}, "
        "at={'users': 5_000_000, 'items': 200_000}: run the test at toy sizes and fail it "
        "if its peak of live NumPy memory or a line's allocation, projected to the sizes "
        "at=, exceeds the limit")


def size_names(marker: pytest.Mark) -> list[str]:
    """The test arguments that receive the sizes."""
    n = marker.kwargs.get("n")
    if isinstance(n, Mapping):
        return [str(name) for name in n]
    return [marker.kwargs.get("arg") or "n"]


def parametrize(metafunc: pytest.Metafunc, marker: pytest.Mark) -> None:
    """Give the test's size arguments the toy sizes (checked, and run, at call time)."""
    names = size_names(marker)
    missing = [name for name in names if name not in metafunc.fixturenames]
    if missing:
        wanted = (f"the size as its argument {names[0]!r} (or name it with arg=...)"
                  if not isinstance(marker.kwargs.get("n"), Mapping)
                  else f"each size named in n as an argument (missing: {', '.join(missing)})")
        raise pytest.UsageError(
            f"@pytest.mark.{MARKER} on {metafunc.definition.nodeid}: the test must take "
            f"{wanted}")
    n = marker.kwargs.get("n")
    values = tuple(n[name] for name in n) if isinstance(n, Mapping) else (n,)
    metafunc.parametrize(names, [values], ids=["scaling"])


def run(item: pytest.Function, marker: pytest.Mark) -> ScalingReport:
    """Run the test at each toy run (pytest.fail if the marker is misused, before any
    run); `judge` then says whether it passes."""
    where = f"@pytest.mark.{MARKER}(...) on {item.nodeid}"
    unknown = sorted(set(marker.kwargs) - set(KEYS))
    if marker.args or unknown:
        pytest.fail(f"{where}: takes keyword arguments {', '.join(KEYS)} only, "
                    f"not {list(marker.args) + unknown}", pytrace=False)
    func = item.obj
    if inspect.iscoroutinefunction(func):
        pytest.fail(f"{where}: async tests are not supported", pytrace=False)
    n, arg = marker.kwargs.get("n"), marker.kwargs.get("arg")
    fixtures = {name: item.funcargs[name] for name in item._fixtureinfo.argnames}
    started = []

    def run_test(**sizes: int) -> None:
        started.append(sizes)
        func(**{**fixtures, **sizes})

    try:
        report = scaling(run_test, n, marker.kwargs.get("at"),  # type: ignore[arg-type]
                         marker.kwargs.get("limit"),
                         arg=arg if isinstance(n, Mapping) else (arg or "n"))
    except ValueError as error:
        if started:
            raise  # the test's own error
        pytest.fail(f"{where}: {error}", pytrace=False)
    return report


def judge(item: pytest.Function, report: ScalingReport) -> None:
    """pytest.fail with the report if the peak or a line is projected over the limit."""
    if not report.ok:
        what = ("a line would allocate more than the limit" if report.over_limit
                else "its NumPy arrays alive at once would exceed the limit")
        pytest.fail(f"{item.nodeid}: {what} at production size\n{report}", pytrace=False)


def summary_line(report: ScalingReport, largest: SiteGrowth | None) -> str:
    """One line for the terminal summary: the peak, the largest line, the limit."""
    if largest is None and report.peak is None:
        return "no NumPy allocation seen"
    at = report.design.describe_at()
    parts = []
    if report.peak is not None:
        peak = report.peak
        figure = (format_bytes(peak.projected) if peak.projected is not None
                  else "not projected")
        parts.append(f"peak {figure} at {at} (reached at {peak.where})")
    if largest is not None:
        figure = (format_bytes(largest.projected) if largest.projected is not None
                  else "not projected")
        parts.append(f"largest at {largest.where}, {largest.growth}; {figure}")
    unprojected = len(report.unprojected)
    if unprojected:
        parts.append(f"{unprojected} line(s) not projected")
    return "; ".join(parts) + f" (limit {format_bytes(report.limit)})"

