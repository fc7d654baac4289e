"""CI that explains itself: which file `--check` finds stale and why; links and `verify` from any folder."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from project import EXAMPLE_CONFIG, FIXTURES
from typer.testing import CliRunner

from planner.ci.drift import Stale, stale_file, stale_tree
from planner.ci.progress import REMOVED_HEADING, carry_over
from planner.cli import app
from planner.files import GENERATED_MARKER
from planner.trackers.github import GitHubClient, GitHubError, Pacing

PLAN_JSON = {"planner_version": "0.1.0", "provenance": {"design_sha256": "d1", "config_sha256": "c1"}}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """designs/ (two fixtures), config/repos.toml; the working folder is its root."""
    (tmp_path / "designs").mkdir()
    (tmp_path / "config").mkdir()
    for name in ("schedules", "straight-chain"):
        shutil.copyfile(FIXTURES / f"{name}.md", tmp_path / "designs" / f"{name}.md")
    shutil.copyfile(EXAMPLE_CONFIG, tmp_path / "config" / "repos.toml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PLANNER_CONFIG", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    return tmp_path


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [*args, "-c", "config/repos.toml"])
    return result.exit_code, result.stdout, result.stderr


def record(**changes: object) -> str:
    data = json.loads(json.dumps(PLAN_JSON))
    for key, value in changes.items():
        if key == "planner_version":
            data[key] = value
        else:
            data["provenance"][key] = value
    return json.dumps(data)


# -- why a file is stale (the rule, as values) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        (None, record(), "missing: not written yet"),
        (record(), record(design_sha256="d2"), "design changed since it was written"),
        (record(), record(config_sha256="c2"), "config changed since it was written"),
        (record(), record(design_sha256="d2", config_sha256="c2"), "design and config changed since it was written"),
        (record(), record(planner_version="0.2.0"), "planner version (0.1.0 -> 0.2.0) changed since it was written"),
        (record() + " ", record(), "edited since it was written (design, config and planner version are unchanged)"),
    ],
)
def test_a_json_plan_says_why_it_is_stale(old: str | None, new: str, reason: str) -> None:
    assert stale_file("p.json", old, new, "json") == Stale("p.json", reason)


def test_an_up_to_date_file_is_not_stale_and_markdown_says_what_it_can() -> None:
    assert stale_file("p.md", "same", "same", "markdown") is None
    stale = stale_file("p.md", "old", "new", "markdown")
    assert stale is not None and "design or config changed" in stale.reason


def test_a_build_tree_explains_each_file_by_the_plan_json_beside_it() -> None:
    on_disk = {"a/plan.md": "old", "a/plan.json": record(), "gone/plan.md": "x", "index.md": "1", "index.json": "{}"}
    wanted = {"a/plan.md": "new", "a/plan.json": record(config_sha256="c2"), "b/plan.md": "n", "index.md": "2"}
    wanted["index.json"] = "{}"
    assert stale_tree("out", on_disk, wanted) == [
        Stale("out/a/plan.json", "config changed since it was written"),
        Stale("out/a/plan.md", "config changed since it was written"),
        Stale("out/b/plan.md", "missing: not written yet"),
        Stale("out/gone/plan.md", "no longer planned: its design was removed, renamed or is not Approved any more"),
        Stale("out/index.md", "a design it lists was added, removed or re-planned"),
    ]


# -- --check on the command line ---------------------------------------------------------------------


def test_plan_check_names_the_stale_file_and_why(project: Path) -> None:
    assert cli("plan", "designs/schedules.md", "-f", "json", "-o", "s.json")[0] == 0
    code, _, err = cli("plan", "designs/schedules.md", "-f", "json", "-o", "s.json", "--check")
    assert code == 0 and err == "planner plan --check: all 1 file(s) up to date\n"
    design = project / "designs" / "schedules.md"
    design.write_text(design.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    code, out, err = cli("plan", "designs/schedules.md", "-f", "json", "-o", "s.json", "--check")
    assert code == 2 and out.startswith("--- a/s.json")
    assert err.splitlines() == [
        "s.json:1: error: out of date: design changed since it was written [stale]",
        "planner plan --check: 1 of 1 file(s) out of date; run it without --check and commit the result",
    ]


def test_build_check_annotates_each_stale_file_for_github(project: Path) -> None:
    assert cli("build", "designs", "-o", "out")[0] == 0
    (project / "designs" / "straight-chain.md").unlink()
    config = project / "config" / "repos.toml"
    config.write_text(config.read_text(encoding="utf-8") + "\n# a comment changes the hash\n", encoding="utf-8")
    code, _, err = cli("build", "designs", "-o", "out", "--check", "--diagnostics", "github")
    assert code == 2
    errors = re.findall(r"^::error file=([^,]+),line=1,title=planner stale::out of date: (.*)$", err, re.MULTILINE)
    assert ("out/workflow-schedules/plan.json", "config changed since it was written") in errors
    assert not [path for path, _ in errors if path.startswith("out/workflow-schedules/plan.md")]  # no hash in it
    # A deleted design keeps its folder until --prune (docs/guarantees.md): none of its files is stale.
    assert not [path for path, _ in errors if path.startswith("out/execution-tags/")]
    assert any(path == "out/index.json" for path, _ in errors)
    assert re.search(r"^planner build --check: (\d+) of \d+ file\(s\) out of date;", err, re.MULTILINE)
    assert int(re.search(r"--check: (\d+) of", err)[1]) == len(errors)  # type: ignore[index]


def test_the_step_summary_counts_the_stale_files(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli("build", "designs", "-o", "out")[0] == 0
    (project / "out" / "index.md").write_text("edited\n", encoding="utf-8")
    summary = project / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert cli("build", "designs", "-o", "out", "--check")[0] == 2
    assert "1 file(s) on disk are out of date" in summary.read_text(encoding="utf-8")


# -- links relative to the plan's folder; verify from anywhere -----------------------------------------


def test_plan_links_work_from_the_plan_files_folder(project: Path) -> None:
    assert cli("plan", "designs/schedules.md", "-o", "docs/plans/schedules.md")[0] == 0  # the folder is created
    plan = project / "docs" / "plans" / "schedules.md"
    [link] = re.findall(r"^- Design: \[[^\]]*\]\(<([^>]+)>\)$", plan.read_text(encoding="utf-8"), re.MULTILINE)
    assert link == "../../designs/schedules.md" and (plan.parent / link).is_file()


def test_build_links_work_from_each_plan_folder(project: Path) -> None:
    assert cli("build", "designs", "-o", "site/out")[0] == 0
    out = project / "site" / "out"
    for plan in out.glob("*/plan.md"):
        [link] = re.findall(r"^- Design: \[[^\]]*\]\(<([^>]+)>\)$", plan.read_text(encoding="utf-8"), re.MULTILINE)
        assert (plan.parent / link).resolve().is_file(), link
    index = (out / "index.md").read_text(encoding="utf-8")
    for link in re.findall(r"\]\(<([^>]+)>\)", index):
        assert (out / link).is_file(), link


def test_plan_into_a_new_folder_creates_it(project: Path) -> None:
    code, _, _ = cli("plan", "designs", "-o", "plans/2026")
    assert code == 0
    assert len(list((project / "plans" / "2026").glob("*.md"))) == 2


def test_verify_works_from_any_folder(project: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    assert cli("plan", "designs/schedules.md", "-f", "json", "-o", "s.json")[0] == 0
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    done = subprocess.run(
        [sys.executable, "-m", "planner", "verify", str(project / "s.json")],
        cwd=elsewhere,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "design " in done.stdout and ": unchanged" in done.stdout and "Traceback" not in done.stderr


def test_verify_still_reads_a_plan_that_recorded_paths_the_old_way(project: Path) -> None:
    (project / "plans").mkdir()
    assert cli("plan", "designs/schedules.md", "-f", "json", "-o", "plans/s.json")[0] == 0
    plan = project / "plans" / "s.json"
    data = json.loads(plan.read_text(encoding="utf-8"))
    # How planner 0.1.0 wrote it: paths relative to the folder it ran in.
    data["design"]["path"], data["provenance"]["config_path"] = "designs/schedules.md", "config/repos.toml"
    plan.write_text(json.dumps(data), encoding="utf-8")
    result = CliRunner().invoke(app, ["verify", "plans/s.json"])
    assert result.exit_code == 0 and "design designs/schedules.md: unchanged" in result.stdout


def test_verify_names_the_folder_a_missing_file_was_looked_for_in(project: Path) -> None:
    assert cli("plan", "designs/schedules.md", "-f", "json", "-o", "s.json")[0] == 0
    (project / "designs" / "schedules.md").unlink()
    result = CliRunner().invoke(app, ["verify", "s.json"])
    assert result.exit_code == 1
    assert "the plan's design file is gone (looked for designs/schedules.md)" in result.stderr


def test_verify_of_a_plan_in_another_folder_names_the_path_it_looked_for(project: Path) -> None:
    assert cli("plan", "designs/schedules.md", "-f", "json", "-o", "plans/s.json")[0] == 0
    (project / "designs" / "schedules.md").unlink()
    result = CliRunner().invoke(app, ["verify", "plans/s.json"])
    assert result.exit_code == 1
    assert "designs/schedules.md:1: error: the plan's design file is gone (looked for designs/schedules.md)" in (
        result.stderr
    )


# -- the pre-commit hook, typos, no-repos --------------------------------------------------------------


def test_check_skip_generated_passes_over_a_plan_named_explicitly(project: Path) -> None:
    assert cli("plan", "designs/schedules.md", "-o", "designs/schedules.plan.md")[0] == 0
    plan = project / "designs" / "schedules.plan.md"
    assert plan.read_text(encoding="utf-8").startswith(GENERATED_MARKER)
    assert cli("check", str(plan))[0] == 1  # named, and not skipped: it is no design
    code, _, err = cli("check", "--skip-generated", "designs/schedules.md", str(plan))
    assert code == 0 and "planner check: 1 design doc(s), 0 error(s)" in err


def test_check_skip_generated_does_not_wait_on_a_fifo(project: Path) -> None:
    os.mkfifo(project / "designs" / "stuck.md")
    args = [sys.executable, "-m", "planner", "check", "--skip-generated", "designs/stuck.md", "-c", str(EXAMPLE_CONFIG)]
    done = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False, cwd=project)
    assert done.returncode == 1 and "designs/stuck.md:1: error:" in done.stderr, done.stderr


TYPO = """# Typo Design

**Status:** Approved

## Proposed Solution

### Affected Repositories

- [x] flovyn-sever - the server

### Key Files

- `flovyn-sever/src/a.rs` - one
- `flovyn-sever/src/b.rs` - two
- `flovyn-sever/src/c.rs` - three
"""


def test_a_repo_name_typo_is_one_error(project: Path) -> None:
    (project / "designs" / "typo.md").write_text(TYPO, encoding="utf-8")
    code, _, err = cli("check", "designs/typo.md")
    errors = [line for line in err.splitlines() if ": error: " in line]
    assert code == 1 and len(errors) == 1 and "unknown repo 'flovyn-sever'; did you mean 'flovyn-server'?" in errors[0]


def test_no_repos_lists_the_configured_repos(project: Path) -> None:
    (project / "designs" / "none.md").write_text(TYPO.replace("- [x]", "- [ ]"), encoding="utf-8")
    code, _, err = cli("check", "designs/none.md")
    assert code == 1
    assert "(configured repos: flovyn-app, flovyn-server, sdk-kotlin, sdk-python, sdk-rust) [no-repos]" in err


def test_check_quiet_prints_errors_only(project: Path) -> None:
    (project / "designs" / "typo.md").write_text(TYPO.replace("Approved", "Draft"), encoding="utf-8")
    code, _, err = cli("check", "--quiet", "designs")
    assert code == 1 and err and all(": error: " in line for line in err.splitlines())
    assert cli("check", "--require-approved", "designs/typo.md")[2].count("error: status is 'Draft'") == 1


# -- sync github: no token, no name ----------------------------------------------------------------------


def test_sync_github_without_a_token_fails_before_any_request(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    # An API root that nothing answers: a request would fail differently (and slowly).
    code, _, err = cli("sync", "github", "designs/schedules.md", "--api-url", "http://192.0.2.1:9")
    assert code == 1 and "GITHUB_TOKEN is not set; export GITHUB_TOKEN=" in err and "--dry-run" in err


def test_a_name_resolution_failure_is_not_retried() -> None:
    calls: list[object] = []
    sleeps: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url)
        try:
            raise socket.gaierror(-2, "Name or service not known")
        except socket.gaierror as exc:
            raise httpx.ConnectError(str(exc), request=request) from exc

    pacing = Pacing(sleep=sleeps.append, monotonic=lambda: 0.0, now=lambda: 0.0)
    transport = httpx.MockTransport(handler)
    with (
        GitHubClient("https://github.invalid/api", "t", pacing, transport=transport) as client,
        pytest.raises(GitHubError, match=r"cannot resolve github\.invalid"),
    ):
        client.get_all("repos/o/r/issues")
    assert len(calls) == 1 and sleeps == []


# -- Removed from the design: no number reused ----------------------------------------------------------


def _plan(tasks: list[str]) -> str:
    lines = [GENERATED_MARKER, "# Plan: X", "", "## 1. repo", ""]
    lines += [f"- [ ] **1.{n}** task {t} <!-- planner:id=repo:{t} -->" for n, t in enumerate(tasks, 1)]
    return "\n".join(lines) + "\n"


@given(
    st.lists(st.sampled_from("abcdefgh"), unique=True, max_size=8),
    st.lists(st.sampled_from("abcdefgh"), unique=True, max_size=8),
)
def test_removed_tasks_never_show_a_number_used_above(before: list[str], after: list[str]) -> None:
    text = carry_over(_plan(after), _plan(before).replace("- [ ]", "- [x]"))
    above, _, removed = text.partition(REMOVED_HEADING)
    assert set(re.findall(r"\*\*(\d+\.\d+)\*\*", removed)).isdisjoint(re.findall(r"\*\*(\d+\.\d+)\*\*", above))
    assert sorted(re.findall(r"task (\w) <!--", removed)) == sorted(set(before) - set(after))
    assert carry_over(_plan(after), text) == text  # and regenerating again changes nothing
