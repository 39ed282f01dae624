"""Fixtures shared by the guard's test files: the process defaults around each test."""

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
