"""Issue 2, section 6: the `planner` command, in process (CliRunner) and as a real process."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from rules_support import HEAD, ROOT, line_of
from typer.testing import CliRunner

from planner import __version__
from planner.cli import app
from planner.files import GENERATED_MARKER

CONFIG = str(ROOT / "config" / "repos.toml")
SCHEDULES = str(ROOT / "fixtures" / "schedules.md")
DIAGNOSTIC = re.compile(
    r"^(?P<path>.+):(?P<line>\d+): (?P<severity>error|warning): (?P<message>.+) \[(?P<code>[a-z0-9-]+)\]$"
)
DRAFT = HEAD.replace("Approved", "Draft") + "## Affected Repositories\n\n- [x] flovyn-server - API\n"
GOOD = HEAD + "## Affected Repositories\n\n- [x] flovyn-server - API\n"
QUESTION = GOOD + "\n## Open Questions\n\n- [ ] Colour?\n"


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def run(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k != "PLANNER_CONFIG"}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "planner", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def write(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def parsed(stderr: str) -> list[tuple[str, int, str, str]]:
    """(path, line, severity, code) of every stderr line, each of which must be a diagnostic."""
    out = []
    for line in stderr.splitlines():
        if line.startswith("planner check: "):  # the closing count
            continue
        m = DIAGNOSTIC.match(line)
        assert m, f"not a diagnostic line: {line!r}"
        out.append((m["path"], int(m["line"]), m["severity"], m["code"]))
    return out


# -- plan -----------------------------------------------------------------------------------------


def test_plan_prints_markdown_by_default() -> None:
    code, out, err = invoke("plan", SCHEDULES, "--config", CONFIG)
    assert (code, err) == (0, "")
    assert out.startswith(GENERATED_MARKER + "\n# Plan: Workflow Schedules\n")
    assert "| 2 | flovyn-app, sdk-rust |" in out
    assert "- [ ] **1.1** Write the database migration (schedules, workflow_executions)" in out


def test_plan_json_is_valid_against_the_schema() -> None:
    code, out, _ = invoke("plan", SCHEDULES, "--config", CONFIG, "--format", "json")
    _, schema_text, _ = invoke("schema")
    data = json.loads(out)
    assert code == 0 and data["design"]["path"] == SCHEDULES
    schema = json.loads(schema_text)
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(data)


def test_unapproved_design_exits_1_with_the_diagnostic_on_stderr(tmp_path: Path) -> None:
    design = write(tmp_path, "draft.md", DRAFT)
    code, out, err = invoke("plan", design, "--config", CONFIG)
    assert code == 1 and out == ""
    assert parsed(err) == [(design, line_of(DRAFT, "**Status:**"), "error", "not-approved")]


def test_allow_unapproved_plans_with_a_warning(tmp_path: Path) -> None:
    design = write(tmp_path, "draft.md", DRAFT)
    code, out, err = invoke("plan", design, "--config", CONFIG, "--allow-unapproved")
    assert code == 0 and out.startswith(GENERATED_MARKER + "\n# Plan: Widgets")
    assert parsed(err) == [(design, line_of(DRAFT, "**Status:**"), "warning", "not-approved")]


def test_warnings_exit_0_and_strict_makes_them_errors(tmp_path: Path) -> None:
    design = write(tmp_path, "q.md", QUESTION)
    expected_line = line_of(QUESTION, "Colour?")
    code, out, err = invoke("plan", design, "--config", CONFIG)
    assert code == 0 and "## Warnings" in out
    assert parsed(err) == [(design, expected_line, "warning", "open-question")]
    code, out, err = invoke("plan", design, "--config", CONFIG, "--strict")
    assert code == 1 and out == ""
    assert parsed(err) == [(design, expected_line, "error", "open-question")]


def test_output_is_written_by_replacing_the_file(tmp_path: Path) -> None:
    target = tmp_path / "plan.md"
    target.write_text("old plan\n", encoding="utf-8")
    before = target.stat().st_ino
    code, out, err = invoke("plan", SCHEDULES, "--config", CONFIG, "--output", str(target))
    assert (code, out, err) == (0, "", "")
    assert target.read_text(encoding="utf-8").startswith(GENERATED_MARKER + "\n# Plan: Workflow Schedules\n")
    # A new inode: the text went to a temporary file renamed over the old one, not into the old one.
    assert target.stat().st_ino != before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.md"]


def test_output_is_not_written_on_errors(tmp_path: Path) -> None:
    design = write(tmp_path, "draft.md", DRAFT)
    existing = tmp_path / "existing.md"
    existing.write_text("previous plan\n", encoding="utf-8")
    fresh = tmp_path / "fresh.md"
    assert invoke("plan", design, "--config", CONFIG, "--output", str(existing))[0] == 1
    assert invoke("plan", design, "--config", CONFIG, "--output", str(fresh))[0] == 1
    assert existing.read_text(encoding="utf-8") == "previous plan\n"
    assert not fresh.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["draft.md", "existing.md"]


def test_output_into_a_missing_folder_creates_it(tmp_path: Path) -> None:
    target = tmp_path / "no-such-dir" / "plan.md"
    code, _, _ = invoke("plan", SCHEDULES, "--config", CONFIG, "--output", str(target))
    assert code == 0 and target.is_file()
    assert sorted(p.name for p in target.parent.iterdir()) == ["plan.md"]  # no temp file left


def test_missing_design_and_bad_config_exit_1(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.md")
    code, _, err = invoke("plan", missing, "--config", CONFIG)
    assert code == 1 and parsed(err) == [(missing, 1, "error", "not-found")]
    bad = write(tmp_path, "repos.toml", 'version = 1\n[repos.a]\ndescription = "a"\nlanguage = "go"\ndepend_on = []\n')
    code, _, err = invoke("plan", SCHEDULES, "--config", bad)
    assert code == 1 and "depend_on" in err
    assert all(path == bad for path, *_ in parsed(err))


@pytest.mark.parametrize(
    "args",
    [
        ["plan"],
        ["plan", SCHEDULES, "--format", "pdf"],
        ["plan", SCHEDULES, "--bogus"],
        ["check"],
        ["graph", "--format", "png"],
        ["no-such-command"],
    ],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    code, out, err = invoke(*args)
    assert code == 2 and out == ""
    assert "Usage:" in err


# -- version and help -----------------------------------------------------------------------------


def test_version() -> None:
    assert invoke("--version") == (0, f"planner {__version__}\n", "")


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ([], ["plan", "check", "graph", "schema", "--version"]),
        (["plan"], ["--config", "--format", "--output", "--allow-unapproved", "--strict"]),
        (["check"], ["--config", "--format", "--require-approved", "--quiet", "--strict"]),
        (["graph"], ["--config", "--format"]),
        (["schema"], ["JSON Schema"]),
    ],
)
def test_help_on_each_command(command: list[str], options: list[str]) -> None:
    code, out, _ = invoke(*command, "--help")
    assert code == 0 and out.startswith("Usage: ")
    for option in options:
        assert option in out, f"{option} missing from `planner {' '.join(command)} --help`"


# -- check ----------------------------------------------------------------------------------------


def test_check_reports_every_file_and_fails_if_any_has_errors(tmp_path: Path) -> None:
    good = write(tmp_path, "good.md", GOOD)
    draft = write(tmp_path, "draft.md", DRAFT)
    question = write(tmp_path, "question.md", QUESTION)
    code, out, err = invoke("check", good, draft, question, "--config", CONFIG, "--require-approved")
    assert code == 1 and out == ""
    assert parsed(err) == [
        (draft, line_of(DRAFT, "**Status:**"), "error", "not-approved"),
        (question, line_of(QUESTION, "Colour?"), "warning", "open-question"),
    ]
    assert invoke("check", good, question, "--config", CONFIG)[0] == 0


def test_check_a_folder_recursively_as_json(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    write(tmp_path, "b.md", GOOD)
    write(tmp_path / "sub", "a.md", DRAFT)
    write(tmp_path, "notes.txt", "not a design")
    code, out, _ = invoke("check", str(tmp_path), "--config", CONFIG, "--format", "json", "--require-approved")
    report = json.loads(out)
    assert code == 1
    assert [(Path(r["path"]).relative_to(tmp_path).as_posix(), r["ok"]) for r in report] == [
        ("b.md", True),
        ("sub/a.md", False),
    ]
    assert [d["code"] for d in report[1]["diagnostics"]] == ["not-approved"]


def test_check_a_folder_skips_the_plans_planner_wrote(tmp_path: Path) -> None:
    write(tmp_path, "design.md", GOOD)
    plans = tmp_path / "plans"
    plans.mkdir()
    assert invoke("plan", str(tmp_path / "design.md"), "--config", CONFIG, "--output", str(plans / "p.md"))[0] == 0
    # A file given by name is always checked; only the search of a folder passes over generated plans.
    assert invoke("check", str(plans / "p.md"), "--config", CONFIG)[0] == 1
    code, out, _ = invoke("check", str(tmp_path), "--config", CONFIG, "--format", "json")
    assert code == 0
    assert [Path(r["path"]).name for r in json.loads(out)] == ["design.md"]


def test_check_an_empty_folder_is_an_error(tmp_path: Path) -> None:
    code, _, err = invoke("check", str(tmp_path), "--config", CONFIG)
    assert code == 1 and parsed(err) == [(str(tmp_path), 1, "error", "no-designs")]


# -- graph and schema -----------------------------------------------------------------------------


def test_graph_formats() -> None:
    code, text, _ = invoke("graph", "--config", CONFIG)
    assert code == 0 and text.splitlines()[:3] == [
        "wave 1: flovyn-server",
        "wave 2: flovyn-app, sdk-rust",
        "wave 3: sdk-kotlin, sdk-python",
    ]
    code, mermaid, _ = invoke("graph", "--config", CONFIG, "--format", "mermaid")
    assert code == 0 and mermaid.startswith("flowchart TD\n")
    assert mermaid.count(" --> ") == 4 and '["flovyn-server"]' in mermaid
    code, dot, _ = invoke("graph", "--config", CONFIG, "--format", "dot")
    assert code == 0 and dot.startswith("digraph repos {") and dot.rstrip().endswith("}")
    assert dot.count(" -> ") == 4 and 'label="sdk-kotlin"' in dot


def test_schema_is_a_json_schema_of_the_plan() -> None:
    code, out, _ = invoke("schema")
    schema = json.loads(out)
    assert code == 0
    jsonschema.Draft202012Validator.check_schema(schema)
    assert {"schema_version", "design", "waves", "repos", "diagnostics"} <= set(schema["required"])


# -- config lookup through the CLI ----------------------------------------------------------------


def project(tmp_path: Path) -> Path:
    """A project folder with config/repos.toml and a design two folders down."""
    (tmp_path / "config").mkdir()
    shutil.copyfile(CONFIG, tmp_path / "config" / "repos.toml")
    nested = tmp_path / "docs" / "designs"
    nested.mkdir(parents=True)
    write(nested, "w.md", GOOD)
    return nested


def test_config_is_found_upward_from_the_working_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project(tmp_path))
    monkeypatch.delenv("PLANNER_CONFIG", raising=False)
    code, out, _ = invoke("plan", "w.md")
    assert code == 0 and out.startswith(GENERATED_MARKER + "\n# Plan: Widgets")


def test_planner_config_env_and_no_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nested = project(tmp_path)
    other = tmp_path / "elsewhere"
    other.mkdir()
    shutil.move(str(tmp_path / "config" / "repos.toml"), other / "repos.toml")
    monkeypatch.chdir(nested)
    monkeypatch.delenv("PLANNER_CONFIG", raising=False)
    code, _, err = invoke("plan", "w.md")
    assert code == 1 and "[no-config]" in err
    monkeypatch.setenv("PLANNER_CONFIG", str(other / "repos.toml"))
    assert invoke("plan", "w.md")[0] == 0


# -- as a real process ----------------------------------------------------------------------------


def test_process_plan_matches_the_golden_markdown() -> None:
    done = run("plan", "fixtures/schedules.md", "--config", "config/repos.toml")
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == (ROOT / "fixtures" / "golden" / "schedules.md").read_text(encoding="utf-8")


def test_process_errors_and_warnings_on_stderr(tmp_path: Path) -> None:
    text = DRAFT.replace("flovyn-server", "flovyn-sever") + "\n## Open Questions\n\n- [ ] Why?\n"
    design = write(tmp_path, "d.md", text)
    done = run("plan", design, "--config", CONFIG)
    assert done.returncode == 1 and done.stdout == ""
    assert parsed(done.stderr) == [
        (design, line_of(text, "**Status:**"), "error", "not-approved"),
        (design, line_of(text, "flovyn-sever"), "error", "unknown-repo"),
        (design, line_of(text, "Why?"), "warning", "open-question"),
    ]
    assert "Traceback" not in done.stderr


def test_process_exit_codes_version_and_usage(tmp_path: Path) -> None:
    version = run("--version")
    assert (version.returncode, version.stdout) == (0, f"planner {__version__}\n")
    usage = run("plan", "--no-such-option")
    assert usage.returncode == 2 and "Usage:" in usage.stderr
    target = tmp_path / "out.json"
    ok = run("plan", "fixtures/api-fanout.md", "--config", "config/repos.toml", "-f", "json", "-o", str(target))
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, "", "")
    assert json.loads(target.read_text(encoding="utf-8"))["waves"][2] == ["sdk-kotlin", "sdk-python"]
