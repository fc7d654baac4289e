"""`planner build`: a folder per approved design, an index of all, atomic replacement, drift, summary."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from project import ROOT
from typer.testing import CliRunner

import planner.ci.tree
from planner.ci.build import build_plans
from planner.ci.summary import step_summary
from planner.ci.tree import replace_tree
from planner.cli import app
from planner.cli.ci import progress
from planner.config import load_config
from planner.files import OutputError

FIXTURES = ["schedules", "straight-chain", "parallel-waves"]
DRAFT = "# Draft Thing Design\n\n**Status:** Draft\n\n## Proposed Solution\n\n### Affected Repositories\n\n- [x] nope\n"
PLANNED = ["cancellation-reasons-in-clients", "execution-tags", "workflow-schedules"]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "designs").mkdir()
    (tmp_path / "config").mkdir()
    for name in FIXTURES:
        shutil.copyfile(ROOT / "fixtures" / f"{name}.md", tmp_path / "designs" / f"{name}.md")
    shutil.copyfile(ROOT / "config" / "repos.toml", tmp_path / "config" / "repos.toml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PLANNER_CONFIG", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.delenv("PLANNER_TEST_PAUSE_BEFORE_SWAP", raising=False)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    return tmp_path


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [*args, "--config", "config/repos.toml"])
    return result.exit_code, result.stdout, result.stderr


def build(*extra: str) -> tuple[int, str, str]:
    return cli("build", "designs", "--out", "out", *extra)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def index(project: Path) -> dict[str, dict[str, Any]]:
    data = json.loads((project / "out" / "index.json").read_text(encoding="utf-8"))
    return {d["path"]: d for d in data["designs"]}


def break_design(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("- [x] flovyn-server", "- [x] flovyn-serverr", 1), encoding="utf-8")


# -- layout and index --------------------------------------------------------------------------------


def test_every_approved_design_gets_a_folder_and_the_index_lists_them_all(project: Path) -> None:
    code, out, err = build()
    assert code == 0 and out == ""
    assert "3 design doc(s): 3 planned, 0 skipped (not approved), 0 failed" in err
    files = snapshot(project / "out")
    assert sorted(files) == sorted(
        ["index.json", "index.md"] + [f"{d}/{f}" for d in PLANNED for f in ("graph.mmd", "plan.json", "plan.md")]
    )
    # What `plan` gives for one design, with the paths seen from the plan's own folder, out/<feature>/.
    single = cli("plan", "designs/schedules.md", "--format", "json")[1]
    single = single.replace('"designs/schedules.md"', '"../../designs/schedules.md"')
    single = single.replace('"config/repos.toml"', '"../../config/repos.toml"')
    assert files["workflow-schedules/plan.json"].decode("utf-8") == single
    markdown = cli("plan", "designs/schedules.md")[1].replace("designs/schedules.md", "../../designs/schedules.md")
    assert files["workflow-schedules/plan.md"].decode("utf-8") == markdown
    assert (
        files["workflow-schedules/graph.mmd"].decode("utf-8")
        == cli("plan", "designs/schedules.md", "--format", "mermaid")[1]
    )
    entry = index(project)["designs/schedules.md"]
    plan = json.loads(single)
    assert entry["outcome"] == "planned" and entry["directory"] == "workflow-schedules"
    assert entry["repos"] == len(plan["repos"]) == 4
    assert entry["tasks"] == sum(len(r["tasks"]) for r in plan["repos"]) == 23
    assert "| `designs/schedules.md` | [Workflow Schedules](<workflow-schedules/plan.md>) |" in (
        files["index.md"].decode("utf-8")
    )


def test_drafts_are_skipped_errors_fail_the_run_and_everything_is_reported(project: Path) -> None:
    (project / "designs" / "draft.md").write_text(DRAFT, encoding="utf-8")
    break_design(project / "designs" / "straight-chain.md")
    code, _, err = build()
    assert code == 1
    assert "designs/straight-chain.md:" in err and "[unknown-repo]" in err
    assert "draft.md" not in err  # a skipped draft is not a problem to report
    found = index(project)
    assert [(p, d["outcome"]) for p, d in found.items()] == [
        ("designs/draft.md", "skipped: not approved"),
        ("designs/parallel-waves.md", "planned"),
        ("designs/schedules.md", "planned"),
        ("designs/straight-chain.md", "failed: errors"),
    ]
    # The unknown repo, and the two key files that now name no checked repo.
    failed = found["designs/straight-chain.md"]
    assert failed["errors"] == 3 and failed["directory"] is None
    assert sorted(d["code"] for d in failed["diagnostics"] if d["severity"] == "error") == [
        "key-file-repo",
        "key-file-repo",
        "unknown-repo",
    ]
    assert found["designs/draft.md"]["errors"] == 0
    assert sorted(p.name for p in (project / "out").iterdir() if p.is_dir()) == PLANNED[:1] + PLANNED[2:]


def test_drafts_alone_are_not_a_failure(project: Path) -> None:
    for f in (project / "designs").iterdir():
        f.unlink()
    (project / "designs" / "draft.md").write_text(DRAFT, encoding="utf-8")
    assert build()[0] == 0
    assert index(project)["designs/draft.md"]["outcome"] == "skipped: not approved"


def test_one_feature_from_two_designs_is_an_error_naming_both(project: Path) -> None:
    shutil.copyfile(project / "designs" / "schedules.md", project / "designs" / "schedules-v2.md")
    code, _, err = build()
    assert code == 1 and err.count("[feature-collision]") == 2
    line = next(x for x in err.splitlines() if x.startswith("designs/schedules-v2.md:1: error:"))
    assert "designs/schedules.md" in line and "workflow-schedules/" in line
    found = index(project)
    assert found["designs/schedules.md"]["outcome"] == found["designs/schedules-v2.md"]["outcome"] == "failed: errors"
    assert found["designs/straight-chain.md"]["outcome"] == "planned"


def test_a_failed_design_keeps_the_folder_an_earlier_build_wrote(project: Path) -> None:
    assert build()[0] == 0
    before = snapshot(project / "out" / "workflow-schedules")
    break_design(project / "designs" / "schedules.md")
    assert build()[0] == 1
    assert snapshot(project / "out" / "workflow-schedules") == before
    entry = index(project)["designs/schedules.md"]
    assert entry["outcome"] == "failed: errors" and entry["kept_previous"] is True


def test_the_output_folder_among_the_designs_is_not_read_as_designs(project: Path) -> None:
    assert cli("build", "designs", "--out", "designs/plans")[0] == 0
    assert cli("build", "designs", "--out", "designs/plans")[0] == 0
    data = json.loads((project / "designs" / "plans" / "index.json").read_text(encoding="utf-8"))
    assert len(data["designs"]) == 3


def test_a_folder_planner_did_not_write_is_never_replaced(project: Path) -> None:
    (project / "out").mkdir()
    (project / "out" / "precious.txt").write_text("mine\n", encoding="utf-8")
    code, _, err = build()
    assert code == 1 and "did not write" in err
    assert snapshot(project / "out") == {"precious.txt": b"mine\n"}
    (project / "file").write_text("x", encoding="utf-8")
    code, _, err = cli("build", "designs", "--out", "file")
    assert code == 1 and "not a folder" in err


def test_no_designs_in_a_folder_is_an_error(project: Path) -> None:
    (project / "empty").mkdir()
    code, _, err = cli("build", "empty", "--out", "out")
    assert code == 1 and "[no-designs]" in err and not (project / "out").exists()


# -- drift and carried-over progress ------------------------------------------------------------------


def test_check_exit_codes_and_it_writes_nothing(project: Path) -> None:
    code, out, _ = build("--check")
    assert code == 2 and "+++ b/out/index.json" in out and not (project / "out").exists()
    assert build()[0] == 0
    before = snapshot(project / "out")
    assert build("--check")[:2] == (0, "")
    assert build()[0] == 0 and snapshot(project / "out") == before  # same input, same bytes

    (project / "out" / "stray.txt").write_text("x\n", encoding="utf-8")
    code, out, _ = build("--check")
    assert code == 2 and "--- a/out/stray.txt\n+++ /dev/null\n" in out
    (project / "out" / "stray.txt").unlink()

    break_design(project / "designs" / "schedules.md")
    code, out, err = build("--check")
    assert code == 1 and out == "" and "[unknown-repo]" in err
    assert snapshot(project / "out") == before


def test_ticked_boxes_and_notes_survive_a_rebuild(project: Path) -> None:
    assert build()[0] == 0
    plan_md = project / "out" / "workflow-schedules" / "plan.md"
    marker = "<!-- planner:id=flovyn-server:migration -->"
    text = plan_md.read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if x.endswith(marker))
    notes = "<!-- planner:notes -->\nOn call: ana\n<!-- /planner:notes -->\n"
    plan_md.write_text(text.replace(line, line.replace("- [ ]", "- [x]")) + "\n" + notes, encoding="utf-8")
    ticked = plan_md.read_bytes()
    assert build("--check")[:2] == (0, "")  # ticking a box is not drift

    design = project / "designs" / "schedules.md"
    design.write_text(design.read_text(encoding="utf-8").replace("Teams start", "Teams begin"), encoding="utf-8")
    code, out, _ = build("--check")
    assert code == 2 and "out/workflow-schedules/plan.json" in out and "workflow-schedules/plan.md" not in out
    assert build()[0] == 0
    assert plan_md.read_bytes() == ticked


def test_in_git_a_moving_head_is_not_drift(project: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}

    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@e", *args], cwd=project, env=env, check=True)

    git("init", "-q")
    git("add", "designs", "config")
    git("commit", "-q", "-m", "designs")
    assert build()[0] == 0
    recorded = json.loads((project / "out" / "workflow-schedules" / "plan.json").read_text(encoding="utf-8"))
    assert recorded["provenance"]["git_dirty"] is False and len(recorded["provenance"]["git_commit"]) == 40
    git("add", "out")
    git("commit", "-q", "-m", "plans")
    assert build("--check")[:2] == (0, "")


# -- GitHub step summary and progress bar --------------------------------------------------------------


def test_the_step_summary_is_appended(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    summary = project / "summary.md"
    summary.write_text("earlier step output\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    (project / "designs" / "draft.md").write_text(DRAFT, encoding="utf-8")
    assert build()[0] == 0
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step output\n## planner build\n")
    assert "4 design docs: 3 planned, 1 skipped (not approved), 0 failed." in text
    assert "| `designs/draft.md` | Draft Thing | Draft | skipped: not approved |" in text
    assert build("--check")[0] == 0
    again = summary.read_text(encoding="utf-8")
    assert again.startswith(text) and "The plans on disk are up to date." in again[len(text) :]


def test_the_step_summary_stays_under_its_limit(project: Path) -> None:
    config, _ = load_config(project / "config" / "repos.toml")
    assert config is not None
    for i in range(60):
        (project / "designs" / f"draft{i:03}.md").write_text(DRAFT, encoding="utf-8")
    result = build_plans(sorted(str(p) for p in (project / "designs").glob("*.md")), config, config_path="c")
    full = step_summary(result)
    assert len(full.encode()) > 4000
    cut = step_summary(result, limit=4000)
    assert len(cut.encode()) <= 4000 and "more lines left out" in cut and cut.startswith("## planner build\n")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_progress_bar_only_on_a_terminal() -> None:
    pipe = io.StringIO()
    with progress(3, "planning", pipe) as advance:
        assert advance is None
    assert pipe.getvalue() == ""
    terminal = _Terminal()
    with progress(3, "planning", terminal) as advance:
        assert advance is not None
        for i in range(1, 4):
            advance(i, 3, f"d{i}.md")
    assert "planning" in terminal.getvalue()


def test_build_on_a_pipe_prints_no_progress(project: Path) -> None:
    code, _, err = build()
    assert code == 0 and err.splitlines() == [
        "designs/parallel-waves.md:77: warning: open question: 'Should the SDKs default the reason to the caller's "
        "hostname?'; resolve it and tick its box before implementation [open-question]",
        "planner build: 3 design doc(s): 3 planned, 0 skipped (not approved), 0 failed",
    ]


# -- atomic replacement ----------------------------------------------------------------------------------


def test_a_build_killed_before_the_swap_leaves_the_old_tree_intact(project: Path) -> None:
    env = {**os.environ, "GIT_CEILING_DIRECTORIES": str(project.parent)}
    args = [sys.executable, "-m", "planner", "build", "designs", "--out", "out", "-c", "config/repos.toml"]
    assert subprocess.run(args, cwd=project, env=env, capture_output=True, check=False).returncode == 0
    old = snapshot(project / "out")
    design = project / "designs" / "schedules.md"
    design.write_text(design.read_text(encoding="utf-8").replace("Teams start", "Teams begin"), encoding="utf-8")
    (project / "designs" / "straight-chain.md").unlink()

    fifo = project / "pause.fifo"
    os.mkfifo(fifo)
    child = subprocess.Popen(
        args, cwd=project, env={**env, "PLANNER_TEST_PAUSE_BEFORE_SWAP": str(fifo)}, stderr=subprocess.PIPE
    )
    announced: list[str] = []
    reader = threading.Thread(target=lambda: announced.append(fifo.read_text(encoding="utf-8").strip()), daemon=True)
    reader.start()
    reader.join(timeout=120)  # a guard against a hung test, not a measurement
    try:
        assert announced, "the build never reached the swap"
        staging = Path(announced[0])
        new = snapshot(staging)
        assert new != old and "workflow-schedules/plan.json" in new
        # The deleted design's plan folder is kept as it was (nothing is deleted by a change of state).
        assert new["execution-tags/plan.md"] == old["execution-tags/plan.md"]
        assert snapshot(project / "out") == old  # the whole new tree is ready; the old one is still in place
    finally:
        child.kill()
        child.wait()
    assert snapshot(project / "out") == old

    # The next run cleans up after the killed one and swaps in the new tree.
    assert subprocess.run(args, cwd=project, env=env, capture_output=True, check=False).returncode == 0
    assert snapshot(project / "out") == new
    assert [p.name for p in project.iterdir() if p.name.startswith(".out.")] == []


def test_a_failing_build_removes_its_staging_and_keeps_the_old_tree(tmp_path: Path) -> None:
    out = tmp_path / "out"
    replace_tree(out, {"index.json": json.dumps({"kind": "planner-build-index"}), "a/plan.md": "old\n"})
    old = snapshot(out)

    def boom(staging: Path) -> None:
        assert (staging / "a" / "plan.md").read_text(encoding="utf-8") == "new\n"
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        replace_tree(
            out, {"index.json": json.dumps({"kind": "planner-build-index"}), "a/plan.md": "new\n"}, before_swap=boom
        )
    assert snapshot(out) == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_without_an_atomic_exchange_the_parked_tree_is_restored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(planner.ci.tree, "_exchange", lambda a, b: False)
    marker = json.dumps({"kind": "planner-build-index"})
    out = tmp_path / "out"
    replace_tree(out, {"index.json": marker, "x.md": "one\n"})
    replace_tree(out, {"index.json": marker, "x.md": "two\n"})
    assert snapshot(out) == {"index.json": marker.encode(), "x.md": b"two\n"}
    # A run killed between its two renames leaves the old tree parked and no out/: the next run restores it.
    os.rename(out, tmp_path / ".out.planner-old")

    def stop(staging: Path) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        replace_tree(out, {"index.json": marker, "x.md": "three\n"}, before_swap=stop)
    assert snapshot(out) == {"index.json": marker.encode(), "x.md": b"two\n"}


def test_replace_tree_refuses_a_symlink(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(OutputError, match="symlink"):
        replace_tree(tmp_path / "link", {"index.json": "{}"})


def test_designs_whose_file_names_show_alike_keep_their_own_progress(project: Path) -> None:
    # Two file names that differ only in bytes that are not UTF-8 both show as `x\ufffd.md` in the index: the
    # folder it records for that path belongs to one of them only, so neither may take its ticks from it.
    text = (project / "designs" / "schedules.md").read_text(encoding="utf-8")
    shutil.rmtree(project / "designs")
    (project / "designs").mkdir()
    for n, raw in enumerate([b"x\xff.md", b"x\xfe.md"]):
        name = raw.decode("utf-8", "surrogateescape")
        (project / "designs" / name).write_text(re.sub("^# .*", f"# Thing {n} Design", text, count=1), "utf-8")
    runner = CliRunner()
    assert runner.invoke(app, ["build", "designs", "-o", "plans", "--jobs", "1"]).exit_code == 0
    folders = {n: project / "plans" / f"thing-{n}" / "plan.md" for n in (0, 1)}
    for n, plan in folders.items():
        plan.write_text(plan.read_text(encoding="utf-8").replace("- [ ]", "- [x]" if n else "- [-]", 1), "utf-8")
    assert runner.invoke(app, ["build", "designs", "-o", "plans", "--jobs", "1"]).exit_code == 0
    assert "- [x]" not in folders[0].read_text(encoding="utf-8")
    assert "- [-]" not in folders[1].read_text(encoding="utf-8")
