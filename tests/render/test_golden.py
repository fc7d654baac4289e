"""Golden plans: `planner plan` on each fixture must give exactly the checked-in Markdown and JSON.

Regenerate after an intended change with `PLANNER_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py`,
then read the diff of fixtures/golden/ before committing it.
"""

from __future__ import annotations

import difflib
import os
import shutil
from pathlib import Path

import pytest
from project import ROOT
from typer.testing import CliRunner

from planner.cli import app

GOLDEN = ROOT / "fixtures" / "golden"
UPDATE = os.environ.get("PLANNER_UPDATE_GOLDEN") == "1"
FIXTURES = [
    "schedules",
    "straight-chain",
    "parallel-waves",
    "transitive-unchecked",
    "api-fanout",
    "database-domain",
    "as-written",
    "change-only",
    "tests-first",
]
# The config each fixture is planned with, when not config/repos.toml.
CONFIGS = {"tests-first": "tests-first.toml"}
SUFFIX = {"markdown": "md", "json": "json"}


def plan_in_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, fmt: str) -> str:
    """Plan a fixture from a copy of the repo's fixtures and config, outside any git checkout.

    Paths are given relative to the copy, as a user at the repo root types them, so the output
    depends neither on where pytest runs nor on the state of the repo's git checkout.
    """
    (tmp_path / "fixtures").mkdir()
    (tmp_path / "config").mkdir()
    shutil.copyfile(ROOT / "fixtures" / f"{name}.md", tmp_path / "fixtures" / f"{name}.md")
    config = CONFIGS.get(name, "repos.toml")
    shutil.copyfile(ROOT / "config" / config, tmp_path / "config" / config)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PLANNER_CONFIG", raising=False)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    result = CliRunner().invoke(app, ["plan", f"fixtures/{name}.md", "--config", f"config/{config}", "--format", fmt])
    assert result.exit_code == 0, result.output
    return result.stdout


def diff(expected: str, actual: str, name: str) -> str:
    return "".join(
        difflib.unified_diff(
            expected.splitlines(keepends=True),
            actual.splitlines(keepends=True),
            fromfile=f"golden/{name}",
            tofile=f"planner plan {name}",
        )
    )


@pytest.mark.parametrize("fmt", ["markdown", "json"])
@pytest.mark.parametrize("name", FIXTURES)
def test_plan_matches_golden(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, fmt: str) -> None:
    actual = plan_in_copy(tmp_path, monkeypatch, name, fmt)
    golden = GOLDEN / f"{name}.{SUFFIX[fmt]}"
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        golden.write_bytes(actual.encode("utf-8"))
    assert golden.is_file(), f"{golden} is missing; run PLANNER_UPDATE_GOLDEN=1 python -m pytest {__file__}"
    expected = golden.read_bytes().decode("utf-8")
    assert actual == expected, "plan differs from its golden file:\n" + diff(expected, actual, golden.name)


def test_every_fixture_has_goldens() -> None:
    designs = sorted(p.stem for p in (ROOT / "fixtures").glob("*.md"))
    assert designs == sorted(FIXTURES)
    goldens = sorted(p.name for p in GOLDEN.iterdir())
    assert goldens == sorted(f"{n}.{s}" for n in FIXTURES for s in SUFFIX.values())


def test_documented_sample_is_copied_from_the_golden_plan() -> None:
    readme = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    marker = "<!-- excerpt of fixtures/golden/schedules.md"
    assert marker in readme
    block = readme.split(marker, 1)[1].split("````markdown\n", 1)[1].split("\n````\n", 1)[0] + "\n"
    golden = (GOLDEN / "schedules.md").read_text(encoding="utf-8")
    pieces = block.split("…\n")
    assert len(pieces) == 2 and all(len(p.splitlines()) > 20 for p in pieces)
    for piece in pieces:
        assert piece in golden, "docs/cli.md sample differs from the golden plan:\n" + diff(
            golden, piece, "docs/cli.md"
        )
    assert golden.startswith(pieces[0]) and golden.endswith(pieces[1])


def test_diff_names_the_changed_line() -> None:
    # The failure message is the whole point of a golden test: it must show what changed.
    shown = diff("a\nb\nc\n", "a\nB\nc\n", "x.md")
    assert "-b\n" in shown and "+B\n" in shown and shown.startswith("--- golden/x.md")
