"""The README's and the docs' examples run, and print what the pages show (issue #25).

Every fenced block of README.md and docs/**/*.md that shows output is run here and its
output compared, so a page cannot drift from the program. How a page marks its blocks:

- ```pycon: a Python session (doctest). A page's sessions share one namespace, in order.
- ```console: ``$ command`` lines, each followed by what it prints (stdout and stderr,
  as a terminal shows them), run by bash in the page's work directory.
- ``<!-- file: NAME -->`` before a fenced block: the block is written to NAME in the
  page's work directory (a temporary folder with a link to the repository's examples/).
- ``<!-- run: COMMAND -->`` before a ```text block: the block is what COMMAND prints.
- ``<!-- run: ipython -->`` before a ```text block: an IPython session (``In [n]:``
  prompts), replayed cell by cell in a fresh shell.
- ```python blocks without a marker are code to read: each must compile.
- ``<!-- requires: module, ... -->`` anywhere in a page: the page's examples need these
  optional packages (IPython, distributed: the test extra brings them); where one is
  missing they are skipped, not failed. An IPython session needs IPython in any page.

Any other block that shows output (```text without a marker, ``>>>`` in a python block)
fails test_every_block_that_shows_output_is_run. Outputs are compared after
`normalise` (what differs between machines and runs: timings, directories, the memory
this machine has and uses, tokens, addresses), with doctest's ELLIPSIS: ``...`` in a
page stands for any text, whole lines included.
"""

from __future__ import annotations

import doctest
import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

import numguard

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted(p for p in (ROOT / "docs").rglob("*.md")
                                      if not {"_build", "_generated"} & set(p.parts))]
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
TIMEOUT = 120

SIZE = r"\d[\d,]*(?:\.\d+)? ?(?:B|KiB|MiB|GiB|TiB|PiB|EiB)\b"
#: (pattern, replacement), applied in order to what a page shows and to what runs print.
NORMALISE = [
    # Timings: "1 failed in 0.71s", "Refused in 8.6 ms".
    (re.compile(r"(?<![\w.])\d+(?:\.\d+)? ?(?:s|ms|µs|us|ns)\b"), "<time>"),
    # Addresses and ports of a local cluster, object addresses.
    (re.compile(r"tcp://[\d.]+:\d+"), "tcp://<address>"),
    (re.compile(r"\b0x[0-9a-f]+\b"), "0x<address>"),
    # Directories of absolute paths (temporary folders, checkouts): the file name stays.
    (re.compile(r"(?<![\w.~/])/(?:[\w.+-]+/)+"), "<dir>/"),
    # Names that carry a hash: IPython's cells, dask's keys and layers.
    (re.compile(r"<ipython-input-(\d+)-[0-9a-f]+>"), r"<ipython-input-\1>"),
    (re.compile(r"-[0-9a-f]{32}\b"), "-<token>"),
    # doctest names its examples "<doctest page.md[3]>"; the REPL says "<stdin>".
    (re.compile(r"<doctest [^>]*>"), "<stdin>"),
    # The source that binds the budget here (host MemAvailable, a cgroup, an rlimit).
    (re.compile(r"bound by [^:()]+:"), "bound by <source>:"),
    (re.compile(r"\(\d+ bytes\)"), "(<n> bytes)"),
    # Versions and the platform (`python -m numguard info`'s first line).
    (re.compile(r"\b(numpy|Python) \d+\.\d+\.\d+\S*"), r"\1 <version>"),
    (re.compile(r" on (?:Linux|macOS|Darwin|Windows)-\S+"), " on <platform>"),
]
#: A line that speaks of memory available or in use speaks of this machine: every size
#: on it is normalised (a share limit resolved, the budget, a dask worker's rule).
MACHINE_LINE = re.compile(r"\bavailable\b|\bin use\b")


def normalise(text: str) -> str:
    for pattern, replacement in NORMALISE:
        text = pattern.sub(replacement, text)
    return "\n".join(re.sub(SIZE, "<size>", line) if MACHINE_LINE.search(line) else line
                     for line in text.splitlines())


class Checker(doctest.OutputChecker):
    """doctest's comparison, on normalised texts."""

    def check_output(self, want: str, got: str, optionflags: int) -> bool:
        return super().check_output(normalise(want), normalise(got), optionflags)

    def output_difference(self, example, got, optionflags):  # noqa: ANN001, ANN201
        shown = doctest.Example(example.source, normalise(example.want))
        return super().output_difference(shown, normalise(got), optionflags)


def assert_matches(want: str, got: str, where: str) -> None:
    if not Checker().check_output(want, got, FLAGS):
        example = doctest.Example("", want)
        raise AssertionError(f"{where}: the page shows another output (normalised):\n"
                             + Checker().output_difference(example, got, FLAGS))


# -- reading pages ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    page: Path
    line: int  # of the opening fence, 1-based
    language: str
    text: str
    marker: str  # the HTML comment right before the fence ("file: x.py", "run: ..."), or ""

    @property
    def name(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


FENCE = re.compile(r"^(?P<indent> *)(?P<fence>```+|~~~+)(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=indent)(?P=fence)[ \t]*$",
                   re.M | re.S)
MARKER = re.compile(r"<!--\s*((?:(?!-->).)*?)\s*-->\s*\Z", re.S)


def blocks(page: Path) -> list[Block]:
    text = page.read_text()
    found = []
    for match in FENCE.finditer(text):
        before = text[: match.start()].rstrip("\n ")
        marker = MARKER.search(before[-300:])
        body = textwrap.dedent(match["body"]) if match["indent"] else match["body"]
        info = match["info"].strip().split()
        found.append(Block(page, text.count("\n", 0, match.start()) + 1,
                           info[0] if info else "", body,
                           marker.group(1) if marker else ""))
    return found


ALL_BLOCKS = [block for page in PAGES for block in blocks(page)]
REQUIRES = re.compile(r"<!--\s*requires:\s*([\w., ]+?)\s*-->")


def require(page: Path, *also: str) -> None:
    """Skip (not fail) where a package the page's examples need is not installed."""
    needed = [name for names in REQUIRES.findall(page.read_text())
              for name in names.replace(",", " ").split()]
    for name in (*needed, *also):
        pytest.importorskip(name, reason=f"{page.name}'s examples need {name}")


def kind(block: Block) -> str:
    """How a block is tested: 'session', 'console', 'file', 'run', 'code', 'input', or
    'unchecked' for a block that shows output but is not run (an error of the page)."""
    if block.marker.startswith("file:"):
        return "file"
    if block.marker.startswith("run:"):
        return "run" if block.language == "text" else "unchecked"
    if block.language == "pycon":
        return "session"
    if block.language == "console":
        return "console"
    if block.language == "python":
        return "unchecked" if re.search(r"^\s*>>> ", block.text, re.M) else "code"
    if block.language in ("", "text"):
        return "unchecked"
    return "input"  # bash, ini, toml, yaml: what a person types or writes, no output shown


def of_kind(*kinds: str) -> list:
    return [pytest.param(b, id=b.name) for b in ALL_BLOCKS if kind(b) in kinds]


# -- the page's work directory ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def work_dirs(tmp_path_factory):
    made: dict[Path, Path] = {}

    def work_dir(page: Path) -> Path:
        if page not in made:
            directory = tmp_path_factory.mktemp(page.stem)
            (directory / "examples").symlink_to(ROOT / "examples")
            for block in blocks(page):
                if kind(block) == "file":
                    (directory / block.marker.split(":", 1)[1].strip()).write_text(block.text)
            made[page] = directory
        return made[page]

    return work_dir


def environment() -> dict[str, str]:
    """This interpreter first on PATH, no NUMGUARD_* of the caller's, unbuffered output so
    that stdout and stderr interleave as a terminal shows them, 80 columns."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("NUMGUARD_", "PYTEST_", "COV_"))
           and k not in ("CI", "BUILD_NUMBER")}  # pytest's summary is untruncated where set
    env.update(PATH=os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")]),
               PYTHONUNBUFFERED="1", COLUMNS="80", PYTHONDONTWRITEBYTECODE="1")
    return env


def shell(command: str, cwd: Path) -> str:
    proc = subprocess.run(["bash", "-c", command], cwd=cwd, env=environment(), text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=TIMEOUT)
    return proc.stdout


# -- the tests ------------------------------------------------------------------------------------------


def test_every_block_that_shows_output_is_run():
    unchecked = [f"{b.name}: ```{b.language}" for b in ALL_BLOCKS if kind(b) == "unchecked"]
    assert not unchecked, (
        "blocks that show output and are not run: make each ```pycon or ```console, or mark "
        f"it <!-- run: COMMAND --> (see {Path(__file__).name}):\n" + "\n".join(unchecked))


def test_the_pages_have_examples_that_run():
    """The collection works: the README and the guides are found, and their blocks too."""
    kinds = {kind(b) for b in ALL_BLOCKS}
    assert {"session", "console", "run", "file", "code"} <= kinds, kinds
    assert ROOT / "docs" / "index.md" in PAGES


@pytest.mark.parametrize("block", of_kind("code", "file"))
def test_python_code_compiles(block):
    if block.language == "python":
        compile(block.text, block.name, "exec")


@pytest.mark.parametrize("block", of_kind("console"))
def test_console_commands_print_what_the_page_shows(block, work_dirs):
    require(block.page)
    commands = re.split(r"^\$ ", block.text, flags=re.M)
    assert commands[0].strip() == "", f"{block.name}: a console block starts with '$ '"
    for entry in commands[1:]:
        command, _, want = entry.partition("\n")
        assert_matches(want, shell(command, work_dirs(block.page)), f"{block.name}: $ {command}")


@pytest.mark.parametrize("block", of_kind("run"))
def test_outputs_are_what_their_command_prints(block, work_dirs):
    command = block.marker.split(":", 1)[1].strip()
    require(block.page, *(["IPython"] if command == "ipython" else []))
    if command == "ipython":
        got = ipython_session(block.text, work_dirs(block.page))
    else:
        got = shell(command, work_dirs(block.page))
    assert_matches(block.text, got, f"{block.name}: {command}")


@pytest.mark.parametrize("page", [pytest.param(p, id=str(p.relative_to(ROOT))) for p in PAGES
                                  if any(kind(b) == "session" for b in blocks(p))])
def test_python_sessions_print_what_the_page_shows(page, work_dirs, monkeypatch):
    """A page's ```pycon blocks, in order, in one namespace, in this process, from the
    defaults a fresh process has (whatever earlier tests left, origins included); the
    process settings and the backstop are put back afterwards."""
    require(page)
    monkeypatch.chdir(work_dirs(page))
    before = numguard.configure(numguard.Settings())
    namespace = {"__name__": "__main__"}
    runner = doctest.DocTestRunner(checker=Checker(), optionflags=FLAGS)
    report: list[str] = []
    try:
        for block in blocks(page):
            if kind(block) == "session":
                test = doctest.DocTestParser().get_doctest(
                    block.text, {}, block.page.name, str(block.page), block.line)
                test.globs = namespace  # DocTest copies the dict it is given
                runner.run(test, out=report.append, clear_globs=False)
    finally:
        numguard.disable()
        numguard.configure(before)
    assert runner.failures == 0, "".join(report)


IPYTHON = """
import sys
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

config = Config()
config.InteractiveShell.colors = "nocolor"
config.HistoryManager.enabled = False
shell = InteractiveShell.instance(config=config)
for cell in sys.stdin.read().split("\\0"):
    prompt = f"In [{shell.execution_count}]: "
    first, *rest = cell.split("\\n")
    print(prompt + first)
    for line in rest:
        print(" " * (len(prompt) - 5) + "...: " + line)
    shell.run_cell(cell, store_history=True)
    print()
"""


def ipython_session(shown: str, cwd: Path) -> str:
    """Replay the cells of a shown IPython session in a fresh shell; its transcript."""
    cells: list[list[str]] = []
    for line in shown.splitlines():
        prompt = re.match(r"In \[\d+\]: ?(.*)", line)
        continued = re.match(r" +\.\.\.: ?(.*)", line)
        if prompt:
            cells.append([prompt[1]])
        elif continued and cells:
            cells[-1].append(continued[1])
    proc = subprocess.run([sys.executable, "-c", IPYTHON], input="\0".join(map("\n".join, cells)),
                          cwd=cwd, env=environment(), text=True, timeout=TIMEOUT,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return proc.stdout


def test_the_api_reference_documents_the_public_api():
    """docs/api/index.md renders each name of numguard.__all__ from its docstring, and no other."""
    page = (ROOT / "docs" / "api" / "index.md").read_text()
    documented = re.findall(r"^\.\. auto(?:function|class|exception):: (\w+)$", page, re.M)
    assert sorted(documented) == sorted(numguard.__all__)
