"""``korea-nato doctor`` names front-end extensions the running JupyterLab will not load, and
version combinations known to break nbgrader, each with its fix.

Each problem is made for real in a throw-away ``JUPYTER_DATA_DIR`` / ``JUPYTER_CONFIG_DIR``: an
extension built for JupyterLab 3, nbgrader's pre-0.9.3 front end left beside the new one, a plugin
disabled under its old name.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from korea_nato import doctor


@pytest.fixture
def jupyter_home(tmp_path, monkeypatch):
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR"):
        path = tmp_path / name.lower()
        path.mkdir()
        monkeypatch.setenv(name, str(path))
    return tmp_path


def add_extension(home, name: str, requires: dict, version="1.0.0"):
    folder = home / "jupyter_data_dir" / "labextensions" / name
    folder.mkdir(parents=True)
    package = {"name": name, "version": version, "dependencies": requires, "jupyterlab": {"_build": {"load": "static/remoteEntry.js", "extension": "./extension"}}}
    (folder / "package.json").write_text(json.dumps(package), encoding="utf-8")
    return folder


def by_name(checks):
    return {check.name: check for check in checks}


def test_the_installed_extensions_all_accept_this_jupyterlab():
    compatibility, combinations = doctor.compatibility_checks()
    assert compatibility.ok and compatibility.found.startswith("all ")
    assert combinations.ok and combinations.found == "none found"


def test_an_extension_built_for_jupyterlab_3_is_a_problem_naming_its_requirement(jupyter_home):
    folder = add_extension(jupyter_home, "fake-lab3-menu", {"@jupyterlab/application": "^3.1.0"})
    check = by_name(doctor.compatibility_checks())["front-end compatibility"]
    assert not check.ok
    assert "fake-lab3-menu 1.0.0 needs @jupyterlab/application ^3.1.0 (JupyterLab has ~4." in check.found
    assert check.fix == f"upgrade or remove fake-lab3-menu (the folder {folder})"


def test_an_extension_installed_by_pip_gets_a_pip_upgrade_fix(jupyter_home):
    folder = add_extension(jupyter_home, "fake-lab3-menu", {"@jupyterlab/apputils": "^3.0.0"})
    (folder / "install.json").write_text(json.dumps({"packageName": "fake_lab3_menu"}), encoding="utf-8")
    check = by_name(doctor.compatibility_checks())["front-end compatibility"]
    assert check.fix == 'python -m pip install -U "fake_lab3_menu"  (or uninstall it)'


def test_a_requirement_that_is_not_a_shared_package_does_not_count(jupyter_home):
    add_extension(jupyter_home, "fake-helper", {"lodash": "^3.0.0"})
    assert by_name(doctor.compatibility_checks())["front-end compatibility"].ok


def test_the_old_nbgrader_front_end_beside_the_new_one_is_a_known_bad_combination(jupyter_home):
    folder = add_extension(jupyter_home, "nbgrader", {"@jupyterlab/application": "^4.0.0"}, "0.9.1")
    check = by_name(doctor.compatibility_checks())["known-bad combinations"]
    assert not check.ok and "appear twice" in check.found
    assert check.fix == f"remove the folder {folder}"


def test_plugins_disabled_under_nbgrader_old_names_are_named_with_the_new_ones(jupyter_home):
    labconfig = jupyter_home / "jupyter_config_dir" / "labconfig"
    labconfig.mkdir()
    disabled = {"disabledExtensions": {"nbgrader:formgrader": True, "nbgrader/create-assignment": True}}
    (labconfig / "page_config.json").write_text(json.dumps(disabled), encoding="utf-8")
    check = by_name(doctor.compatibility_checks())["known-bad combinations"]
    assert not check.ok
    assert check.fix == (
        "jupyter labextension disable --level=sys_prefix "
        "@jupyter/nbgrader:create-assignment @jupyter/nbgrader:formgrader"
    )


def test_nbgrader_older_than_0_9_with_jupyterlab_4_is_a_known_bad_combination():
    check = doctor.check_known_bad_combinations({}, {}, {"nbgrader": "0.8.5", "jupyterlab": "4.2.0"})
    assert not check.ok and "nbgrader 0.8.5 predates JupyterLab 4" in check.found
    assert check.fix == 'python -m pip install -U "nbgrader>=0.9.4"'


@pytest.mark.slow
def test_jupyterlab_itself_agrees_the_fake_extension_is_incompatible(jupyter_home):
    add_extension(jupyter_home, "fake-lab3-menu", {"@jupyterlab/application": "^3.1.0"})
    listing = subprocess.run(
        [sys.executable, "-m", "jupyter", "labextension", "list"], capture_output=True, text=True, timeout=120
    )
    text = listing.stdout + listing.stderr
    assert "incompatible with the current version of jupyterlab:\n        fake-lab3-menu" in text, text


def test_the_doctor_requires_the_same_lowest_versions_as_the_package():
    """``korea-nato doctor``'s minimums are pyproject.toml's lower bounds (which CI tests)."""
    from importlib import metadata

    from packaging.requirements import Requirement

    lower = {}
    for line in metadata.requires("korea-nato") or []:
        requirement = Requirement(line)
        if requirement.marker is None:
            for spec in requirement.specifier:
                if spec.operator == ">=":
                    lower[requirement.name] = spec.version
    assert {name: version for name, version in doctor.REQUIRED.items() if name != "korea-nato"} == lower
