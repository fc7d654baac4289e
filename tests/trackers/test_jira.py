"""Jira CSV export: written through the CLI, read back with csv.reader, checked against the plan."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from project import ROOT
from typer.testing import CliRunner

from planner.cli import app
from planner.config import load_config
from planner.plan import Plan, plan_design
from planner.trackers.jira import LINK_COLUMN, neutralise

FIXED = ["Summary", "Issue Type", "Issue Id", "Parent", "Project Key", "Description"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")

CONFIG = """\
version = 1

[repos.server]
description = "API server"
language = "rust"
provides = ["rest", "database"]
verify = ["cargo test"]

[repos.server.tracker]
jira = "SRV"
labels = ["backend"]

[repos.web]
description = "Web console"
language = "typescript"
depends_on = ["server"]
consumes = ["rest"]

[repos.web.tracker]
jira = "WEB"
labels = ["frontend", "ui team"]
"""

DESIGN = """\
# Widgets Design

**Date:** 2026-01-15
**Status:** Approved

## Proposed Solution

### API Changes

```
GET /api/widgets
POST /api/widgets
```

### Database Changes

```sql
CREATE TABLE widgets (id UUID PRIMARY KEY);
```

### Affected Repositories

- [x] server - widgets API, "storage", and more
- [x] web - widgets page

### Key Files

- `server/src/widgets.rs` - =HYPERLINK("http://evil.example","click") handlers
- `server/src/db.rs` - +1 storage, with a comma
- `web/app/widgets/page.tsx` - @SUM(A1:A9) page
- `web/app/x.tsx` - -2+3 maths
"""


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "repos.toml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "design.md").write_text(DESIGN, encoding="utf-8")
    return tmp_path


def planned(workdir: Path) -> Plan:
    config, _ = load_config(workdir / "repos.toml")
    assert config is not None
    result = plan_design(workdir / "design.md", config)
    assert result.ok, result.diagnostics
    return result


def export(workdir: Path, *extra: str) -> list[list[str]]:
    out = workdir / "plan.csv"
    result = CliRunner().invoke(
        app,
        ["export", "jira", str(workdir / "design.md"), "--config", str(workdir / "repos.toml"), "-o", str(out), *extra],
    )
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def test_columns_rows_parents_and_links_follow_the_plan(workdir: Path) -> None:
    rows = export(workdir)
    header, body = rows[0], rows[1:]
    plan = planned(workdir)
    tasks = [(repo, task) for repo in plan.repos for task in repo.tasks]
    assert header[:6] == FIXED
    labels = [i for i, name in enumerate(header) if name == "Labels"]
    links = [i for i, name in enumerate(header) if name == LINK_COLUMN]
    assert header == FIXED + ["Labels"] * len(labels) + [LINK_COLUMN] * len(links)
    assert all(len(row) == len(header) for row in body)

    # Epics first (one per repo, in plan order), then one task per plan task, numbered 1..N.
    assert [r[1] for r in body] == ["Epic"] * len(plan.repos) + ["Task"] * len(tasks)
    assert [r[2] for r in body] == [str(n) for n in range(1, len(body) + 1)]
    epic_of = {repo.name: body[i][2] for i, repo in enumerate(plan.repos)}
    assert [r[0] for r in body[: len(plan.repos)]] == [f"Widgets: {repo.name}" for repo in plan.repos]
    assert all(r[3] == "" for r in body[: len(plan.repos)])

    task_rows = body[len(plan.repos) :]
    id_of = {task.id: row[2] for (_, task), row in zip(tasks, task_rows, strict=True)}
    for (repo, task), row in zip(tasks, task_rows, strict=True):
        assert row[0] in (task.title, "'" + task.title)
        assert row[3] == epic_of[repo.name]
        assert row[4] == {"server": "SRV", "web": "WEB"}[repo.name]
        assert f"Plan task: {task.id}" in row[5]
        assert {"planner", task.kind} <= {row[i] for i in labels}
        blocked = {row[i] for i in links} - {""}
        assert blocked == {id_of[t.id] for _, t in tasks if task.id in t.depends_on}
    web_labels = {task_rows[-1][i] for i in labels}
    assert "ui_team" in web_labels and "frontend" in web_labels  # no spaces in a Jira label


def test_formula_cells_are_neutralised_and_read_back_as_text(workdir: Path) -> None:
    rows = export(workdir)
    cells = [cell for row in rows for cell in row]
    assert not [c for c in cells if c.startswith(FORMULA_STARTS)]
    summaries = {row[0] for row in rows[1:]}
    assert '\'=HYPERLINK("http://evil.example","click") handlers' in summaries
    assert "'+1 storage, with a comma" in summaries
    assert "'@SUM(A1:A9) page" in summaries
    assert "'-2+3 maths" in summaries
    epic = rows[1]
    assert epic[5].startswith('server: widgets API, "storage", and more\n')  # quotes and commas round-trip


def test_a_formula_in_the_feature_title_is_neutralised_too(workdir: Path) -> None:
    path = workdir / "design.md"
    path.write_text(DESIGN.replace("# Widgets Design", "# =cmd|' /C calc'!A0 Design"), encoding="utf-8")
    rows = export(workdir)
    assert rows[1][0] == "'=cmd|' /C calc'!A0: server"
    assert not [c for row in rows for c in row if c.startswith(FORMULA_STARTS)]


@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_neutralise_prefixes_every_formula_start(start: str) -> None:
    assert neutralise(f"{start}x") == f"'{start}x"
    assert neutralise(f"x{start}") == f"x{start}"


def test_output_is_rfc4180_and_byte_stable(workdir: Path) -> None:
    export(workdir)
    first = (workdir / "plan.csv").read_bytes()
    stdout = CliRunner().invoke(
        app, ["export", "jira", str(workdir / "design.md"), "--config", str(workdir / "repos.toml")]
    )
    assert stdout.exit_code == 0, stdout.output
    assert stdout.stdout_bytes == first
    export(workdir)
    assert (workdir / "plan.csv").read_bytes() == first
    # CRLF ends each record; a bare LF only appears inside a quoted multi-line Description.
    records = list(csv.reader(io.StringIO(first.decode("utf-8"), newline="")))
    assert first.count(b"\r\n") == len(records)
    assert all(line.startswith(b'"') for line in first.split(b"\r\n") if line)


def test_export_as_a_process_to_stdout(workdir: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "planner",
            "export",
            "jira",
            str(workdir / "design.md"),
            "--config",
            str(workdir / "repos.toml"),
        ],
        capture_output=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(io.StringIO(done.stdout.decode("utf-8"), newline="")))
    assert rows[0][:6] == FIXED
    assert len(rows) == 1 + len(planned(workdir).repos) + sum(len(r.tasks) for r in planned(workdir).repos)


def test_unapproved_design_writes_nothing(workdir: Path) -> None:
    path = workdir / "design.md"
    path.write_text(DESIGN.replace("**Status:** Approved", "**Status:** Draft"), encoding="utf-8")
    out = workdir / "plan.csv"
    result = CliRunner().invoke(
        app, ["export", "jira", str(path), "--config", str(workdir / "repos.toml"), "-o", str(out)]
    )
    assert result.exit_code == 1
    assert f"{path}:4: error:" in result.stderr and "[not-approved]" in result.stderr
    assert not out.exists()


def test_output_in_a_missing_folder_is_refused_before_planning(workdir: Path) -> None:
    out = workdir / "missing" / "plan.csv"
    result = CliRunner().invoke(
        app, ["export", "jira", str(workdir / "design.md"), "--config", str(workdir / "repos.toml"), "-o", str(out)]
    )
    assert result.exit_code == 1
    assert "does not exist" in result.stderr
    assert not out.parent.exists()


def test_terminal_escapes_in_the_design_reach_no_cell(workdir: Path) -> None:
    path = workdir / "design.md"
    hostile = DESIGN.replace("# Widgets Design", "# Wid\x1b[2Jgets \x9b31m\x1b]0;title\x07 Design")
    path.write_text(hostile, encoding="utf-8")
    args = ["export", "jira", str(path), "--config", str(workdir / "repos.toml")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", result.stdout.replace("\r\n", "\n"))
    assert "Wid\\x1b[2Jgets" in result.stdout


@pytest.mark.parametrize("tracker", ["jira", "taskwarrior"])
def test_output_that_is_the_config_is_refused_and_the_config_kept(workdir: Path, tracker: str) -> None:
    config = workdir / "repos.toml"
    before = config.read_bytes()
    args = ["export", tracker, str(workdir / "design.md"), "--config", str(config), "-o", str(config)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1 and "is the repo config" in result.stderr
    assert config.read_bytes() == before
