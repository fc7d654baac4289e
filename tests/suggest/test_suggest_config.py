"""Issue 12: the per-repo `paths` prefixes (validation, the longest-prefix rule) and `--learn-paths`."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from planner.cli import app
from planner.config import Config, parse_config
from planner.config.paths import prefix_owner, prefix_table
from planner.suggest.learn import learn_paths, proposed_paths


def repos(**paths: list[str]) -> str:
    tables = [
        f'[repos.{name}]\ndescription = "d"\nlanguage = "go"\npaths = [{", ".join(repr(p) for p in listed)}]\n'
        for name, listed in paths.items()
    ]
    return "version = 1\n\n" + "\n".join(tables)


def load(text: str) -> Config:
    config, problems = parse_config(text, "repos.toml")
    assert config is not None, problems
    return config


def problems(text: str) -> list[tuple[int, str, str]]:
    config, found = parse_config(text, "repos.toml")
    assert config is None
    return [(d.line, d.code, d.message) for d in found]


def test_paths_are_optional_and_kept_as_written() -> None:
    config = load(repos(api=["server/", "crates"], web=[]))
    assert config.repos["api"].paths == ("server/", "crates")
    assert config.repos["web"].paths == ()


@pytest.mark.parametrize(
    ("prefix", "why"),
    [
        ("/srv/", "is absolute"),
        ("../up/", "has a '..' segment"),
        ("a//b/", "has an empty segment"),
        ("C:/code/", "has a drive letter"),
        ("", "is empty"),
        ("my dir/", "has white space"),
    ],
)
def test_a_prefix_that_is_not_a_clean_relative_folder_is_an_error(prefix: str, why: str) -> None:
    [(line, code, message)] = problems(repos(api=[prefix]))
    assert (line, code) == (6, "config-path")
    assert message.startswith(f"repo 'api': path prefix {prefix!r} {why}; write a clean relative folder")


def test_the_same_folder_in_two_repos_is_an_error_naming_both() -> None:
    [(line, code, message)] = problems(repos(api=["server/"], web=["server"]))
    assert (line, code) == (11, "config-path-overlap")
    assert "repo 'web': path prefix 'server/' is also listed by repo 'api'" in message


def test_nested_prefixes_in_two_repos_are_fine_and_the_longer_one_wins() -> None:
    table = prefix_table(load(repos(core=["crates/"], ffi=["crates/ffi/"])))
    assert prefix_owner("crates/ffi/src/lib.rs", table) == "ffi"
    assert prefix_owner("crates/core/src/lib.rs", table) == "core"
    assert prefix_owner("crates-old/x.rs", table) is None
    assert prefix_owner("crates", table) is None  # a file named like the folder is not in it


PLAN_A = """# Plan: export

- [ ] Edit `api/server/src/export.rs`
- [ ] Edit `api/server/src/csv.rs` and `api/crates/money/src/lib.rs`
- [ ] Add `web/ui/Export.tsx`
"""
PLAN_B = """# Plan: refunds

- [x] `api/server/src/refund.rs`
- [x] `web/ui/Refund.tsx`, `web/tests/refund.test.ts`
- [x] `api/tests/refund.rs`, `api/tests/money.rs`, `api/tests/more.rs`, `api/tests/again.rs`
- [x] `api/README.md` has no folder
"""


def test_learn_paths_counts_first_folders_per_repo_by_line() -> None:
    config = load(repos(api=[], web=[]))
    counts = learn_paths([PLAN_A, PLAN_B], config)
    assert dict(counts["api"]) == {"server/": 3, "crates/": 1, "tests/": 1}
    assert dict(counts["web"]) == {"ui/": 2, "tests/": 1}
    # crates/ is named once; tests/ is split half and half between the repos.
    assert proposed_paths(counts) == {"api": ("server/",), "web": ("ui/",)}


def test_learn_paths_prints_a_proposal_to_paste_and_edits_nothing(tmp_path: Path) -> None:
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "a.md").write_text(PLAN_A, encoding="utf-8")
    (tmp_path / "plans" / "b.md").write_text(PLAN_B, encoding="utf-8")
    config = tmp_path / "repos.toml"
    config.write_text(repos(api=[], web=[]), encoding="utf-8")
    before = config.read_bytes()
    args = ["suggest", "--config", str(config), "--learn-paths", str(tmp_path / "plans")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.stderr
    assert config.read_bytes() == before
    assert result.stdout.endswith(
        "[repos.api]\n# server/ 3, crates/ 1, tests/ 1\n# left out, under 80% of the folder's mentions: tests/ 1 of 2\n"
        'paths = ["server/"]\n\n'
        "[repos.web]\n# ui/ 2, tests/ 1\n# left out, under 80% of the folder's mentions: tests/ 1 of 2\n"
        'paths = ["ui/"]\n'
    )
    assert result.stdout.startswith(f"# planner suggest --learn-paths {tmp_path / 'plans'}: first folders")


def test_learn_paths_needs_a_folder_and_no_designs(tmp_path: Path) -> None:
    config = tmp_path / "repos.toml"
    config.write_text(repos(api=[]), encoding="utf-8")
    missing = CliRunner().invoke(app, ["suggest", "--config", str(config), "--learn-paths", str(tmp_path / "nope")])
    assert missing.exit_code == 1 and "takes a folder of plan documents" in missing.stderr
    both = CliRunner().invoke(app, ["suggest", "--config", str(config), "--learn-paths", str(tmp_path), "x.md"])
    assert both.exit_code == 2
