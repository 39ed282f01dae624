"""Fixtures shared by the test files: the process defaults around each test, and a
site-packages folder holding the start-up .pth."""

import shutil
from pathlib import Path

import pytest

import numguard


@pytest.fixture
def unchanged_defaults():
    """A test must leave the process defaults as it found them (none configure())."""
    before = numguard.get_settings()
    yield
    assert numguard.get_settings() == before


@pytest.fixture
def restored_defaults():
    """Tests that configure(): the process defaults are put back afterwards."""
    before = numguard.get_settings()
    yield
    numguard.configure(mode=before.mode, limit=before.limit, inflation=before.inflation,
                       rank_promotion=before.rank_promotion)
    assert numguard.get_settings() == before


@pytest.fixture
def site_dir(tmp_path: Path) -> Path:
    """A site-packages folder holding only this tree's numguard-backstop.pth (the
    start-up tests run an interpreter that reads it)."""
    folder = tmp_path / "site-packages"
    folder.mkdir()
    shutil.copy(Path(numguard.__file__).parent / "backstop" / "numguard-backstop.pth", folder)
    return folder
