"""The instructor guide's "Hide the instructor tools from students" (section 6), run as written.

The commands change the ``sys.prefix`` of the Python that runs them, so they run in a throw-away
virtual environment in ``tmp_path``: it imports the packages of the Python running the tests (a
``.pth`` file), copies that Python's ``etc/jupyter`` (so nbgrader's server extensions are enabled
exactly as there), finds its front-end extensions through ``JUPYTER_PATH``, and has its own
``HOME``. The commands are read from the guide's code blocks and prose, so a changed guide changes
what runs. The real environment's Jupyter settings are checked to be untouched afterwards.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import site
import subprocess
import sys
import venv
from pathlib import Path

import mistune
import pytest
from jupyter_core.paths import ENV_CONFIG_PATH, ENV_JUPYTER_PATH, jupyter_config_dir

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "instructor-guide.md"
SECTION = "6. Hide the instructor tools from students"
FORMGRADER, CREATE = "@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment"
SERVER = [f"nbgrader.server_extensions.{name}" for name in
          ("formgrader", "validate_assignment", "assignment_list", "course_list")]
#: console scripts the guide's commands need, resolved by the throw-away environment's Python
SCRIPTS = ("jupyter", "jupyter-labextension", "jupyter-server", "korea-nato")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


# --- The guide's section 6 --------------------------------------------------------------------


def section_tokens() -> list[dict]:
    """The markdown tokens of section 6, from its heading to the next heading of its level."""
    tokens = mistune.create_markdown(renderer=None)(GUIDE.read_text(encoding="utf-8"))

    def title(token):
        return "".join(child.get("raw", "") for child in token.get("children", []))

    starts = [i for i, t in enumerate(tokens) if t["type"] == "heading" and title(t) == SECTION]
    assert starts, f"the guide has no section headed {SECTION!r}"
    rest = tokens[starts[0] + 1:]
    end = next((i for i, t in enumerate(rest) if t["type"] == "heading" and t["attrs"]["level"] <= 2), len(rest))
    return rest[:end]


def code_blocks() -> list[list[str]]:
    """Each bash code block of the section, as its command lines."""
    return [
        [line for line in token["raw"].splitlines() if line.strip() and not line.lstrip().startswith("#")]
        for token in section_tokens()
        if token["type"] == "block_code" and token.get("attrs", {}).get("info") == "bash"
    ]


def prose() -> str:
    """The section's paragraphs as plain text (inline code in backticks, line breaks as spaces)."""

    def text(token):
        if token["type"] == "codespan":
            return f"`{token['raw']}`"
        if "children" in token:
            return "".join(text(child) for child in token["children"])
        return " " if token["type"] == "softbreak" else token.get("raw", "")

    return " ".join(text(t) for t in section_tokens() if t["type"] == "paragraph")


def inline_commands() -> list[str]:
    """The commands the section's prose quotes as inline code."""

    def spans(token):
        if token["type"] == "codespan":
            yield token["raw"]
        for child in token.get("children", []):
            yield from spans(child)

    return [s for t in section_tokens() for s in spans(t) if s.startswith("jupyter ") and " --" in s]


def quoted(after: str) -> str:
    """The first double-quoted phrase of the prose after ``after``."""
    text = prose()
    assert after in text, f"the guide's section 6 no longer says {after!r}"
    match = re.search(r'"([^"]+)"', text[text.index(after):])
    assert match, f"the guide's section 6 quotes nothing after {after!r}"
    return match.group(1)


# --- A throw-away environment ------------------------------------------------------------------


class Environment:
    """A virtual environment with the test Python's packages and Jupyter settings, and its own HOME."""

    def __init__(self, root: Path):
        self.prefix, self.home = root / "env", root / "home"
        venv.EnvBuilder(with_pip=False, symlinks=os.name != "nt").create(self.prefix)
        self.home.mkdir()
        self.bin = self.prefix / "bin"
        (site_packages,) = self.prefix.glob("lib/python*/site-packages")
        # addsitedir (not a bare path) so the .pth files there, editable installs among them, work too
        (site_packages / "tested-python.pth").write_text(
            "".join(f"import site; site.addsitedir({folder!r})\n" for folder in site.getsitepackages())
        )
        for name in SCRIPTS:
            script = self.bin / name
            script.write_text(
                f"#!{self.bin / 'python'}\nimport sys\nfrom importlib.metadata import entry_points\n"
                f"(script,) = entry_points(group='console_scripts', name={name!r})\nsys.exit(script.load()())\n"
            )
            script.chmod(0o755)
        for folder in ENV_CONFIG_PATH:  # the tested Python's own etc/jupyter
            if Path(folder).is_dir():
                shutil.copytree(folder, self.prefix / "etc" / "jupyter", dirs_exist_ok=True)
        keep = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "VIRTUAL_ENV", "PYTHONHOME"))}
        self.environ = keep | {
            "HOME": str(self.home),
            "PATH": os.pathsep.join([str(self.bin), "/usr/bin", "/bin"]),
            "JUPYTER_PATH": os.pathsep.join(ENV_JUPYTER_PATH),  # the front-end extensions
        }

    def start(self, command: str, **extra_env: str) -> subprocess.Popen:
        """Start one command line as written (both output streams together)."""
        return subprocess.Popen(
            shlex.split(command), cwd=self.home, env=self.environ | extra_env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )

    def run(self, command: str, **extra_env: str) -> tuple[int, str]:
        """Run one command line; its exit status and its output without colours."""
        return finish(self.start(command, **extra_env), command)

    def ok(self, command: str, **extra_env: str) -> str:
        """Run one command line that must succeed; its output."""
        return self.all_ok([command], **extra_env)[0]

    def all_ok(self, commands: list[str], **extra_env: str) -> list[str]:
        """Run commands that only read, side by side; their outputs."""
        outputs = []
        for command, process in [(c, self.start(c, **extra_env)) for c in commands]:
            status, output = finish(process, command)
            assert status == 0, f"`{command}` exited {status}:\n{output}"
            outputs.append(output)
        return outputs

    def settings_files(self) -> dict[str, bytes]:
        """Every Jupyter settings file (``*.json``) of this environment and of its user."""
        files = files_under(self.prefix / "etc" / "jupyter", self.home / ".jupyter")
        return {path: content for path, content in files.items() if path.endswith(".json")}


def finish(process: subprocess.Popen, command: str) -> tuple[int, str]:
    try:
        output, _ = process.communicate(timeout=180)
    except subprocess.TimeoutExpired:
        process.kill()
        raise AssertionError(f"`{command}` did not finish in 180 s") from None
    return process.returncode, ANSI.sub("", output)


def files_under(*folders) -> dict[str, bytes]:
    """``{path: content}`` of every file under the folders that exist."""
    return {
        str(path): path.read_bytes()
        for folder in map(Path, folders) if folder.is_dir()
        for path in folder.rglob("*") if path.is_file()
    }


def disabled_plugins(listing: str) -> list[str]:
    """The plugins under "Disabled extensions:" in ``jupyter labextension list``."""
    if "Disabled extensions:" not in listing:
        return []
    lines = listing.split("Disabled extensions:", 1)[1].splitlines()
    return [line.split()[0] for line in lines if line.startswith("    ") and line.strip()]


def server_extensions(listing: str) -> dict[str, str]:
    """``{extension: "enabled" | "disabled"}`` from ``jupyter server extension list``."""
    found = re.findall(r"^\s+(\S+) (enabled|disabled)\s*$", listing, flags=re.MULTILINE)
    return dict(found)


def jupyter_settings_files() -> dict[str, bytes]:
    """Every file of the real environment's and the real user's Jupyter settings, by path."""
    return files_under(*ENV_CONFIG_PATH, jupyter_config_dir())


@pytest.fixture(scope="module")
def walkthrough(tmp_path_factory):
    """Section 6 played in order in one throw-away environment: what each step showed."""
    blocks = code_blocks()
    assert len(blocks) == 2, f"section 6 should have two bash blocks (hide, undo); it has {len(blocks)}"
    real_before = jupyter_settings_files()
    env = Environment(tmp_path_factory.mktemp("student-env"))
    seen = {"prefix": str(env.prefix), "home": str(env.home)}
    for command in blocks[0]:
        env.ok(command)
    seen["paths"] = env.ok("jupyter --paths")
    seen["hidden"], seen["server hidden"], seen["doctor"] = env.all_ok(
        ["jupyter labextension list", "jupyter server extension list", "korea-nato doctor --student"]
    )
    hidden_files = env.settings_files()
    for command in inline_commands():  # the per-user attempts the prose quotes
        seen[command] = env.run(command)
    user_files = env.settings_files()
    seen["changed by the user"] = sorted(
        path for path in {**hidden_files, **user_files} if hidden_files.get(path) != user_files.get(path)
    )
    # Without the lock: unlock the formgrader, enable it for the user, and list in both precedences.
    env.ok(blocks[1][0].replace(f" {CREATE}", ""))
    env.ok(f"jupyter labextension enable --level=user {FORMGRADER}")
    seen["unlocked, environment first"] = env.ok("jupyter labextension list")
    seen["paths, user first"], seen["unlocked, user first"] = env.all_ok(
        ["jupyter --paths", "jupyter labextension list"], JUPYTER_PREFER_ENV_PATH="0"
    )
    shutil.rmtree(env.home / ".jupyter" / "labconfig")
    for command in blocks[1]:
        env.ok(command)
    seen["undone"], seen["server undone"], seen["doctor undone"] = env.all_ok(
        ["jupyter labextension list", "jupyter server extension list", "korea-nato doctor --student"]
    )
    seen["real untouched"] = jupyter_settings_files() == real_before
    return seen


# --- The claims --------------------------------------------------------------------------------


def test_the_throw_away_environment_sees_nbgrader_as_the_real_one_does(walkthrough):
    from importlib.metadata import version

    assert re.search(rf"@jupyter/nbgrader v{re.escape(version('nbgrader'))} enabled OK", walkthrough["hidden"])
    assert f"Config dir: {walkthrough['prefix']}/etc/jupyter" in walkthrough["server hidden"]
    assert set(SERVER) <= set(server_extensions(walkthrough["server hidden"]))


def test_the_guide_names_nbgraders_plugins_and_server_extensions():
    """Six front-end plugins (the plugin ids quoted in the installed bundle), four server extensions."""
    bundle = Path(ENV_JUPYTER_PATH[0]) / "labextensions" / "@jupyter" / "nbgrader" / "static"
    plugins = set(re.findall(r"""["']@jupyter/nbgrader:([a-z-]+)["']""",
                             "".join(p.read_text(errors="replace") for p in bundle.glob("*.js"))))
    assert plugins == {"menu", "assignment-list", "course-list", "validate-assignment", "formgrader", "create-assignment"}
    text = prose()
    assert "six JupyterLab plugins" in text and "four server extensions" in text


def test_hiding_disables_and_locks_both_plugins_in_labextension_list(walkthrough):
    assert disabled_plugins(walkthrough["hidden"]) == sorted([CREATE, FORMGRADER])
    assert re.search(r"plugins: .*create-assignment.*formgrader locked", walkthrough["hidden"])
    assert "Disabled extensions" in quoted("`jupyter labextension list` then shows both plugins under")


def test_hiding_disables_only_the_formgraders_back_end(walkthrough):
    listed = server_extensions(walkthrough["server hidden"])
    assert {name: listed.get(name) for name in SERVER} == {SERVER[0]: "disabled"} | dict.fromkeys(SERVER[1:], "enabled")
    assert f"`{SERVER[0]} disabled` and the other three enabled" in prose()


def test_the_doctor_reports_the_hidden_plugins_and_the_formgrader_off(walkthrough):
    lines = walkthrough["doctor"].splitlines()
    front = [line for line in lines if "@jupyter/nbgrader (front end)" in line]
    server = [line for line in lines if "nbgrader (server)" in line]
    promised = quoted("reports")
    assert promised == "plugins disabled here: create-assignment, formgrader"
    assert front and front[0].startswith("ok") and front[0].endswith(promised)
    assert server and server[0].startswith("ok") and "formgrader off" in server[0]
    assert '"formgrader off"' in prose() and lines[-1] == "ready."


def test_a_user_level_enable_is_refused_and_changes_nothing(walkthrough):
    lab = f"jupyter labextension enable --level=user {FORMGRADER}"
    server = f"jupyter server extension enable --user {SERVER[0]}"
    assert {lab, server} <= set(inline_commands()), "the guide no longer quotes both per-user commands"
    status, output = walkthrough[lab]
    assert status == 0 and quoted(lab) in output
    status, output = walkthrough[server]
    assert status == 0 and quoted(server) in output
    assert walkthrough["changed by the user"] == [], "a refused per-user command changed a settings file"


def test_without_the_lock_the_user_setting_wins_only_where_jupyter_reads_it_first(walkthrough):
    home_first = walkthrough["paths, user first"].split("data:")[0].split()
    env_first = walkthrough["paths"].split("data:")[0].split()
    user, environment = f"{walkthrough['home']}/.jupyter", f"{walkthrough['prefix']}/etc/jupyter"
    assert env_first.index(environment) < env_first.index(user)
    assert home_first.index(user) < home_first.index(environment)
    assert disabled_plugins(walkthrough["unlocked, environment first"]) == sorted([CREATE, FORMGRADER])
    assert disabled_plugins(walkthrough["unlocked, user first"]) == [CREATE]
    for claim in ("(a virtual environment the user owns), the `sys_prefix` disable wins",
                  "`JUPYTER_PREFER_ENV_PATH=0`), the user's setting wins and the plugin comes back"):
        assert claim in prose()


def test_the_undo_block_brings_both_tools_back(walkthrough):
    assert disabled_plugins(walkthrough["undone"]) == []
    assert "locked" not in walkthrough["undone"]
    listed = server_extensions(walkthrough["server undone"])
    assert {name: listed.get(name) for name in SERVER} == dict.fromkeys(SERVER, "enabled")
    front = [line for line in walkthrough["doctor undone"].splitlines() if "@jupyter/nbgrader (front end)" in line]
    assert front and front[0].split()[-1] == "enabled"
    assert "formgrader on" in walkthrough["doctor undone"]


def test_the_real_environments_jupyter_settings_are_untouched(walkthrough):
    assert walkthrough["real untouched"]
    assert walkthrough["prefix"] != sys.prefix
