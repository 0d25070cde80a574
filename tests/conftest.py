"""Shared fixtures: one throw-away nbgrader course per test session."""

from __future__ import annotations

import pytest

from assignment_tools import make_course


@pytest.fixture(scope="session")
def course(tmp_path_factory):
    """A course directory with this repository's config, every assignment generated from source/."""
    return make_course(tmp_path_factory.mktemp("nbgrader"))
