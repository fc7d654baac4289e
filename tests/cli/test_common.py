"""What the commands share: which files a folder of designs stands for."""

from __future__ import annotations

from pathlib import Path

from project import ROOT
from typer.testing import CliRunner

from planner.cli import app
from planner.cli.common import design_paths

SECRET = "- [x] s3cr3t-t0ken - leaked\n"


def test_a_symlink_in_a_design_folder_is_read_only_when_it_stays_inside(tmp_path: Path) -> None:
    designs = tmp_path / "designs"
    (designs / "sub").mkdir(parents=True)
    (designs / "sub" / "real.md").write_text("# Real\n", encoding="utf-8")
    (tmp_path / "secret.txt").write_text(f"# Leak\n\n**Status:** Approved\n\n## Affected Repositories\n\n{SECRET}")
    (designs / "leak.md").symlink_to(tmp_path / "secret.txt")
    (designs / "alias.md").symlink_to(designs / "sub" / "real.md")
    paths, problems = design_paths([str(designs)])
    assert paths == [str(designs / "alias.md"), str(designs / "sub" / "real.md")]
    assert [(d.code, d.path) for d in problems] == [("outside-folder", str(designs / "leak.md"))]
    config = str(ROOT / "config" / "repos.toml")
    for args in (["check"], ["plan", "-o", str(tmp_path / "plans")], ["suggest"]):
        result = CliRunner().invoke(app, [*args, str(designs), "--config", config])
        assert "s3cr3t" not in result.output, args


def test_build_names_the_symlink_it_passed_over(tmp_path: Path) -> None:
    designs = tmp_path / "designs"
    designs.mkdir()
    (tmp_path / "secret.txt").write_text(f"# Leak\n\n{SECRET}\n", encoding="utf-8")
    (designs / "leak.md").symlink_to(tmp_path / "secret.txt")
    (designs / "real.md").write_text("# Real\n\n**Status:** Draft\n", encoding="utf-8")
    config = str(ROOT / "config" / "repos.toml")
    result = CliRunner().invoke(app, ["build", str(designs), "--config", config, "-o", str(tmp_path / "plans")])
    assert "s3cr3t" not in result.output
    assert f"{designs / 'leak.md'}:1: warning:" in result.output and "[outside-folder]" in result.output
