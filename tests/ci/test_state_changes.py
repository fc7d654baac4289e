"""Plans are never deleted by a change of state, and two builds of one output never destroy each other."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from project import ROOT
from typer.testing import CliRunner

from planner.ci.tree import lock_path, output_lock
from planner.cli import app

FIXTURES = ["schedules", "straight-chain", "parallel-waves"]
FOLDER = "workflow-schedules"
CONCURRENT = 6
NOTE = "<!-- planner:notes -->\nAsked the SRE team about the kill switch.\n<!-- /planner:notes -->\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "designs").mkdir()
    (tmp_path / "config").mkdir()
    for name in FIXTURES:
        shutil.copyfile(ROOT / "fixtures" / f"{name}.md", tmp_path / "designs" / f"{name}.md")
    shutil.copyfile(ROOT / "config" / "repos.toml", tmp_path / "config" / "repos.toml")
    monkeypatch.chdir(tmp_path)
    for name in ("PLANNER_CONFIG", "GITHUB_STEP_SUMMARY", "PLANNER_TEST_PAUSE_BEFORE_SWAP"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    return tmp_path


def build(*extra: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["build", "designs", "--out", "out", *extra, "--config", "config/repos.toml"])
    return result.exit_code, result.stdout, result.stderr


def work_in(project: Path) -> str:
    """Tick the first task and write a note, as a person would; the plan as left."""
    plan = project / "out" / FOLDER / "plan.md"
    text = plan.read_text(encoding="utf-8").replace("- [ ]", "- [x]", 1) + NOTE
    plan.write_text(text, encoding="utf-8")
    return text


def entry(project: Path, path: str) -> dict[str, object]:
    data = json.loads((project / "out" / "index.json").read_text(encoding="utf-8"))
    found: dict[str, object] = next(d for d in data["designs"] if d["path"] == path)
    return found


def set_status(project: Path, status: str) -> None:
    design = project / "designs" / "schedules.md"
    text = design.read_text(encoding="utf-8")
    design.write_text(text.replace("**Status:** Approved", f"**Status:** {status}", 1), encoding="utf-8")


@pytest.mark.parametrize("status", ["Draft", "Review", "Aproved", "~~Approved~~ Draft"])
def test_a_design_that_stops_being_approved_keeps_its_plan_folder(project: Path, status: str) -> None:
    assert build()[0] == 0
    worked = work_in(project)
    set_status(project, status)
    code, _, err = build()
    assert code == 0, err
    assert (project / "out" / FOLDER / "plan.md").read_text(encoding="utf-8") == worked
    found = entry(project, "designs/schedules.md")
    assert found["outcome"] == "skipped: not approved" and found["kept_previous"] is True
    assert found["directory"] == FOLDER
    assert "1 kept from an earlier build" in err
    assert "kept the plan folder of an earlier build" in (project / "out" / "index.md").read_text(encoding="utf-8")
    # Approved again: the ticks and notes are all still there.
    set_status(project, "Approved")
    assert build()[0] == 0
    again = (project / "out" / FOLDER / "plan.md").read_text(encoding="utf-8")
    assert again.count("- [x]") == 1 and again.endswith(NOTE)


def test_a_deleted_design_keeps_its_folder_until_prune_which_lists_what_it_drops(project: Path) -> None:
    assert build()[0] == 0
    worked = work_in(project)
    (project / "designs" / "schedules.md").unlink()
    code, _, err = build()
    assert code == 0, err
    assert (project / "out" / FOLDER / "plan.md").read_text(encoding="utf-8") == worked
    found = entry(project, "designs/schedules.md")
    assert found["outcome"] == "gone: design missing" and found["kept_previous"] is True
    # Still kept on the next build (the index still knows whose folder it is).
    assert build()[0] == 0 and (project / "out" / FOLDER / "plan.md").exists()
    code, _, err = build("--prune")
    assert code == 0
    assert not (project / "out" / FOLDER).exists()
    assert f"--prune dropped out/{FOLDER}/" in err
    assert "designs/schedules.md" not in [
        d["path"] for d in json.loads((project / "out" / "index.json").read_text())["designs"]
    ]


def test_building_one_design_keeps_the_folders_of_the_others(project: Path) -> None:
    assert build()[0] == 0
    before = sorted(p.name for p in (project / "out").iterdir())
    result = CliRunner().invoke(
        app, ["build", "designs/straight-chain.md", "--out", "out", "--config", "config/repos.toml"]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (project / "out").iterdir()) == before


def test_a_renamed_feature_takes_its_ticks_and_notes_to_its_new_folder(project: Path) -> None:
    assert build()[0] == 0
    work_in(project)
    design = project / "designs" / "schedules.md"
    text = design.read_text(encoding="utf-8")
    title = next(line for line in text.split("\n") if line.startswith("# "))
    design.write_text(text.replace(title, "# Cron Schedules Design", 1), encoding="utf-8")
    assert build()[0] == 0
    moved = (project / "out" / "cron-schedules" / "plan.md").read_text(encoding="utf-8")
    assert moved.count("- [x]") == 1 and moved.endswith(NOTE)
    assert not (project / "out" / FOLDER).exists()  # nothing lost: all of it moved with the feature


def test_a_failing_design_keeps_its_folder_even_with_prune(project: Path) -> None:
    assert build()[0] == 0
    worked = work_in(project)
    design = project / "designs" / "schedules.md"
    design.write_text(design.read_text(encoding="utf-8").replace("- [x] flovyn-server", "- [x] nope-server", 1))
    assert build("--prune")[0] == 1
    assert (project / "out" / FOLDER / "plan.md").read_text(encoding="utf-8") == worked


@pytest.mark.parametrize("directory", ["../escape", "/etc", "a/b", "..", ".", "", "x" * 81, "Upper", 7])
def test_no_folder_read_from_an_index_steers_a_path(project: Path, directory: object) -> None:
    assert build()[0] == 0
    # Outside the output, a file that looks like a ticked plan of the same design.
    secret = project / "escape"
    secret.mkdir()
    (secret / "plan.md").write_text("- [x] SECRET <!-- planner:id=flovyn-server:migration -->\n", encoding="utf-8")
    index = project / "out" / "index.json"
    data = json.loads(index.read_text(encoding="utf-8"))
    for d in data["designs"]:
        d["directory"] = directory
    index.write_text(json.dumps(data), encoding="utf-8")
    shutil.rmtree(project / "out" / FOLDER)  # so the recorded folder would be the only source
    code, _, err = build()
    assert code == 0, err
    tree = "".join(p.read_text(encoding="utf-8") for p in (project / "out").rglob("*") if p.is_file())
    assert "SECRET" not in tree
    if directory:
        assert "[index-directory]" in err


def _announce(fifo: Path, into: list[str]) -> threading.Thread:
    thread = threading.Thread(target=lambda: into.append(fifo.read_text(encoding="utf-8").strip()), daemon=True)
    thread.start()
    return thread


def test_a_second_build_waits_for_the_first_and_never_touches_its_staging(project: Path) -> None:
    env = {**os.environ, "GIT_CEILING_DIRECTORIES": str(project.parent)}
    args = [sys.executable, "-m", "planner", "build", "designs", "--out", "out", "-c", "config/repos.toml"]
    assert subprocess.run(args, cwd=project, env=env, capture_output=True, check=False).returncode == 0
    fifo = project / "pause.fifo"
    os.mkfifo(fifo)
    first = subprocess.Popen(args, cwd=project, env={**env, "PLANNER_TEST_PAUSE_BEFORE_SWAP": str(fifo)})
    announced: list[str] = []
    _announce(fifo, announced).join(timeout=120)  # a guard against a hung test, not a measurement
    second = subprocess.Popen(args, cwd=project, env=env, stderr=subprocess.PIPE, text=True)
    try:
        assert announced, "the first build never reached the swap"
        staging = Path(announced[0])
        assert second.stderr is not None
        waiting = second.stderr.readline()
        assert "another build is writing this output folder" in waiting and ".out.planner-lock" in waiting
        assert staging.is_dir() and second.poll() is None  # it waits; the staging of the live run is intact
    finally:
        first.kill()
        first.wait()
    assert second.wait(timeout=120) == 0
    assert [p.name for p in project.iterdir() if p.name.startswith(".out.")] == []


def test_concurrent_builds_serialise_and_keep_every_tick(project: Path) -> None:
    env = {**os.environ, "GIT_CEILING_DIRECTORIES": str(project.parent)}
    args = [sys.executable, "-m", "planner", "build", "designs", "--out", "out", "-c", "config/repos.toml"]
    assert subprocess.run(args, cwd=project, env=env, capture_output=True, check=False).returncode == 0
    work_in(project)
    runs = [subprocess.Popen(args, cwd=project, env=env, stderr=subprocess.DEVNULL) for _ in range(CONCURRENT)]
    assert [run.wait(timeout=300) for run in runs] == [0] * CONCURRENT
    after = (project / "out" / FOLDER / "plan.md").read_text(encoding="utf-8")
    assert after.count("- [x]") == 1 and after.count(NOTE) == 1
    assert sorted(p.name for p in project.iterdir() if p.name.startswith(".out.")) == []
    check = subprocess.run([*args, "--check"], cwd=project, env=env, capture_output=True, check=False)
    assert check.returncode == 0, check.stdout


def test_the_lock_is_a_file_beside_the_output_and_goes_with_its_holder(tmp_path: Path) -> None:
    out = tmp_path / "plans"
    waited: list[Path] = []
    with output_lock(out) as held:
        assert held == lock_path(out) == tmp_path / ".plans.planner-lock" and held.exists()
        done = threading.Event()

        def second() -> None:
            with output_lock(out, on_wait=waited.append):
                done.set()

        thread = threading.Thread(target=second, daemon=True)
        thread.start()
        assert not done.wait(0.5)  # an upper bound on a wait that must not end, not a timing claim
    thread.join(timeout=60)
    assert done.is_set() and waited == [lock_path(out)]
    assert not lock_path(out).exists()
