"""docs/walkthrough.md runs as written: new, check, approve, plan, tick, edit, regenerate, sync, CI."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from project import EXAMPLE_CONFIG, ROOT

WALKTHROUGH = ROOT / "docs" / "walkthrough.md"
_BLOCK = re.compile(r"^(?P<fence>`{3,})sh\n(?P<body>.*?)^(?P=fence)$", re.MULTILINE | re.DOTALL)


def blocks() -> list[str]:
    """The page's `sh` blocks, in order."""
    return [m["body"] for m in _BLOCK.finditer(WALKTHROUGH.read_text(encoding="utf-8"))]


def test_the_walkthrough_covers_every_step() -> None:
    text = " ".join(blocks())
    for command in ("planner new", "planner check", "planner plan", "planner sync", "planner build", "--check"):
        assert command in text
    assert len(blocks()) >= 9


def test_the_walkthrough_runs_as_written(tmp_path: Path) -> None:
    # Its sync step needs Taskwarrior, which the README's test command installs: missing, this fails loudly.
    assert shutil.which("task"), "install Taskwarrior (`task`) as the README's test command does"
    work = tmp_path / "project"
    (work / "config").mkdir(parents=True)
    shutil.copyfile(EXAMPLE_CONFIG, work / "config" / "repos.toml")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "planner"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m planner "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    home = tmp_path / "home"
    home.mkdir()
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(home), "LC_ALL": "C.UTF-8"}
    outputs = []
    for number, body in enumerate(blocks(), 1):
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", body], cwd=work, env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, f"block {number} failed:\n{body}\n{done.stdout}\n{done.stderr}"
        outputs.append(done)
    plan = (work / "plans" / "tags.md").read_text(encoding="utf-8")
    assert "](<../docs/designs/tags.md>)" in plan  # the link works from plans/
    assert plan.count("- [x]") == 1 and "DELETE /api/orgs/{org_slug}/executions/{execution_id}/tags/{tag}" in plan
    checked = outputs[1].stderr.splitlines()
    assert (
        checked[-1].startswith("planner check: 1 design doc(s), 0 error(s), ")
        and "[template-text]" in checked[0] + outputs[1].stderr
    )
    assert "all" in outputs[-2].stderr and "up to date" in outputs[-2].stderr  # build --check agrees with build
