"""Issue 12: `planner suggest` finds repos with evidence, key files, unresolved paths and notes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from project import ROOT
from typer.testing import CliRunner

from planner.cli import app
from planner.cli.suggest import _DEFAULT_MIN_EVIDENCE
from planner.config import Config, parse_config
from planner.suggest import DEFAULT_MIN_EVIDENCE, REPORT, Suggestion, suggest_text

FIXTURE = ROOT / "fixtures" / "suggest"
# The suggestion goldens live beside their fixture: fixtures/golden holds the plans of fixtures/*.md.
GOLDEN = FIXTURE / "golden"
UPDATE = os.environ.get("PLANNER_UPDATE_GOLDEN") == "1"

CONFIG = """
version = 1

[repos.ledger]
description = "Accounting service"
language = "rust"
provides = ["rest", "grpc", "database"]
aliases = ["books"]
paths = ["engine/", "engine/ffi/"]

[repos.kiosk]
description = "Point-of-sale app"
language = "kotlin"
depends_on = ["ledger"]
consumes = ["rest"]
aliases = ["till", "pos-app"]

[repos.bindings]
description = "C bindings of the ledger engine"
language = "c"
depends_on = ["ledger"]
paths = ["engine/ffi/c/"]
"""


def config() -> Config:
    cfg, problems = parse_config(CONFIG, "repos.toml")
    assert cfg is not None, problems
    return cfg


def suggest(body: str, min_evidence: int = 1) -> Suggestion:
    text = "# Refunds Design\n\n**Status:** Approved\n\n" + body
    suggestion, _ = suggest_text(text, "refunds.md", config(), min_evidence=min_evidence)
    return suggestion


def evidence(s: Suggestion) -> dict[str, list[tuple[int, str, str]]]:
    return {r.name: [(e.line, e.kind, e.text) for e in r.evidence] for r in s.repos}


# -- evidence kinds ---------------------------------------------------------------------------------


def test_a_repo_name_in_prose_is_evidence() -> None:
    assert evidence(suggest("## Overview\n\nThe ledger records each refund.\n")) == {"ledger": [(7, "name", "ledger")]}


def test_an_alias_is_evidence_of_its_kind_and_matches_whatever_the_case() -> None:
    assert evidence(suggest("## Overview\n\nThe POS-App prints a slip.\n")) == {"kiosk": [(7, "alias", "POS-App")]}


def test_a_name_inside_a_longer_word_path_or_call_is_not_a_name() -> None:
    s = suggest("## Overview\n\nledgers, ledger-v2, ledger.run() and .ledger are not the repo.\n")
    assert s.repos == ()


def test_a_path_that_starts_with_a_repo_name_is_evidence() -> None:
    assert evidence(suggest("## Plan\n\nEdit `kiosk/app/Refund.kt` for the button.\n")) == {
        "kiosk": [(7, "path", "kiosk/app/Refund.kt")]
    }


def test_a_path_under_a_configured_prefix_is_evidence_and_the_longest_prefix_wins() -> None:
    s = suggest("## Plan\n\n`engine/refund.rs` and `engine/ffi/c/refund.h` change.\n")
    assert evidence(s) == {
        "ledger": [(7, "prefix", "engine/refund.rs")],
        "bindings": [(7, "prefix", "engine/ffi/c/refund.h")],
    }


def test_api_and_database_changes_are_evidence_for_the_repos_that_provide_them() -> None:
    s = suggest("## API Changes\n\n- POST /refunds - create one\n\n## Database Changes\n\n- add table refunds\n")
    assert evidence(s) == {"ledger": [(7, "surface", "POST /refunds"), (11, "surface", "add table refunds")]}


def test_file_lines_and_code_block_headers_name_paths() -> None:
    body = "## Plan\n\nFile: kiosk/app/Slip.kt\n\n```rust\n// engine/slip.rs\nfn slip() {}\n```\n"
    s = suggest(body)
    assert evidence(s) == {"kiosk": [(7, "path", "kiosk/app/Slip.kt")], "ledger": [(10, "prefix", "engine/slip.rs")]}
    assert [(k.repo, k.path, k.line) for k in s.key_files] == [
        ("ledger", "engine/slip.rs", 10),
        ("kiosk", "app/Slip.kt", 7),
    ]


# -- excluded sections --------------------------------------------------------------------------------


@pytest.mark.parametrize("heading", ["Current State", "2. Alternatives Considered", "Out of Scope", "Background"])
def test_context_sections_give_no_evidence_and_no_key_files(heading: str) -> None:
    s = suggest(f"## {heading}\n\nThe kiosk keeps `kiosk/app/Old.kt` as it is.\n\n## Plan\n\nThe ledger changes.\n")
    assert evidence(s) == {"ledger": [(11, "name", "ledger")]}
    assert s.key_files == () and s.unresolved == ()


def test_a_section_below_a_context_section_is_context_too() -> None:
    s = suggest("## Current State\n\n### Kiosk\n\nThe kiosk prints.\n\n## Plan\n\nThe pos-app prints.\n")
    assert evidence(s) == {"kiosk": [(13, "alias", "pos-app")]}


# -- order, threshold, key files, unresolved ----------------------------------------------------------


def test_repos_come_in_plan_order_and_evidence_by_line() -> None:
    s = suggest("## Plan\n\nThe kiosk, then the ledger, then the kiosk again.\n\nThe ledger.\n")
    assert [r.name for r in s.repos] == ["ledger", "kiosk"]
    assert evidence(s)["ledger"] == [(7, "name", "ledger"), (9, "name", "ledger")]


def test_min_evidence_drops_repos_with_less_evidence() -> None:
    body = "## Plan\n\nThe ledger and the kiosk.\n\nThe ledger again.\n"
    assert [r.name for r in suggest(body, min_evidence=2).repos] == ["ledger"]
    assert [r.name for r in suggest(body, min_evidence=3).repos] == []


def test_key_files_map_to_exactly_one_suggested_repo_once_each() -> None:
    s = suggest("## Plan\n\n`ledger/src/refund.rs` and `engine/refund.rs`, then `ledger/src/refund.rs:12` again.\n")
    assert [(k.repo, k.path, k.line) for k in s.key_files] == [
        ("ledger", "engine/refund.rs", 7),
        ("ledger", "src/refund.rs", 7),
    ]


def test_folders_patterns_and_urls_are_not_key_files() -> None:
    s = suggest("## Plan\n\nThe ledger: `ledger/src/`, `engine/*.rs`, `https://x.io/a.rs`, `application/json`.\n")
    assert s.key_files == () and s.unresolved == ()
    s = suggest("## Plan\n\nThe ledger: `ledger/src/.../a.rs`, `ledger/{name}.rs`, `/etc/ledger.conf`.\n")
    assert s.key_files == () and s.unresolved == ()


def test_a_path_with_no_repo_is_unresolved_among_the_suggested_repos() -> None:
    s = suggest("## Plan\n\nThe ledger and the kiosk share `common/money.rs`.\n")
    assert [(u.path, u.line, u.candidates) for u in s.unresolved] == [("common/money.rs", 7, ("ledger", "kiosk"))]
    assert s.key_files == ()


def test_a_path_with_no_repo_is_not_guessed_even_with_one_suggested_repo() -> None:
    s = suggest("## Plan\n\nThe ledger changes `src/money.rs`.\n")
    assert s.key_files == ()
    assert [(u.path, u.candidates) for u in s.unresolved] == [("src/money.rs", ("ledger",))]


def test_a_path_of_a_repo_under_the_threshold_is_unresolved() -> None:
    s = suggest("## Plan\n\nThe ledger, the ledger, and `kiosk/app/A.kt`.\n\nThe ledger.\n", min_evidence=2)
    assert [r.name for r in s.repos] == ["ledger"]
    assert [(u.path, u.candidates) for u in s.unresolved] == [("kiosk/app/A.kt", ("kiosk",))]


def test_a_path_with_no_suggested_repo_at_all_has_no_candidates() -> None:
    s = suggest("## Plan\n\nWrite `docs/refunds.md`.\n")
    assert s.repos == () and [(u.path, u.candidates) for u in s.unresolved] == [("docs/refunds.md", ())]


@pytest.mark.parametrize(
    "line",
    [
        "The ledger already rounds in `ledger/src/money.rs`.",
        "Uses the existing lock in `ledger/src/money.rs`.",
        "See `ledger/src/money.rs` for the ledger's rounding.",
        "Same as `ledger/src/money.rs` in the ledger.",
        "Similar to `ledger/src/money.rs`, the ledger stores cents.",
    ],
)
def test_a_file_named_as_existing_code_is_a_note_not_a_key_file(line: str) -> None:
    s = suggest(f"## Plan\n\n{line}\n\nThe ledger adds `ledger/src/refund.rs`.\n")
    assert [(k.repo, k.path) for k in s.key_files] == [("ledger", "src/refund.rs")]
    assert [(n.line, n.code) for n in s.notes] == [(7, "existing-file")]
    assert "`ledger/src/money.rs` is named as existing code" in s.notes[0].message
    assert s.unresolved == ()
    # It is still evidence for its repo: the design names the repo's code.
    assert (7, "path", "ledger/src/money.rs") in evidence(s)["ledger"]


def test_words_inside_code_do_not_make_a_file_existing_code() -> None:
    s = suggest("## Plan\n\nThe ledger adds `existing_lock()` to `ledger/src/refund.rs`.\n")
    assert [k.path for k in s.key_files] == ["src/refund.rs"] and s.notes == ()


# -- notes ---------------------------------------------------------------------------------------------


def test_notes_carry_the_status_and_rejected_lines_but_not_the_missing_repos() -> None:
    text = "# Refunds Design\n\n**Status:** Draft\n\nThe ledger.\n\n## API Changes\n\n```\nPOST refunds/new\n```\n"
    s, _ = suggest_text(text, "refunds.md", config())
    assert [(n.line, n.code) for n in s.notes] == [(3, "not-approved"), (10, "rest-path")]
    assert "does not start with '/'" in s.notes[1].message


def test_an_approved_design_with_evidence_has_no_notes() -> None:
    assert suggest("## Plan\n\nThe ledger.\n").notes == ()


def test_the_default_min_evidence_is_one_value() -> None:
    assert _DEFAULT_MIN_EVIDENCE == DEFAULT_MIN_EVIDENCE


# -- CLI, JSON shape and goldens ------------------------------------------------------------------------


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["suggest", *args])
    return result.exit_code, result.stdout, result.stderr


def fixture_args(fmt: str) -> list[str]:
    return ["--config", "fixtures/suggest/repos.toml", "fixtures/suggest/invoice-export.md", "--format", fmt]


@pytest.mark.parametrize("fmt", ["markdown", "json"])
def test_golden_suggestion(fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code, out, err = invoke(*fixture_args(fmt))
    assert code == 0, err
    golden = GOLDEN / f"invoice-export.{'md' if fmt == 'markdown' else 'json'}"
    if UPDATE:
        golden.write_text(out, encoding="utf-8")
    assert out == golden.read_text(encoding="utf-8"), f"differs from {golden}; PLANNER_UPDATE_GOLDEN=1 regenerates it"


def test_json_output_validates_against_the_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code, schema_text, _ = invoke("--schema")
    assert code == 0
    schema = json.loads(schema_text)
    jsonschema.Draft202012Validator.check_schema(schema)
    code, out, _ = invoke(*fixture_args("json"))
    data = json.loads(out)
    jsonschema.Draft202012Validator(schema).validate(data)
    assert [sorted(d) for d in data] == [["key_files", "notes", "path", "repos", "unresolved"]]
    assert REPORT.validate_python(data)[0].repos[0].name == "billing-api"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate([{**data[0], "repos": [{"name": "x"}]}])


def test_no_design_is_a_usage_error() -> None:
    code, _, err = invoke()
    assert code == 2 and "give one or more design docs" in err


def test_a_missing_design_is_an_error_naming_it_and_the_others_are_still_suggested(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)
    code, out, err = invoke("--config", "fixtures/suggest/repos.toml", "nope.md", "fixtures/suggest/invoice-export.md")
    assert code == 1
    assert "nope.md:1: error: no such file" in err and "Traceback" not in err
    assert "# Suggestions for fixtures/suggest/invoice-export.md" in out


def test_suggest_runs_as_a_process() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "planner", "suggest", *fixture_args("json")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert [r["name"] for r in json.loads(done.stdout)[0]["repos"]] == ["billing-api", "portal"]


def test_min_evidence_on_the_command_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code, out, _ = invoke(*fixture_args("json"), "--min-evidence", "4")
    assert code == 0
    assert [r["name"] for r in json.loads(out)[0]["repos"]] == ["billing-api"]
    assert invoke(*fixture_args("json"), "--min-evidence", "0")[0] == 2


def test_a_folder_is_suggested_file_by_file_in_order(tmp_path: Path) -> None:
    (tmp_path / "b.md").write_text("# B\n\nThe portal.\n", encoding="utf-8")
    (tmp_path / "a.md").write_text("# A\n\nThe billing-api.\n", encoding="utf-8")
    code, out, _ = invoke("--config", str(FIXTURE / "repos.toml"), str(tmp_path), "--format", "json")
    assert code == 0
    assert [(Path(d["path"]).name, [r["name"] for r in d["repos"]]) for d in json.loads(out)] == [
        ("a.md", ["billing-api"]),
        ("b.md", ["portal"]),
    ]


def test_a_design_named_with_a_line_break_prints_no_workflow_command(tmp_path: Path) -> None:
    design = tmp_path / "s\n::error::forged\x1b[31m.md"
    design.write_text("# Tags\n\nThe billing-api stores tags in `services/tags.go`.\n", encoding="utf-8")
    args = ["suggest", "--config", str(FIXTURE / "repos.toml"), "--write", str(design)]
    result = CliRunner().invoke(app, args)
    assert "Affected Repositories" in design.read_text(encoding="utf-8")
    assert "error::forged" in result.stdout and "error::forged" in result.stderr
    assert not [line for line in result.output.splitlines() if line.startswith("::")]
    assert "\x1b" not in result.output


def test_learn_paths_passes_over_a_fifo_instead_of_hanging(tmp_path: Path) -> None:
    plans = tmp_path / "plans"
    plans.mkdir()
    (plans / "done.md").write_text("# Plan\n\n- [x] Edit `services/tags.go`\n", encoding="utf-8")
    os.mkfifo(plans / "stuck.md")
    args = [sys.executable, "-m", "planner", "suggest", "--config", str(FIXTURE / "repos.toml")]
    done = subprocess.run([*args, "--learn-paths", str(plans)], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
