"""Sphinx configuration: MyST Markdown pages, numpydoc docstrings, the PyData theme.

Build: python -m sphinx -W --keep-going -b html docs docs/_build/html

Generated at each build, so the pages follow the code: the array-function coverage
table (scripts/coverage_table.py) in _generated/. The cost figures come from the files
benchmarks/report.py writes (benchmarks/costs.png, benchmarks/RESULTS.md), included by
path. The pages' examples are run by tests/test_docs.py.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

import numguard  # noqa: E402

project = "numguard"
author = "the numguard developers"
copyright = "the numguard developers"  # noqa: A001 - Sphinx's name
version = release = numguard.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "numpydoc",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build", "_generated", ".venv*"]
myst_heading_anchors = 3

autodoc_typehints = "none"  # the signature shows them; numpydoc's sections say the rest
autodoc_member_order = "bysource"
numpydoc_show_class_members = False
numpydoc_xref_param_type = False

html_theme = "pydata_sphinx_theme"
html_title = f"numguard {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "footer_start": ["copyright"],
    "footer_end": [],
}
html_show_sourcelink = False


def write_coverage_table() -> None:
    """The coverage table as scripts/coverage_table.py prints it, its title left to the page."""
    table = runpy.run_path(str(ROOT / "scripts" / "coverage_table.py"))["table"]()
    generated = HERE / "_generated"
    generated.mkdir(exist_ok=True)
    body = table.split("\n", 1)[1].lstrip("\n")  # the page has its own heading
    path = generated / "coverage_table.md"
    if not path.exists() or path.read_text() != body:
        path.write_text(body)


write_coverage_table()
