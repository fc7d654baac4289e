"""`planner template` and `planner new`: a design started without leaving the tool."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from project import CORPUS, EXAMPLE_CONFIG
from typer.testing import CliRunner

from planner.cli import app
from planner.design.template import BRANCH_LINE, DATE_LINE, REPO_LINE, TITLE_LINE, design_template, new_design

# The sections of the team's design template, in order (../shared/design-template.md).
SECTIONS = [
    "# {Feature Name} Design",
    "## Overview",
    "## Goals",
    "## Non-Goals",
    "## Current State",
    "## Proposed Solution",
    "### Architecture",
    "### Domain Model",
    "### API Changes",
    "### Database Changes",
    "### Affected Repositories",
    "### Key Files",
    "## Alternatives Considered",
    "## Open Questions",
    "## Security Considerations",
    "## References",
]
REPOS = ["flovyn-app", "flovyn-server", "sdk-kotlin", "sdk-python", "sdk-rust"]  # config/repos.toml, by name


def headings(text: str) -> list[str]:
    """The Markdown headings outside code fences."""
    found, fenced = [], False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and line.startswith("#"):
            found.append(line)
    return found


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


# -- template ---------------------------------------------------------------------------------------


def test_template_prints_the_shipped_template_with_every_section() -> None:
    code, out, _ = invoke("template")
    assert code == 0 and out == design_template()
    assert headings(out) == SECTIONS
    assert "**Status:** Draft" in out


def test_the_template_has_the_sections_of_the_teams_template() -> None:
    shared = CORPUS.parent / "design-template.md"
    # The team's file sits beside the clone (as the corpus does in CI); SECTIONS is its copy for anywhere else.
    expected = headings(shared.read_text(encoding="utf-8")) if shared.is_file() else SECTIONS
    assert headings(design_template()) == expected == SECTIONS


@pytest.mark.parametrize("line", [TITLE_LINE, DATE_LINE, BRANCH_LINE, REPO_LINE])
def test_every_line_new_fills_in_is_in_the_template_once(line: str) -> None:
    assert design_template().split("\n").count(line) == 1


def test_the_template_is_package_data() -> None:
    assert '"design/template.md"' in (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text("utf-8")


# -- new --------------------------------------------------------------------------------------------


def test_new_fills_title_date_status_and_every_configured_repo() -> None:
    code, out, _ = invoke("new", "Workflow Schedules", "--repos", "server,sdk-rust", "-c", str(EXAMPLE_CONFIG))
    assert code == 0
    assert out.startswith("# Workflow Schedules Design\n\n")
    assert f"**Date:** {date.today().isoformat()}\n**Status:** Draft\n**Branch:** feature/workflow-schedules\n" in out
    items = re.findall(r"^- \[(.)\] (\S+) - \{what changes in (\S+)\}$", out, re.MULTILINE)
    # Every configured repo, sorted by name; the alias 'server' ticks flovyn-server.
    assert [(box, name) for box, name, _ in items] == [
        (" ", "flovyn-app"),
        ("x", "flovyn-server"),
        (" ", "sdk-kotlin"),
        (" ", "sdk-python"),
        ("x", "sdk-rust"),
    ]
    assert "{repo}" not in out and "{Feature Name}" not in out


def test_new_design_is_a_pure_function_of_its_inputs() -> None:
    text = new_design("Tags", "tags", ["a", "b"], {"b"}, date(2026, 1, 2))
    assert "# Tags Design\n" in text and "**Date:** 2026-01-02\n" in text and "**Branch:** feature/tags\n" in text
    assert "- [ ] a - {what changes in a}\n- [x] b - {what changes in b}\n" in text


def test_check_of_a_fresh_design_reports_the_leftovers_and_a_draft_note(tmp_path: Path) -> None:
    target = tmp_path / "new.md"
    config = str(EXAMPLE_CONFIG)
    assert invoke("new", "Execution Tags", "-r", "flovyn-server", "-c", config, "-o", str(target))[0] == 0
    code, _, err = invoke("check", str(target), "-c", config)
    assert code == 0  # a draft with placeholders is work in progress, not an error
    assert "[template-text]" in err and "'{what changes in flovyn-server}'" in err
    assert re.search(r":4: note: status is 'Draft'.*\[not-approved\]", err)
    assert err.splitlines()[-1].startswith("planner check: 1 design doc(s), 0 error(s), ")
    # Approved and without placeholders, it is a design like any other.
    assert invoke("plan", str(target), "-c", config)[0] == 1  # still a Draft: plan refuses it


def test_new_writes_into_a_new_folder_and_never_overwrites(tmp_path: Path) -> None:
    target = tmp_path / "docs" / "designs" / "tags.md"
    code, out, err = invoke("new", "Tags", "-c", str(EXAMPLE_CONFIG), "--output", str(target))
    assert code == 0 and out == "" and f"wrote {target}" in err
    written = target.read_bytes()
    code, _, err = invoke("new", "Other", "-c", str(EXAMPLE_CONFIG), "--output", str(target))
    assert code == 1 and "already exists" in err and "never overwrites" in err
    assert target.read_bytes() == written
    assert sorted(p.name for p in target.parent.iterdir()) == ["tags.md"]  # no temp file left behind


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["Tags", "--repos", "flovyn-sever"], "did you mean 'flovyn-server'?"),
        (["Two\nLines"], "on one line"),
        (["   "], "on one line"),
        (["Red\x1b[31m Tags"], "control characters"),
        (["Title\x1b]0;pwned\x07"], "control characters"),
    ],
)
def test_new_refuses_bad_input_with_a_usage_error(tmp_path: Path, args: list[str], says: str) -> None:
    code, out, err = invoke("new", *args, "-c", str(EXAMPLE_CONFIG), "-o", str(tmp_path / "x.md"))
    assert code == 2 and out == "" and says in err and "Traceback" not in err
    assert not (tmp_path / "x.md").exists()


def test_new_then_plan_as_a_process(tmp_path: Path) -> None:
    """The README's path, as a user runs it: new, fill in, approve, plan."""
    run = [sys.executable, "-m", "planner"]
    config = ["--config", str(EXAMPLE_CONFIG)]
    design = tmp_path / "designs" / "tags.md"
    done = subprocess.run(
        [*run, "new", "Tags", "-r", "flovyn-server", *config, "-o", str(design)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    text = design.read_text(encoding="utf-8").replace("**Status:** Draft", "**Status:** Approved")
    design.write_text(text, encoding="utf-8")
    done = subprocess.run([*run, "plan", str(design), *config], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "# Plan: Tags" in done.stdout and "flovyn-server" in done.stdout


def test_the_written_path_is_echoed_as_one_line_that_runs_no_workflow_command(tmp_path: Path) -> None:
    output = tmp_path / "a\n::error::forged\x1b[31m.md"
    result = CliRunner().invoke(app, ["new", "Tags", "-c", str(EXAMPLE_CONFIG), "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert output.is_file()
    assert len(result.stderr.splitlines()) == 1 and "\x1b" not in result.stderr
    assert "\\n::error::forged\\x1b[31m.md" in result.stderr
