"""Issue 12, round 2: the evidence kinds of round 2 (links, surfaces outside the API and Database
sections, a bare-word alias left alone) as `planner suggest` prints them."""

from __future__ import annotations

import json
import os

import pytest
from project import ROOT
from typer.testing import CliRunner

from planner.cli import app

FIXTURE = ROOT / "fixtures" / "suggest"
UPDATE = os.environ.get("PLANNER_UPDATE_GOLDEN") == "1"


def run(fmt: str) -> str:
    args = ["suggest", "--config", "fixtures/suggest/repos.toml", "fixtures/suggest/invoice-reminders.md"]
    result = CliRunner().invoke(app, [*args, "--format", fmt])
    assert result.exit_code == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("fmt", ["markdown", "json"])
def test_golden_round_two_evidence(fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    out = run(fmt)
    golden = FIXTURE / "golden" / f"invoice-reminders.{'md' if fmt == 'markdown' else 'json'}"
    if UPDATE:
        golden.write_text(out, encoding="utf-8")
    assert out == golden.read_text(encoding="utf-8"), f"differs from {golden}; PLANNER_UPDATE_GOLDEN=1 regenerates it"


def test_the_fixture_shows_each_round_two_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    [found] = json.loads(run("json"))
    kinds = {r["name"]: sorted({e["kind"] for e in r["evidence"]}) for r in found["repos"]}
    # The portal is only "the dashboard", a bare word: listed nowhere. The SQL statement spans two lines.
    assert kinds == {"billing-api": ["link", "surface"], "sdk-go": ["alias", "link"]}
    surfaces = [e["line"] for e in found["repos"][0]["evidence"] if e["kind"] == "surface"]
    assert surfaces == [17, 21]
