"""The shipped action.yml and .pre-commit-hooks.yaml: their scripts run planner as documented."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from project import ROOT

ACTION = (ROOT / "action.yml").read_text(encoding="utf-8")
HOOKS = (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
DRAFT = (
    "# Draft Thing Design\n\n**Status:** Draft\n\n"
    "## Proposed Solution\n\n### Affected Repositories\n\n- [x] flovyn-server - x\n"
)


def step_script(name: str) -> str:
    """The `run: |` block of the action step called name (a block scalar: its lines, de-indented)."""
    lines = ACTION.split("\n")
    start = next(i for i, line in enumerate(lines) if line.strip() == f"- name: {name}")
    run = next(i for i in range(start, len(lines)) if lines[i].strip() == "run: |")
    body = []
    indent = None
    for line in lines[run + 1 :]:
        if line.strip() and indent is None:
            indent = len(line) - len(line.lstrip())
        if line.strip() and len(line) - len(line.lstrip()) < (indent or 0):
            break
        body.append(line[indent or 0 :])
    return "\n".join(body).strip() + "\n"


def hook_value(key: str) -> str:
    match = re.search(rf"^  {key}: (.*)$", HOOKS, re.MULTILINE)
    assert match is not None, key
    return match.group(1)


def test_the_action_is_composite_and_never_pastes_an_input_into_a_script() -> None:
    assert re.search(r"^  using: composite$", ACTION, re.MULTILINE)
    for line in ACTION.split("\n"):
        if "${{ inputs." in line:
            # Only as a value of `env:` or `with:` keys, never inside `run:` text.
            assert re.match(r"^\s+[A-Za-z_-]+: \$\{\{ inputs\.[a-z-]+ \}\}$", line), line
    declared = set(re.findall(r"^  ([a-z-]+):\n    description:", ACTION, re.MULTILINE))
    used = set(re.findall(r"\$\{\{ inputs\.([a-z-]+) \}\}", ACTION))
    assert used == declared == {"designs", "out", "check", "config", "strict", "python-version", "planner-spec"}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "docs" / "designs").mkdir(parents=True)
    (tmp_path / "config").mkdir()
    shutil.copyfile(ROOT / "fixtures" / "schedules.md", tmp_path / "docs" / "designs" / "schedules.md")
    shutil.copyfile(ROOT / "config" / "repos.toml", tmp_path / "config" / "repos.toml")
    return tmp_path


def run_action(project: Path, summary: Path, **inputs: str) -> subprocess.CompletedProcess[str]:
    values = {"designs": "docs/designs", "out": "plans", "check": "false", "config": "", "strict": "false", **inputs}
    env = {
        **os.environ,
        # The installed planner stands in for the one the install step puts on PATH.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "GIT_CEILING_DIRECTORIES": str(project.parent),
        "GITHUB_STEP_SUMMARY": str(summary),
        **{f"PLANNER_{k.upper()}": v for k, v in values.items() if k not in ("config",)},
        "PLANNER_CONFIG_FILE": values["config"],
    }
    env.pop("PLANNER_CONFIG", None)
    return subprocess.run(
        ["bash", "-eo", "pipefail", "-c", step_script("planner build")],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_action_builds_then_its_check_mode_gates_on_drift(project: Path) -> None:
    summary = project / "summary.md"
    summary.write_text("", encoding="utf-8")
    done = run_action(project, summary, config="config/repos.toml")
    assert done.returncode == 0, done.stderr
    assert (project / "plans" / "workflow-schedules" / "plan.md").is_file()
    assert "## planner build" in summary.read_text(encoding="utf-8")

    assert run_action(project, summary, check="true", config="config/repos.toml").returncode == 0
    design = project / "docs" / "designs" / "schedules.md"
    design.write_text(design.read_text(encoding="utf-8").replace("Teams start", "Teams begin"), encoding="utf-8")
    done = run_action(project, summary, check="true", config="config/repos.toml")
    assert done.returncode == 2 and "+++ b/plans/workflow-schedules/plan.json" in done.stdout

    bad = DRAFT.replace("Draft\n", "Approved\n").replace("flovyn-server", "nope")
    (project / "docs" / "designs" / "bad.md").write_text(bad, encoding="utf-8")
    done = run_action(project, summary, config="config/repos.toml")
    assert done.returncode == 1
    assert "::error file=docs/designs/bad.md,line=9,title=planner unknown-repo::" in done.stderr


def test_the_pre_commit_hook_checks_designs_and_lets_drafts_through(project: Path) -> None:
    assert re.search(r"^- id: planner-check$", HOOKS, re.MULTILINE)
    files = re.compile(hook_value("files"))
    assert files.search("docs/designs/x.md") and files.search("design/y.md") and files.search("designs/z.md")
    assert not files.search("README.md") and not files.search("docs/guide.md")

    entry = shlex.split(hook_value("entry"))
    assert entry[:2] == ["planner", "check"]
    env = {**os.environ, "PLANNER_CONFIG": "config/repos.toml", "GIT_CEILING_DIRECTORIES": str(project.parent)}
    command = [sys.executable, "-m", "planner", *entry[1:]]
    (project / "docs" / "designs" / "draft.md").write_text(DRAFT, encoding="utf-8")
    staged = ["docs/designs/schedules.md", "docs/designs/draft.md"]
    done = subprocess.run([*command, *staged], cwd=project, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "docs/designs/draft.md:3: note:" in done.stderr and "[not-approved]" in done.stderr

    (project / "docs" / "designs" / "draft.md").write_text(DRAFT.replace("flovyn-server", "nope"), encoding="utf-8")
    done = subprocess.run([*command, *staged], cwd=project, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 1 and "[unknown-repo]" in done.stderr


def test_the_documented_workflow_uses_only_inputs_the_action_declares() -> None:
    section = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    withs = re.findall(r"with: \{ (.*) \}", section)
    assert withs, "the CI page shows the action with inputs"
    keys = {pair.split(":", 1)[0].strip() for w in withs for pair in w.split(", ")}
    declared = set(re.findall(r"^  ([a-z-]+):\n    description:", ACTION, re.MULTILINE))
    assert keys and keys <= declared
    assert "- id: planner-check" in section
    workflow = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    assert len(workflow.strip().splitlines()) <= 12
