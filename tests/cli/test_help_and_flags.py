"""A CLI that feels like the good ones: help, consistent flags, one-line usage errors, colour, completion."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from project import EXAMPLE_CONFIG, FIXTURES
from typer.testing import CliRunner

from planner.cli import app
from planner.cli.common import styled
from planner.diagnostics import error, note, warning

COMMANDS = [
    ["new"],
    ["template"],
    ["plan"],
    ["check"],
    ["graph"],
    ["schema"],
    ["build"],
    ["verify"],
    ["export", "github"],
    ["export", "taskwarrior"],
    ["export", "jira"],
    ["sync", "github"],
    ["sync", "taskwarrior"],
]
# Commands that read the repo config, and those that write a file.
WITH_CONFIG = [c for c in COMMANDS if c[0] not in ("template", "schema", "verify")]
WITH_OUTPUT = [["new"], ["plan"], ["build"], ["export", "github"], ["export", "taskwarrior"], ["export", "jira"]]


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_with_h_reads_like_a_man_page(command: list[str]) -> None:
    code, out, _ = invoke(*command, "-h")
    assert code == 0 and out.startswith("Usage: planner ")
    assert invoke(*command, "--help")[1] == out
    # Metavariables a person reads (PATH, FORMAT, N), never a Python type.
    assert not re.search(r"<(str|int|path|list\[[^\]]*\]|float|text|int range|float range)>", out), out
    assert "{" not in out.splitlines()[0]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_shows_an_example(command: list[str]) -> None:
    out = invoke(*command, "-h")[1]
    assert re.search(r"^  Examples?:$", out, re.MULTILINE) and f"planner {' '.join(command)}" in out.split("Example")[1]


def test_the_command_list_is_complete_and_never_cut() -> None:
    out = invoke("-h")[1]
    listed = re.findall(r"^  (\w+)\s{2,}(.*)$", out.split("Commands:")[1], re.MULTILINE)
    names = [name for name, _ in listed]
    assert names[:2] == ["template", "new"] and {"plan", "check", "build", "verify", "export", "sync"} <= set(names)
    assert all(not text.endswith("...") for _, text in listed), listed


def test_shell_completion_can_be_installed() -> None:
    out = invoke("-h")[1]
    assert "--install-completion" in out and "--show-completion" in out


@pytest.mark.parametrize("command", WITH_CONFIG, ids=" ".join)
def test_config_is_c_everywhere(command: list[str]) -> None:
    assert "-c, --config PATH" in invoke(*command, "-h")[1]


@pytest.mark.parametrize("command", WITH_OUTPUT, ids=" ".join)
def test_output_is_o_everywhere(command: list[str]) -> None:
    assert re.search(r"-o, --output(, --out)? (PATH|DIR)", invoke(*command, "-h")[1])


def test_diagnostics_is_the_diagnostics_format_on_plan_and_build() -> None:
    for command in ("plan", "build"):
        assert "--diagnostics FORMAT" in invoke(command, "-h")[1]
    # build's --format was the diagnostics format: it still works, but is not offered.
    assert "--format" not in invoke("build", "-h")[1]


@pytest.fixture
def designs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "designs").mkdir()
    shutil.copyfile(FIXTURES / "schedules.md", tmp_path / "designs" / "schedules.md")
    (tmp_path / "designs" / "bad.md").write_text(
        "# Bad Design\n\n**Status:** Approved\n\n## Proposed Solution\n\n### Affected Repositories\n\n"
        "- [x] flovyn-sever - typo\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    return tmp_path


@pytest.mark.parametrize("spelling", [["--output", "out"], ["-o", "out"], ["--out", "out"]])
def test_build_takes_output_and_keeps_out(designs: Path, spelling: list[str]) -> None:
    (designs / "designs" / "bad.md").unlink()
    code, _, _ = invoke("build", "designs", *spelling, "-c", str(EXAMPLE_CONFIG))
    assert code == 0 and (designs / "out" / "workflow-schedules" / "plan.md").is_file()


@pytest.mark.parametrize("spelling", ["--diagnostics", "--format", "-f"])
def test_build_diagnostics_and_its_old_spelling(designs: Path, spelling: str) -> None:
    code, _, err = invoke("build", "designs", "-o", "out", "-c", str(EXAMPLE_CONFIG), spelling, "github")
    assert code == 1 and "::error file=designs/bad.md,line=9,title=planner unknown-repo::" in err


@pytest.mark.parametrize(
    ("args", "allowed"),
    [
        (["plan", "x.md", "--format", "xml"], "markdown, json, mermaid"),
        (["check", "x.md", "-f", "yaml"], "text, json, github"),
        (["graph", "--format", "png"], "text, mermaid, dot"),
        (["plan", "x.md", "--diagnostics", "sarif"], "text, github"),
        (["build", "x", "-o", "out", "--diagnostics", "json"], "text, github"),
    ],
)
def test_a_bad_format_lists_the_allowed_values_on_one_line(args: list[str], allowed: str) -> None:
    code, out, err = invoke(*args)
    assert code == 2 and out == ""
    [line] = [line for line in err.splitlines() if "is not one of" in line]
    assert line.endswith(f"is not one of: {allowed}") and "Value error" not in line


def test_a_config_that_does_not_exist_is_named_as_such(tmp_path: Path) -> None:
    code, _, err = invoke("check", str(FIXTURES / "schedules.md"), "--config", "nope/repos.toml")
    assert code == 1
    assert err == (
        "planner: config file nope/repos.toml (from --config) does not exist; give the path of a repo config, "
        "e.g. --config config/repos.toml\n"
    )


def test_a_config_from_the_environment_that_does_not_exist(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLANNER_CONFIG", "gone.toml")
    code, _, err = invoke("graph")
    assert code == 1 and "config file gone.toml (from $PLANNER_CONFIG) does not exist" in err


# -- colour -------------------------------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("diagnostic", "colour"),
    [
        (error("x", "broken", "d.md", 3), "\x1b[31m"),
        (warning("x", "odd", "d.md", 3), "\x1b[33m"),
        (note("x", "fyi", "d.md", 3), "\x1b[36m"),
    ],
)
def test_colour_on_a_terminal(monkeypatch: pytest.MonkeyPatch, diagnostic: object, colour: str) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    shown = styled(diagnostic, Terminal())  # type: ignore[arg-type]
    assert colour in shown and "\x1b[2md.md:3:" in shown  # severity coloured, place dim
    assert re.sub(r"\x1b\[[0-9;]*m", "", shown) == diagnostic.format()  # type: ignore[attr-defined]


def test_no_colour_for_pipes_or_with_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    d = error("x", "broken", "d.md", 3)
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert styled(d, io.StringIO()) == d.format()
    monkeypatch.setenv("NO_COLOR", "1")
    assert styled(d, Terminal()) == d.format()


def test_no_escape_codes_reach_a_pipe() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "planner", "check", str(FIXTURES / "schedules.md"), "-c", "nope.toml", "-h"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and "\x1b[" not in done.stdout + done.stderr
    done = subprocess.run(
        [sys.executable, "-m", "planner", "check", str(FIXTURES / "parallel-waves.md"), "-c", str(EXAMPLE_CONFIG)],
        capture_output=True,
        text=True,
    )
    assert "warning:" in done.stderr and "\x1b[" not in done.stderr


def test_no_config_anywhere_says_where_planner_looked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PLANNER_CONFIG", raising=False)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    code, _, err = invoke("graph")
    assert code == 1 and err.startswith(f"planner: no repo config found: no config/repos.toml in {tmp_path} or above")
    assert "pass --config PATH" in err and ":1:" not in err
