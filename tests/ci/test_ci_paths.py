"""CI paths never read or write outside what they were given, and nothing printed can be a runner command."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from project import ROOT
from typer.testing import CliRunner

from planner.ci.provenance import PlanFileError, verify_plan
from planner.ci.tree import tree_diff
from planner.cli import app
from planner.diagnostics import error, printable
from planner.files import OutputError, check_output_path, read_inside, read_regular

SECRET = "GITHUB_TOKEN=ghp_not_for_the_log"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "designs").mkdir()
    (tmp_path / "config").mkdir()
    shutil.copyfile(ROOT / "fixtures" / "schedules.md", tmp_path / "designs" / "schedules.md")
    shutil.copyfile(ROOT / "config" / "repos.toml", tmp_path / "config" / "repos.toml")
    (tmp_path / ".env").write_text(SECRET + "\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for name in ("PLANNER_CONFIG", "GITHUB_STEP_SUMMARY", "PLANNER_TEST_PAUSE_BEFORE_SWAP"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    return tmp_path


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [*args, "--config", "config/repos.toml"])
    return result.exit_code, result.stdout, result.stderr


def special_files(folder: Path) -> dict[str, Path]:
    fifo = folder / "fifo"
    os.mkfifo(fifo)
    sock = folder / "sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(sock))
    server.close()
    return {"a FIFO": fifo, "a socket": sock, "a character device": Path("/dev/null")}


# -- reading the output tree ---------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["leak.md", "workflow-schedules/plan.md", "workflow-schedules/plan.json"])
def test_build_check_never_prints_what_a_symlink_in_the_tree_points_at(project: Path, where: str) -> None:
    assert cli("build", "designs", "--out", "out")[0] == 0
    link = project / "out" / where
    link.unlink(missing_ok=True)
    link.symlink_to(project / ".env")
    code, out, err = cli("build", "designs", "--out", "out", "--check")
    assert code == 2 and SECRET not in out + err
    assert "a symlink, not read" in out
    # And the writing path does not carry it into the new tree either.
    assert cli("build", "designs", "--out", "out")[0] == 0
    tree = "".join(p.read_text(encoding="utf-8") for p in (project / "out").rglob("*") if p.is_file())
    assert SECRET not in tree and not link.is_symlink()


def test_build_check_refuses_a_symlinked_output_folder_like_the_writing_path(project: Path) -> None:
    (project / "real").mkdir()
    (project / "real" / "index.json").symlink_to(project / ".env")
    (project / "out").symlink_to(project / "real")
    for extra in ([], ["--check"]):
        code, out, err = cli("build", "designs", "--out", "out", *extra)
        assert code == 1 and "is a symlink" in err and SECRET not in out + err


def test_plan_check_does_not_read_through_a_symlinked_output(project: Path) -> None:
    (project / "plan.md").symlink_to(project / ".env")
    code, out, err = cli("plan", "designs/schedules.md", "--output", "plan.md", "--check")
    assert code == 1 and "is a symlink" in err and SECRET not in out + err
    # Several designs into a folder: the symlinked target is compared as absent, never read.
    (project / "plans").mkdir()
    (project / "plans" / "workflow-schedules.md").symlink_to(project / ".env")
    shutil.copyfile(project / "designs" / "schedules.md", project / "designs" / "copy.md")
    (project / "designs" / "copy.md").write_text(
        (project / "designs" / "copy.md").read_text(encoding="utf-8").replace("# Workflow Schedules", "# Other", 1),
        encoding="utf-8",
    )
    code, out, err = cli("plan", "designs", "--output", "plans", "--check")
    assert code == 2 and SECRET not in out + err


def test_reading_inside_a_tree_takes_only_regular_files_below_it(tmp_path: Path) -> None:
    (tmp_path / "tree" / "sub").mkdir(parents=True)
    (tmp_path / "tree" / "sub" / "ok.md").write_text("ok", encoding="utf-8")
    (tmp_path / "outside.md").write_text(SECRET, encoding="utf-8")
    (tmp_path / "tree" / "link.md").symlink_to(tmp_path / "outside.md")
    (tmp_path / "tree" / "dir").symlink_to(tmp_path)
    specials = special_files(tmp_path / "tree")
    assert read_inside(tmp_path / "tree", "sub/ok.md") == "ok"
    for rel in ["link.md", "dir/outside.md", "../outside.md", "/etc/passwd", "sub/../../outside.md", "a\0b", ""]:
        assert read_inside(tmp_path / "tree", rel) is None, rel
    for path in specials.values():
        assert read_regular(path) is None  # never blocks on the FIFO
    assert SECRET not in tree_diff(tmp_path / "tree", {})


# -- writing outputs -----------------------------------------------------------------------------------


def test_no_output_is_a_fifo_socket_or_device(project: Path) -> None:
    for kind, path in special_files(project).items():
        with pytest.raises(OutputError, match=kind):
            check_output_path(path)
        code, _, err = cli("plan", "designs/schedules.md", "--output", str(path))
        assert code == 1 and kind in err
        code, _, err = cli("plan", "designs/schedules.md", "--output", str(path), "--check")
        assert code in (1, 2) and "Traceback" not in err
    code, _, err = cli("build", "designs", "--out", str(project / "fifo"))
    assert code == 1 and "not a folder" in err
    assert Path("/dev/null").is_char_device()


def test_a_forced_symlink_to_a_device_is_refused(project: Path) -> None:
    (project / "null.md").symlink_to("/dev/null")
    code, _, err = cli("plan", "designs/schedules.md", "--output", "null.md", "--force")
    assert code == 1 and "a character device" in err
    assert Path("/dev/null").is_char_device()


def test_a_fifo_as_the_job_summary_is_a_warning_not_a_hang(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fifo = project / "summary"
    os.mkfifo(fifo)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(fifo))
    code, _, err = cli("build", "designs", "--out", "out")
    assert code == 0 and "[step-summary]" in err and "a FIFO" in err


# -- verify --------------------------------------------------------------------------------------------


def _plan_json(project: Path) -> dict[str, object]:
    code, out, _ = cli("plan", "designs/schedules.md", "--format", "json")
    assert code == 0
    data: dict[str, object] = json.loads(out)
    return data


def test_verify_never_hangs_on_a_fifo_plan_or_a_fifo_design(project: Path) -> None:
    fifo = project / "fifo"
    os.mkfifo(fifo)
    result = CliRunner().invoke(app, ["verify", str(fifo)])
    assert result.exit_code == 1 and "no such plan file" in result.stderr
    data = _plan_json(project)
    design = data["design"]
    assert isinstance(design, dict)
    design["path"] = "fifo"
    (project / "plan.json").write_text(json.dumps(data), encoding="utf-8")
    result = CliRunner().invoke(app, ["verify", "plan.json"])
    assert result.exit_code == 1 and "fifo:1: error:" in result.stderr and "[missing]" in result.stderr


def test_verify_rejects_a_nul_byte_in_a_recorded_path(project: Path) -> None:
    data = _plan_json(project)
    design = data["design"]
    assert isinstance(design, dict)
    design["path"] = "designs/schedules.md\0/../../.env"
    with pytest.raises(PlanFileError, match="NUL byte"):
        verify_plan(json.dumps(data), project)
    (project / "plan.json").write_text(json.dumps(data), encoding="utf-8")
    result = CliRunner().invoke(app, ["verify", "plan.json"])
    assert result.exit_code == 1 and "NUL byte" in result.stderr and "Traceback" not in result.output


# -- what is printed -----------------------------------------------------------------------------------


@given(st.text(alphabet=st.sampled_from([":", " ", "\t", "\n", "\r", "\x1b", "\x9b", "\x00", "a", "\u2028"])))
def test_no_printed_line_is_a_workflow_command_or_a_control_sequence(text: str) -> None:
    shown = printable(text)
    for line in shown.split("\n"):
        assert not line.lstrip().startswith("::")
        assert not any((ord(c) < 0x20 and c != "\t") or 0x7F <= ord(c) < 0xA0 for c in line)
    one = error("x", text, text, 1).format()
    assert "\n" not in one and not one.lstrip().startswith("::")


def test_a_design_path_or_config_text_starting_with_colons_prints_no_command(project: Path) -> None:
    config = project / "config" / "repos.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace('verify = ["', 'verify = ["::add-mask::x", "\\u001b[2J", "', 1),
        encoding="utf-8",
    )
    shutil.copyfile(project / "designs" / "schedules.md", project / "::error::forged.md")
    code, out, err = cli("plan", "::error::forged.md")
    assert code == 0, err
    for line in (out + err).split("\n"):
        assert not line.lstrip().startswith("::"), line
    assert "\x1b" not in out
    code, _, err = cli("check", "::missing.md")
    assert code == 1 and err.startswith("./::missing.md:1: error:")


def test_a_design_named_with_invalid_utf8_is_planned_in_plan_check_and_build(project: Path) -> None:
    name = os.fsdecode(b"designs/bad\xff name.md")
    shutil.move(project / "designs" / "schedules.md", project / name)
    env = {**os.environ, "GIT_CEILING_DIRECTORIES": str(project.parent)}
    (project / "plans").mkdir()
    runs = {
        "plan": ["plan", name],
        "plan folder": ["plan", "designs", "--output", "plans"],
        "check": ["check", "designs"],
        "build": ["build", "designs", "--out", "out"],
        "build --check": ["build", "designs", "--out", "out", "--check"],
    }
    for label, args in runs.items():
        done = subprocess.run(
            [sys.executable, "-m", "planner", *args, "-c", "config/repos.toml"],
            cwd=project,
            env=env,
            capture_output=True,
            check=False,
        )
        assert done.returncode == 0, (label, done.stderr[-800:])
        assert b"Traceback" not in done.stderr
    index = json.loads((project / "out" / "index.json").read_text(encoding="utf-8"))
    assert [d["path"] for d in index["designs"]] == ["designs/bad\ufffd name.md"]
