"""`plan` over many designs, the `--check` drift gate, `verify`, and every exit code they document."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from project import ROOT
from typer.testing import CliRunner

from planner.cli import app
from planner.files import GENERATED_MARKER

FIXTURES = ["schedules", "straight-chain", "parallel-waves"]
DRAFT = (
    "# Draft Thing Design\n\n**Status:** Draft\n\n"
    "## Proposed Solution\n\n### Affected Repositories\n\n- [x] flovyn-server - x\n"
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Designs, the example config and an empty plans/ folder, outside any git checkout; cwd is its root."""
    (tmp_path / "designs").mkdir()
    (tmp_path / "plans").mkdir()
    (tmp_path / "config").mkdir()
    for name in FIXTURES:
        shutil.copyfile(ROOT / "fixtures" / f"{name}.md", tmp_path / "designs" / f"{name}.md")
    shutil.copyfile(ROOT / "config" / "repos.toml", tmp_path / "config" / "repos.toml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PLANNER_CONFIG", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    return tmp_path


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [*args, "--config", "config/repos.toml"])
    return result.exit_code, result.stdout, result.stderr


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# -- plan: one design, several designs -------------------------------------------------------------


def test_one_design_to_stdout_and_to_a_file_are_the_same_bytes(project: Path) -> None:
    code, out, _ = cli("plan", "designs/schedules.md")
    assert code == 0 and out.startswith(GENERATED_MARKER + "\n# Plan: Workflow Schedules\n")
    # In the working folder, so that the design link (relative to the plan's folder) reads the same.
    assert cli("plan", "designs/schedules.md", "-o", "s.md")[0] == 0
    assert (project / "s.md").read_text(encoding="utf-8") == out


def test_several_designs_need_an_output_folder(project: Path) -> None:
    code, out, err = cli("plan", "designs/schedules.md", "designs/straight-chain.md")
    assert code == 2 and out == "" and "--output DIR" in err
    (project / "plans" / "x.md").write_text("a file, not a folder\n", encoding="utf-8")
    code, _, err = cli("plan", "designs", "-o", "plans/x.md")
    assert code == 2 and "--output DIR" in err
    assert snapshot(project / "plans") == {"x.md": b"a file, not a folder\n"}


def test_several_designs_are_written_one_file_per_feature(project: Path) -> None:
    code, out, _ = cli("plan", "designs", "-o", "plans", "--format", "json")
    assert code == 0 and out == ""
    written = snapshot(project / "plans")
    assert sorted(written) == ["cancellation-reasons-in-clients.json", "execution-tags.json", "workflow-schedules.json"]
    # The same plan as one design gives, but with its paths seen from plans/.
    single = cli("plan", "designs/schedules.md", "--format", "json")[1]
    single = single.replace('"designs/schedules.md"', '"../designs/schedules.md"')
    single = single.replace('"config/repos.toml"', '"../config/repos.toml"')
    assert written["workflow-schedules.json"].decode("utf-8") == single


def test_a_design_with_errors_fails_the_batch_and_nothing_is_written(project: Path) -> None:
    (project / "designs" / "draft.md").write_text(DRAFT, encoding="utf-8")
    code, _, err = cli("plan", "designs", "-o", "plans")
    assert code == 1 and "designs/draft.md:3: error:" in err and "[not-approved]" in err
    assert snapshot(project / "plans") == {}


def test_two_designs_of_one_feature_is_an_error_naming_both(project: Path) -> None:
    shutil.copyfile(project / "designs" / "schedules.md", project / "designs" / "schedules-copy.md")
    code, _, err = cli("plan", "designs", "-o", "plans")
    assert code == 1 and "[feature-collision]" in err
    assert "designs/schedules-copy.md" in err and "designs/schedules.md" in err
    assert snapshot(project / "plans") == {}


# -- plan --check ----------------------------------------------------------------------------------


def test_check_exit_codes_up_to_date_changed_missing_errors_usage(project: Path) -> None:
    target = project / "plans" / "s.md"
    # Missing file: it would be created.
    code, out, _ = cli("plan", "designs/schedules.md", "-o", "plans/s.md", "--check")
    assert code == 2 and out.startswith("--- /dev/null\n+++ b/plans/s.md\n") and not target.exists()

    assert cli("plan", "designs/schedules.md", "-o", "plans/s.md")[0] == 0
    before = target.read_bytes()
    code, out, _ = cli("plan", "designs/schedules.md", "-o", "plans/s.md", "--check")
    assert (code, out) == (0, "")

    design = project / "designs" / "schedules.md"
    design.write_text(design.read_text(encoding="utf-8").replace("the scheduler loop", "the tick loop"), "utf-8")
    code, out, _ = cli("plan", "designs/schedules.md", "-o", "plans/s.md", "--check")
    assert code == 2
    assert out.startswith("--- a/plans/s.md\n+++ b/plans/s.md\n")
    assert "-- [ ] **1.12** the scheduler loop <!--" in out and "+- [ ] **1.12** the tick loop <!--" in out
    assert target.read_bytes() == before  # --check writes nothing

    design.write_text(DRAFT, encoding="utf-8")
    code, out, err = cli("plan", "designs/schedules.md", "-o", "plans/s.md", "--check")
    assert code == 1 and out == "" and "[not-approved]" in err

    code, _, err = cli("plan", "designs/schedules.md", "--check")
    assert code == 2 and "--output" in err


def test_check_over_a_folder_diffs_every_file(project: Path) -> None:
    assert cli("plan", "designs", "-o", "plans")[0] == 0
    assert cli("plan", "designs", "-o", "plans", "--check")[:2] == (0, "")
    (project / "plans" / "execution-tags.md").unlink()
    code, out, _ = cli("plan", "designs", "-o", "plans", "--check")
    assert code == 2 and "+++ b/plans/execution-tags.md" in out and "workflow-schedules" not in out


def test_check_runs_as_a_process_with_the_documented_exit_code(project: Path) -> None:
    env = {**os.environ, "GIT_CEILING_DIRECTORIES": str(project.parent)}
    args = [
        sys.executable,
        "-m",
        "planner",
        "plan",
        "designs/schedules.md",
        "-o",
        "plans/s.md",
        "-c",
        "config/repos.toml",
    ]
    assert subprocess.run(args, cwd=project, env=env, check=False).returncode == 0
    (project / "plans" / "s.md").write_text("stale\n", encoding="utf-8")
    done = subprocess.run([*args, "--check"], cwd=project, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 2 and "-stale\n" in done.stdout


# -- verify ----------------------------------------------------------------------------------------


def _json_plan(project: Path) -> Path:
    assert cli("plan", "designs/schedules.md", "--format", "json", "-o", "plans/s.json")[0] == 0
    return project / "plans" / "s.json"


def test_the_json_plan_records_where_it_came_from(project: Path) -> None:
    data = json.loads(_json_plan(project).read_text(encoding="utf-8"))
    provenance = data["provenance"]
    assert provenance["config_path"] == "../config/repos.toml"  # from plans/, where the plan is
    assert len(provenance["design_sha256"]) == 64 and len(provenance["config_sha256"]) == 64
    assert provenance["git_commit"] is None and provenance["git_dirty"] is None  # not a git checkout
    assert data["design"]["path"] == "../designs/schedules.md"


def test_verify_exit_codes(project: Path) -> None:
    plan_file = _json_plan(project)
    code, out, _ = cli_verify(str(plan_file))
    assert code == 0
    assert out == "design designs/schedules.md: unchanged\nconfig config/repos.toml: unchanged\n"

    config = project / "config" / "repos.toml"
    config.write_text(config.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    code, out, _ = cli_verify(str(plan_file))
    assert code == 2
    assert "design designs/schedules.md: unchanged" in out
    assert "config config/repos.toml: changed since the plan was made" in out

    (project / "designs" / "schedules.md").unlink()
    code, _, err = cli_verify(str(plan_file))
    assert code == 1 and "designs/schedules.md:1: error: the plan's design file is gone" in err

    code, _, err = cli_verify("plans/none.json")
    assert code == 1 and "plans/none.json:1: error: no such plan file" in err
    code, _, err = cli_verify("config/repos.toml")
    assert code == 1 and "[plan-file]" in err


def cli_verify(path: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["verify", path])
    return result.exit_code, result.stdout, result.stderr


def test_verify_as_a_process(project: Path) -> None:
    plan_file = _json_plan(project)
    design = project / "designs" / "schedules.md"
    design.write_text(design.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "planner", "verify", str(plan_file)], cwd=project, capture_output=True, text=True
    )
    assert done.returncode == 2 and "design designs/schedules.md: changed" in done.stdout


# -- check -----------------------------------------------------------------------------------------


def test_check_with_github_format_reports_workflow_commands(project: Path) -> None:
    (project / "designs" / "draft.md").write_text(DRAFT, encoding="utf-8")
    code, out, err = cli("check", "designs", "--format", "github", "--require-approved")
    assert code == 1 and out == ""
    assert "::error file=designs/draft.md,line=3,title=planner not-approved::" in err
    assert "::warning file=designs/parallel-waves.md,line=77,title=planner open-question::" in err


def test_json_nested_deep_where_planner_reads_json_back_is_no_traceback(project: Path) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    plan_file = _json_plan(project)
    config = ["--config", "config/repos.toml"]
    runs = []
    for check in (("--check",), ()):
        plan_file.write_text(deep, encoding="utf-8")
        plan = ["plan", "designs/schedules.md", "-f", "json", "-o", str(plan_file), *check]
        runs.append(CliRunner().invoke(app, [*plan, *config]))
    plan_file.write_text(deep, encoding="utf-8")
    runs.append(CliRunner().invoke(app, ["verify", str(plan_file)]))
    assert runs[-1].exit_code == 1 and "[plan-file]" in runs[-1].stderr
    assert cli("build", "designs", "-o", "out")[0] == 0
    (project / "out" / "workflow-schedules" / "plan.json").write_text(deep, encoding="utf-8")
    for check in (("--check",), ()):
        (project / "out" / "index.json").write_text(deep, encoding="utf-8")
        runs.append(CliRunner().invoke(app, ["build", "designs", "-o", "out", "-j", "1", *check, *config]))
    for result in runs:
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
