"""The command line speaks plainly (issue #12 item 6, #10 item 8): clean help, one-line
errors with exit status 2, the program's arguments passed on untouched, and `info`
saying which settings are in force, where each came from, and whether the backstop is armed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from numguard.__main__ import main, split_run_arguments, start_up_hook_installed

BAD_LIMIT = "NUMGUARD_LIMIT='lots' is not valid"


def child_env(**variables: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMGUARD_")}
    env.update(variables)
    return env


def cli(*arguments: str, cwd: Path | None = None, **variables: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "numguard", *arguments], capture_output=True, text=True,
        timeout=60, env=child_env(**variables), cwd=cwd,
    )


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


# -- help -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [(), ("info",), ("run",)])
def test_help_is_clean_text(command: tuple[str, ...]) -> None:
    done = cli(*command, "--help")
    assert done.returncode == 0, done.stderr
    assert "``" not in done.stdout and ":func:" not in done.stdout
    assert done.stdout.startswith("usage: python -m numguard")


def test_run_help_says_the_program_arguments_are_passed_on() -> None:
    out = cli("run", "--help").stdout
    assert "script.py [args ...]" in out and "-m module [args ...]" in out
    assert "'--' included" in out


# -- run: what to run, and its arguments ------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["job.py", "--", "--x"], ([], False, "job.py", ["--", "--x"])),
        (["--limit", "1GiB", "job.py", "-m", "x"], (["--limit", "1GiB"], False, "job.py", ["-m", "x"])),
        (["--mode=warn", "-m", "pkg.mod", "--", "--limit", "2"], (["--mode=warn"], True, "pkg.mod", ["--", "--limit", "2"])),
        (["-mpkg", "a"], ([], True, "pkg", ["a"])),
        (["--", "job.py", "--mode"], ([], False, "job.py", ["--mode"])),
        (["--bogus", "job.py"], (["--bogus"], False, "job.py", [])),
        ([], ([], False, None, [])),
        (["-m"], ([], True, None, [])),
    ],
)
def test_split_run_arguments(argv: list[str], expected: tuple) -> None:  # type: ignore[type-arg]
    assert split_run_arguments(argv) == expected


ECHO = "import json, sys; print(json.dumps(sys.argv[1:]))"


def test_run_passes_double_dash_on_as_python_does(tmp_path: Path) -> None:
    script = tmp_path / "echo.py"
    script.write_text(ECHO)
    plain = subprocess.run([sys.executable, str(script), "--", "--x"], capture_output=True, text=True, timeout=60)
    done = cli("run", str(script), "--", "--x", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == plain.stdout == '["--", "--x"]\n'


def test_run_module_passes_double_dash_on_as_python_does(tmp_path: Path) -> None:
    (tmp_path / "echomod.py").write_text(ECHO)
    plain = subprocess.run(
        [sys.executable, "-m", "echomod", "--", "--x", "-m"], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    done = cli("run", "--limit", "1GiB", "-m", "echomod", "--", "--x", "-m", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == plain.stdout == '["--", "--x", "-m"]\n'


def test_run_without_a_program_says_what_to_give(tmp_path: Path) -> None:
    for argv in (("run",), ("run", "--limit", "1GiB"), ("run", "-m")):
        done = cli(*argv, cwd=tmp_path)
        assert done.returncode == 2
        line = one_line(done.stderr)
        assert line.startswith("python -m numguard run: give the program to run: ")
        assert "script.py" in line and "-m module" in line


def test_run_missing_module_is_one_line(tmp_path: Path) -> None:
    done = cli("run", "-m", "nosuchmod_numguard", cwd=tmp_path)
    assert done.returncode == 2
    assert one_line(done.stderr) == "python -m numguard run: no module named 'nosuchmod_numguard'"
    done = cli("run", "-m", "json.nosuch", cwd=tmp_path)
    assert (done.returncode, one_line(done.stderr)) == (2, "python -m numguard run: no module named 'json.nosuch'")
    done = cli("run", "-m", "nosuchpkg_numguard.sub", cwd=tmp_path)
    assert done.returncode == 2 and "No module named 'nosuchpkg_numguard'" in one_line(done.stderr)


def test_run_package_without_main_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "plainpkg").mkdir()
    (tmp_path / "plainpkg" / "__init__.py").write_text("")
    done = cli("run", "-m", "plainpkg", cwd=tmp_path)
    assert done.returncode == 2
    assert "'plainpkg' is a package and cannot be run directly" in one_line(done.stderr)


def test_a_program_that_fails_still_shows_its_own_traceback(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("import nosuchdependency_numguard\n")
    done = cli("run", "-m", "broken", cwd=tmp_path)
    assert done.returncode == 1
    assert "Traceback" in done.stderr and "nosuchdependency_numguard" in done.stderr


# -- invalid NUMGUARD_* values ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "prefix"),
    [(["--help"], "python -m numguard: "), (["info"], "python -m numguard info: "), (["run", "job.py"], "python -m numguard run: ")],
)
def test_invalid_environment_is_one_line_and_status_2(
    argv: list[str], prefix: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NUMGUARD_LIMIT", "lots")
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    line = one_line(captured.err)
    assert line.startswith(prefix + BAD_LIMIT)
    assert "'75%'" in line  # says what is accepted


def test_invalid_mode_names_variable_value_and_choices(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NUMGUARD_MODE", "loud")
    assert main(["info"]) == 2
    assert one_line(capsys.readouterr().err) == (
        "python -m numguard info: NUMGUARD_MODE='loud' is not valid: expected raise | warn | log | off"
    )


def test_run_option_replaces_an_invalid_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NUMGUARD_LIMIT", "lots")
    assert main(["run", "--limit", "1GiB"]) == 2  # gets as far as asking for the program
    assert "give the program to run" in one_line(capsys.readouterr().err)
    assert main(["run", "--limit", "much", "job.py"]) == 2  # a bad option is named as the option
    assert one_line(capsys.readouterr().err).startswith("python -m numguard run: invalid limit 'much'")


@pytest.mark.parametrize("command", [("--help",), ("info",)])
def test_invalid_environment_in_a_real_start(command: tuple[str, ...]) -> None:
    done = cli(*command, NUMGUARD_LIMIT="lots")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert f"python -m numguard{' info' if command == ('info',) else ''}: {BAD_LIMIT}" in done.stderr


# -- info: settings in force, their origins, the backstop -----------------------------------------------


def settings_lines(out: str) -> dict[str, str]:
    start = out.index("settings in force")
    block = out[start:].split("\n\n", 1)[0].splitlines()[1:]
    return {line.split()[0]: line for line in block}


def backstop_line(out: str) -> str:
    return next(line for line in out.splitlines() if line.startswith("backstop: "))


def test_info_without_variables_shows_defaults_and_how_to_arm() -> None:
    done = cli("info")
    assert done.returncode == 0, done.stderr
    rows = settings_lines(done.stdout)
    assert set(rows) == {"mode", "limit", "inflation", "rank_promotion"}
    assert all(row.endswith("from default") for row in rows.values())
    assert "80% of " in rows["limit"] and " available = " in rows["limit"]
    line = backstop_line(done.stdout)
    assert line.startswith("backstop: not armed: no NUMGUARD_* variable is set")
    assert "arms every Python process at start-up, the mode defaulting to raise" in line


def test_info_names_each_variable_as_an_origin() -> None:
    done = cli("info", NUMGUARD_MODE="warn", NUMGUARD_LIMIT="1GiB", NUMGUARD_INFLATION="2")
    assert done.returncode == 0, done.stderr
    rows = settings_lines(done.stdout)
    assert rows["mode"].split() == ["mode", "warn", "from", "NUMGUARD_MODE"]
    assert rows["limit"].split() == ["limit", "1GiB", "from", "NUMGUARD_LIMIT"]
    assert rows["inflation"].split() == ["inflation", "2", "from", "NUMGUARD_INFLATION"]
    assert rows["rank_promotion"].endswith("from default")


@pytest.mark.skipif(not start_up_hook_installed(), reason="the start-up hook is not installed here")
def test_info_says_armed_when_the_environment_arms() -> None:
    line = backstop_line(cli("info", NUMGUARD_MODE="log").stdout)
    assert line.startswith("backstop: armed: every NumPy data allocation is judged against the limit")
    assert "mode log" in line and "NUMGUARD_MODE" in line


def test_info_says_mode_off_is_not_armed() -> None:
    line = backstop_line(cli("info", NUMGUARD_MODE="off").stdout)
    assert line == "backstop: not armed: NUMGUARD_MODE=off switches numguard off: nothing is checked"


def test_info_json_has_settings_origins_and_backstop() -> None:
    import json

    done = cli("info", "--json", NUMGUARD_LIMIT="75%")
    report = json.loads(done.stdout)
    assert report["settings"]["limit"]["value"] == "75%"
    assert report["settings"]["limit"]["origin"] == "NUMGUARD_LIMIT"
    assert report["settings"]["inflation"] == {"value": None, "shown": "none (rule off)", "origin": "default"}
    assert isinstance(report["backstop"]["armed"], bool) and report["backstop"]["explanation"]
