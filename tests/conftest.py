"""Shared fixtures: one throw-away nbgrader course per test session."""

from __future__ import annotations

import os

import pytest

from assignment_tools import make_course
from postgres_tools import Cluster, missing_requirement


@pytest.fixture(scope="session")
def course(tmp_path_factory):
    """A course directory with this repository's config, every assignment generated from source/."""
    return make_course(tmp_path_factory.mktemp("nbgrader"))


@pytest.fixture(scope="module")
def postgres():
    """A throw-away PostgreSQL cluster (skipped, or failed when CI is set, without the server)."""
    reason = missing_requirement()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    with Cluster() as cluster:
        yield cluster
