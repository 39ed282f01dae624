"""NUMGUARD_* environment variables, read at import, in fresh interpreters.

Each case runs `sys.executable -c ...` with a clean environment (no NUMGUARD_* but the
ones given), so the parent's settings and variables never leak in.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from numguard.environment import ENVIRONMENT

SHOW_SETTINGS = textwrap.dedent("""
    import json, numguard
    s = numguard.get_settings()
    print(json.dumps({"mode": s.mode, "nbytes": s.limit.nbytes, "fraction": s.limit.fraction,
                      "limit": str(s.limit), "inflation": s.inflation,
                      "rank_promotion": s.rank_promotion}))
""")


def run_python(code: str, **variables: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMGUARD_")}
    env.update(variables)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=60, cwd=os.path.dirname(__file__))


def settings_with(**variables: str) -> dict:
    proc = run_python(SHOW_SETTINGS, **variables)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_defaults_without_variables():
    assert settings_with() == {"mode": "raise", "nbytes": None, "fraction": 0.8,
                               "limit": "80%", "inflation": None, "rank_promotion": "allow"}


@pytest.mark.parametrize("variables, expected", [
    ({"NUMGUARD_MODE": "warn"}, {"mode": "warn"}),
    ({"NUMGUARD_MODE": "LOG"}, {"mode": "log"}),
    ({"NUMGUARD_MODE": " off "}, {"mode": "off"}),
    ({"NUMGUARD_LIMIT": "512MiB"}, {"nbytes": 512 * 1024**2, "fraction": None}),
    ({"NUMGUARD_LIMIT": "2 GB"}, {"nbytes": 2 * 10**9}),
    ({"NUMGUARD_LIMIT": "1.5GiB"}, {"nbytes": int(1.5 * 1024**3)}),
    ({"NUMGUARD_LIMIT": "75%"}, {"nbytes": None, "fraction": 0.75, "limit": "75%"}),
    ({"NUMGUARD_LIMIT": "1048576"}, {"nbytes": 1048576}),
    ({"NUMGUARD_INFLATION": "2"}, {"inflation": 2.0}),
    ({"NUMGUARD_INFLATION": "1000.5"}, {"inflation": 1000.5}),
    ({"NUMGUARD_INFLATION": "none"}, {"inflation": None}),
    ({"NUMGUARD_INFLATION": "off"}, {"inflation": None}),
    ({"NUMGUARD_RANK_PROMOTION": "raise"}, {"rank_promotion": "raise"}),
    ({"NUMGUARD_RANK_PROMOTION": "Warn"}, {"rank_promotion": "warn"}),
    ({"NUMGUARD_MODE": "", "NUMGUARD_LIMIT": "  "}, {"mode": "raise", "limit": "80%"}),
    ({"NUMGUARD_MODE": "log", "NUMGUARD_LIMIT": "64KiB", "NUMGUARD_INFLATION": "3",
      "NUMGUARD_RANK_PROMOTION": "warn"},
     {"mode": "log", "nbytes": 65536, "inflation": 3.0, "rank_promotion": "warn"}),
])
def test_variables_set_process_defaults(variables, expected):
    got = settings_with(**variables)
    for key, value in expected.items():
        assert got[key] == value, (key, got)


@pytest.mark.parametrize("variable, value, accepted", [
    ("NUMGUARD_MODE", "loud", ["raise", "warn", "log", "off"]),
    ("NUMGUARD_MODE", "1", ["raise", "warn", "log", "off"]),
    ("NUMGUARD_LIMIT", "lots", ["512MiB", "75%", "byte count"]),
    ("NUMGUARD_LIMIT", "0", ["512MiB", "75%"]),
    ("NUMGUARD_LIMIT", "150%", ["512MiB", "75%"]),
    ("NUMGUARD_LIMIT", "-1GiB", ["512MiB", "75%"]),
    ("NUMGUARD_INFLATION", "0.5", ["at least 1", "none"]),
    ("NUMGUARD_INFLATION", "big", ["at least 1", "none"]),
    ("NUMGUARD_INFLATION", "nan", ["at least 1", "none"]),
    ("NUMGUARD_RANK_PROMOTION", "sometimes", ["allow", "warn", "raise"]),
])
def test_invalid_values_never_break_the_import_and_keep_the_default(variable, value, accepted):
    # #20.7: `import numguard` must not break a program (or pytest's plugin loading) over
    # a bad variable: the setting keeps its default, and the problem is kept for those
    # who act on it, named with its value and the accepted forms.
    setting = ENVIRONMENT[variable]
    proc = run_python(textwrap.dedent(f"""
        import json, numguard
        from numguard import environment
        s = numguard.get_settings()
        print(json.dumps([s.origin({setting!r}), [str(p) for p in environment.problems]]))
    """), **{variable: value})
    assert proc.returncode == 0, proc.stderr
    origin, problems = json.loads(proc.stdout.splitlines()[-1])
    assert origin == "default"
    (problem,) = problems
    assert problem.startswith(f"{variable}={value!r} is not valid"), problem
    for form in accepted:
        assert form in problem, f"{form!r} missing from {problem!r}"


def test_an_overflowing_limit_variable_is_a_clear_problem():
    proc = run_python("from numguard import environment; print(environment.problems[0])",
                      NUMGUARD_LIMIT="1e400")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("NUMGUARD_LIMIT='1e400' is not valid")


def test_the_reason_keeps_everything_the_value_says():
    # #21.6: NUMGUARD_LIMIT='1GiB;rm' used to lose its reason at the ";".
    from numguard.environment import read_environment

    _, (problem,) = read_environment({"NUMGUARD_LIMIT": "1GiB;rm"})
    assert str(problem) == (
        "NUMGUARD_LIMIT='1GiB;rm' is not valid (not a number with an optional unit or a "
        "percentage): expected " + problem_forms("limit"))


def problem_forms(setting: str) -> str:
    from numguard.environment import ACCEPTED

    return ACCEPTED[setting]


def test_mode_off_wraps_as_every_mode_does_and_checks_nothing():
    # wrap() is the same in every mode (issue #10.3): a guarded view, never the input.
    code = textwrap.dedent("""
        import numpy as np, numguard
        a = np.ones((1000, 1))
        assert type(numguard.wrap(a)) is numguard.GuardedArray and numguard.wrap(a).base is a
        assert numguard.wrap(5) == 5
        assert (numguard.wrap(a) * np.ones(1000)).shape == (1000, 1000)
        with numguard.guard(mode="raise"):  # a block can still switch it on
            assert type(numguard.wrap(a)) is numguard.GuardedArray
        print("ok")
    """)
    proc = run_python(code, NUMGUARD_MODE="off", NUMGUARD_LIMIT="1KiB")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


def test_variables_change_behaviour_without_code_change():
    code = textwrap.dedent("""
        import numpy as np, numguard, warnings
        warnings.simplefilter("always")
        a = numguard.wrap(np.ones((300, 1)))
        try:
            r = a * np.ones((1, 400))
            print("ran", r.shape)
        except numguard.BroadcastMemoryError as e:
            print("refused:", str(e).splitlines()[0])
            print([line for line in str(e).splitlines() if "limit" in line][0])
    """)
    default = run_python(code)
    assert default.stdout.startswith("ran (300, 400)"), default.stderr
    limited = run_python(code, NUMGUARD_LIMIT="100KiB")
    assert limited.stdout.startswith("refused:"), limited.stderr
    assert "100KiB" in limited.stdout
    warned = run_python(code, NUMGUARD_LIMIT="100KiB", NUMGUARD_MODE="warn")
    assert warned.stdout.startswith("ran (300, 400)")
    assert "MemoryLimitWarning" in warned.stderr  # a NumguardWarning, shown by default
    inflated = run_python(code, NUMGUARD_INFLATION="2")
    assert inflated.returncode != 0 and "InflationError" in inflated.stderr
    promoted = run_python(code.replace("np.ones((1, 400))", "np.ones(400)"),
                          NUMGUARD_RANK_PROMOTION="raise")
    assert promoted.returncode != 0 and "RankPromotionError" in promoted.stderr


def test_guard_blocks_override_the_variables():
    code = textwrap.dedent("""
        import numguard
        with numguard.guard(mode="raise", limit="1GiB"):
            s = numguard.get_settings()
            print(s.mode, s.limit.nbytes)
        print(numguard.get_settings().mode)
    """)
    proc = run_python(code, NUMGUARD_MODE="off", NUMGUARD_LIMIT="1KiB")
    assert proc.stdout.split() == ["raise", str(1024**3), "off"], proc.stderr


def test_settings_from_environment_directly():
    from numguard.environment import settings_from_environment

    assert settings_from_environment({}) == {}
    found = settings_from_environment({"NUMGUARD_MODE": "warn", "NUMGUARD_INFLATION": "none",
                                       "UNRELATED": "x"})
    assert found == {"mode": "warn", "inflation": None}
    with pytest.raises(ValueError, match="NUMGUARD_RANK_PROMOTION='no'"):
        settings_from_environment({"NUMGUARD_RANK_PROMOTION": "no"})
