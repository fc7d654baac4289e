"""Provenance: hashes and git state recorded in the JSON plan, and `verify` against them (library level)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from project import ROOT

from planner.ci.provenance import (
    GitProbe,
    PlanFileError,
    find_checkout,
    keep_git_state,
    sha256_file,
    verify_plan,
    with_provenance,
)
from planner.config import load_config
from planner.plan import plan_design
from planner.render import render


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
    )
    return done.stdout.strip()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder (outside any git checkout) with a design and the example config."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    (tmp_path / "designs").mkdir()
    (tmp_path / "config").mkdir()
    shutil.copyfile(ROOT / "fixtures" / "schedules.md", tmp_path / "designs" / "schedules.md")
    shutil.copyfile(ROOT / "config" / "repos.toml", tmp_path / "config" / "repos.toml")
    return tmp_path


@pytest.fixture
def repo(project: Path) -> Path:
    """The same folder as a git checkout with everything committed."""
    git(project, "init", "-q")
    (project / ".gitignore").write_text("ignored/\n", encoding="utf-8")
    git(project, "add", ".")
    git(project, "commit", "-q", "-m", "designs")
    return project


def probe() -> GitProbe:
    return GitProbe(os.environ)


def test_sha256_file_is_the_hash_of_the_bytes(project: Path) -> None:
    design = project / "designs" / "schedules.md"
    assert sha256_file(design) == hashlib.sha256(design.read_bytes()).hexdigest()


def test_outside_git_there_is_no_commit_and_no_failure(project: Path) -> None:
    design = project / "designs" / "schedules.md"
    assert find_checkout(design) is None
    assert probe().lookup(design) is None


def test_a_missing_git_binary_means_no_commit(repo: Path) -> None:
    design = repo / "designs" / "schedules.md"
    assert GitProbe(os.environ, git=str(repo / "no-such-git")).lookup(design) is None


def test_in_git_head_is_recorded_clean_then_dirty(repo: Path) -> None:
    design = repo / "designs" / "schedules.md"
    head = git(repo, "rev-parse", "HEAD")
    info = probe().lookup(design)
    assert info is not None and info.commit == head and info.dirty is False
    design.write_text(design.read_text(encoding="utf-8") + "\nmore\n", encoding="utf-8")
    info = probe().lookup(design)
    assert info is not None and info.commit == head and info.dirty is True


def test_untracked_and_ignored_designs_are_dirty(repo: Path) -> None:
    (repo / "designs" / "new.md").write_text("# New Design\n", encoding="utf-8")
    (repo / "ignored").mkdir()
    (repo / "ignored" / "x.md").write_text("# X Design\n", encoding="utf-8")
    found = probe().lookup_many(
        [repo / "designs" / "new.md", repo / "ignored" / "x.md", repo / "designs" / "schedules.md"]
    )
    assert [(i.dirty if i else None) for i in found.values()] == [True, True, False]


def test_git_dir_in_the_environment_does_not_redirect_the_probe(
    repo: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    other = tmp_path_factory.mktemp("other")
    git(other, "init", "-q")
    git(other, "commit", "-q", "--allow-empty", "-m", "other")
    env = {**os.environ, "GIT_DIR": str(other / ".git"), "GIT_WORK_TREE": str(other)}
    info = GitProbe(env).lookup(repo / "designs" / "schedules.md")
    assert info is not None and info.commit == git(repo, "rev-parse", "HEAD")


def _plan_json(project: Path, git_probe: GitProbe | None) -> str:
    config, _ = load_config(project / "config" / "repos.toml")
    assert config is not None
    design = project / "designs" / "schedules.md"
    plan = plan_design(design, config)
    return render(with_provenance(plan, design, "config/repos.toml", config.sha256, git_probe), "json")


def test_the_json_plan_records_hashes_version_and_commit(repo: Path) -> None:
    data = json.loads(_plan_json(repo, probe()))
    recorded = data["provenance"]
    assert recorded == {
        "design_sha256": sha256_file(repo / "designs" / "schedules.md"),
        "config_path": "config/repos.toml",
        "config_sha256": sha256_file(repo / "config" / "repos.toml"),
        "git_commit": git(repo, "rev-parse", "HEAD"),
        "git_dirty": False,
    }
    assert data["planner_version"] == __import__("planner").__version__


def test_git_state_is_kept_while_the_inputs_hash_the_same(repo: Path) -> None:
    old = _plan_json(repo, probe())
    git(repo, "commit", "-q", "--allow-empty", "-m", "unrelated")  # HEAD moves, the design does not
    config, _ = load_config(repo / "config" / "repos.toml")
    assert config is not None
    design = repo / "designs" / "schedules.md"
    fresh = with_provenance(plan_design(design, config), design, "config/repos.toml", config.sha256, probe())
    assert fresh.provenance is not None and fresh.provenance.git_commit == git(repo, "rev-parse", "HEAD")
    assert render(keep_git_state(fresh, old), "json") == old
    design.write_text(design.read_text(encoding="utf-8").replace("Teams start", "Teams begin"), encoding="utf-8")
    changed = with_provenance(plan_design(design, config), design, "config/repos.toml", config.sha256, probe())
    kept = keep_git_state(changed, old)
    assert kept.provenance is not None and kept.provenance.git_dirty is True
    assert kept.provenance.git_commit == git(repo, "rev-parse", "HEAD")


def test_verify_unchanged_changed_and_missing(project: Path) -> None:
    text = _plan_json(project, None)
    # The plan records the design as given; verify resolves it from the folder planner ran in.
    data = json.loads(text)
    data["design"]["path"] = "designs/schedules.md"
    text = json.dumps(data)
    assert [e.state for e in verify_plan(text, project).entries] == ["unchanged", "unchanged"]

    config = project / "config" / "repos.toml"
    config.write_text(config.read_text(encoding="utf-8") + "\n# touched\n", encoding="utf-8")
    report = verify_plan(text, project)
    assert [(e.role, e.state) for e in report.entries] == [("design", "unchanged"), ("config", "changed")]
    assert report.changed and not report.missing

    (project / "designs" / "schedules.md").unlink()
    report = verify_plan(text, project)
    assert report.entries[0].state == "missing" and report.missing


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("not json", "not JSON"),
        ('{"design": {"path": "x"}, "provenance": null}', "no provenance"),
        ("[]", "no provenance"),
    ],
)
def test_verify_refuses_a_file_that_is_not_a_plan_with_provenance(text: str, needle: str, tmp_path: Path) -> None:
    with pytest.raises(PlanFileError, match=needle):
        verify_plan(text, tmp_path)


def test_one_probe_answers_each_file_for_itself(repo: Path) -> None:
    # Asked one at a time, in different folders of one checkout: the first answer must not stand for all.
    (repo / "other").mkdir()
    weird = repo / "other" / "[org] *.md"
    weird.write_text("# Weird Design\n", encoding="utf-8")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "weird")
    shared = probe()
    clean = shared.lookup(repo / "designs" / "schedules.md")
    weird.write_text("# Weird Design, edited\n", encoding="utf-8")
    edited = shared.lookup(weird)
    assert clean is not None and clean.dirty is False
    assert edited is not None and edited.dirty is True
    # A glob-looking name is matched literally: its clean neighbour is not swept in with it.
    (repo / "other" / "[org] a.md").write_text("x\n", encoding="utf-8")
    git(repo, "add", "other/[org] a.md")
    git(repo, "commit", "-q", "-m", "neighbour")
    assert probe().lookup(repo / "other" / "[org] a.md") == type(clean)(git(repo, "rev-parse", "HEAD"), False)
