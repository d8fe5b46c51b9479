from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def fixture_path():
    def get(name: str) -> Path:
        return FIXTURES / name

    return get


@pytest.fixture(autouse=True)
def _fast_hashing():
    """Override the repository-wide Django fixture: the x12 tests never touch Django, and
    must run with ``-p no:django`` too."""
    yield
