"""The bad-input catalogue: each case ends in exit 1 with `PATH:LINE: error: problem; fix [code]`, nothing written.

Every case runs through the CLI (typer's CliRunner, or a real process where memory or streams matter) and
checks three things: the exit code, the diagnostic line (file, line, a fix after the '; '), and that the
folder it ran in holds exactly what it held before.
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from project import ROOT
from typer.testing import CliRunner, Result

from planner.cli import app
from planner.design import MAX_DESIGN_BYTES, load_design
from planner.files import GENERATED_MARKER
from planner.plan import plan_design

CONFIG = ROOT / "config" / "repos.toml"
SCHEDULES = ROOT / "fixtures" / "schedules.md"

HEAD = "# Widgets Design\n\n**Date:** 2026-03-01\n**Status:** Approved\n\n## Proposed Solution\n\n"
REPOS = "### Affected Repositories\n\n- [x] flovyn-server - the server part\n- [x] flovyn-app - the console\n\n"

runner = CliRunner()


def cli(*args: str | Path) -> Result:
    return runner.invoke(app, [str(a) for a in args])


def snapshot(folder: Path) -> dict[str, bytes | str]:
    """Every entry below folder: file bytes, link targets, or 'dir'."""
    found: dict[str, bytes | str] = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_symlink():
            found[rel] = f"-> {os.readlink(path)}"
        elif path.is_dir():
            found[rel] = "dir"
        else:
            found[rel] = path.read_bytes()
    return found


def assert_error(result: Result, path: str | Path, line: int, code: str, fix: str) -> str:
    """Exit 1, no traceback, and a diagnostic naming path and line, with a fix containing `fix`."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 1, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    pattern = re.compile(rf"^{re.escape(str(path))}:{line}: error: (?P<problem>.+?); (?P<fix>.+) \[{code}\]$")
    lines = [m for m in map(pattern.match, result.stderr.splitlines()) if m]
    assert lines, f"no '{path}:{line}: error: ...; ... [{code}]' in:\n{result.stderr}"
    assert any(fix in m.group("fix") for m in lines), (fix, result.stderr)
    return lines[0].group(0)


def rejects_design(tmp_path: Path, design: Path | str, line: int, code: str, fix: str, *extra: str) -> str:
    """`plan --output` and `check` both reject the design the same way, and nothing is written."""
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    before = snapshot(tmp_path)
    planned = cli("plan", design, "--config", CONFIG, "--output", out / "plan.md", *extra)
    message = assert_error(planned, design, line, code, fix)
    checked = cli("check", design, "--config", CONFIG, *extra)
    assert assert_error(checked, design, line, code, fix) == message
    assert snapshot(tmp_path) == before
    return message


def line_of(text: str, needle: str) -> int:
    """1-based line of the only line of text holding needle."""
    hits = [n for n, line in enumerate(text.split("\n"), start=1) if needle in line]
    assert len(hits) == 1, (needle, hits)
    return hits[0]


def design_file(tmp_path: Path, text: str | bytes, name: str = "design.md") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


# -- the file itself -------------------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"\n\n   \r\n\t\n", "\ufeff".encode(), "\ufeff\r\n".encode()])
def test_empty_file(tmp_path: Path, data: bytes) -> None:
    rejects_design(tmp_path, design_file(tmp_path, data), 1, "empty", "planner new")


def test_binary_file(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10"
    rejects_design(tmp_path, design_file(tmp_path, png), 3, "not-text", "UTF-8")


def test_utf16_file_is_named_as_not_utf8(tmp_path: Path) -> None:
    data = SCHEDULES.read_text(encoding="utf-8").encode("utf-16")
    rejects_design(tmp_path, design_file(tmp_path, data), 1, "not-text", "saved as UTF-8")


def test_missing_path(tmp_path: Path) -> None:
    rejects_design(tmp_path, tmp_path / "nope.md", 1, "not-found", "check the path")


def test_directory_as_design(tmp_path: Path) -> None:
    folder = tmp_path / "designs"
    folder.mkdir()
    (folder / "notes.txt").write_text("not a design\n", encoding="utf-8")
    out = tmp_path / "plans"
    out.mkdir()
    before = snapshot(tmp_path)
    # A folder is searched for *.md; one without any is an error, not an empty success.
    runs: list[list[str | Path]] = [
        ["check", folder],
        ["plan", folder, "--output", out],
        ["build", folder, "--out", out],
    ]
    for args in runs:
        result = cli(*args, "--config", CONFIG)
        assert_error(result, folder, 1, "no-designs", "give a folder that holds design docs")
    assert snapshot(tmp_path) == before


def test_design_path_through_a_regular_file(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine\n", encoding="utf-8")
    design = tmp_path / "notes.txt" / "design.md"
    rejects_design(tmp_path, design, 1, "read-error", "check that it is a readable file")


def test_design_path_with_nul_byte_in_the_library() -> None:
    # No file system takes such a path (argv cannot carry one); the library still answers with a diagnostic.
    result = plan_design("designs/a\x00b.md", CONFIG)
    assert [(d.code, d.line) for d in result.diagnostics] == [("read-error", 1)]
    assert "embedded null byte" in result.diagnostics[0].message


def test_directory_as_design_in_the_library(tmp_path: Path) -> None:
    doc, problems = load_design(tmp_path)
    assert doc is None
    assert [(d.code, d.line) for d in problems] == [("not-a-file", 1)]
    assert "give a design doc" in problems[0].message


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_non_utf8(tmp_path: Path, newline: str) -> None:
    data = newline.join(["# Widgets Design", "", "caf\xe9 au lait", "more"]).encode("latin-1")
    message = rejects_design(tmp_path, design_file(tmp_path, data), 3, "not-utf8", "re-save it as UTF-8")
    assert "0xe9" in message


def test_design_over_the_size_limit(tmp_path: Path) -> None:
    # 50 MB of real Markdown, not a sparse file: the limit is checked before anything is read or parsed.
    block = SCHEDULES.read_bytes()
    design = design_file(tmp_path, block * (50 * 1024 * 1024 // len(block) + 1))
    assert design.stat().st_size > 50 * 1024 * 1024 > MAX_DESIGN_BYTES
    message = rejects_design(tmp_path, design, 1, "too-large", "--max-bytes")
    assert f"{MAX_DESIGN_BYTES:,}-byte limit" in message


def test_max_bytes_option_sets_the_limit(tmp_path: Path) -> None:
    size = SCHEDULES.stat().st_size
    message = rejects_design(tmp_path, SCHEDULES, 1, "too-large", "--max-bytes", "--max-bytes", str(size - 1))
    assert f"{size - 1:,}-byte limit" in message
    at_limit = cli("plan", SCHEDULES, "--config", CONFIG, "--max-bytes", str(size))
    assert at_limit.exit_code == 0, at_limit.output
    assert at_limit.stdout.startswith(GENERATED_MARKER + "\n# Plan: Workflow Schedules\n")
    nonsense = cli("check", SCHEDULES, "--config", CONFIG, "--max-bytes", "0")
    assert nonsense.exit_code == 2 and "--max-bytes" in nonsense.stderr
    for command in ("plan", "check", "build"):
        shown = cli(command, "--help").stdout
        # The help states the library's default, which the CLI does not import just to print it.
        assert "--max-bytes" in shown and f"{MAX_DESIGN_BYTES // (1024 * 1024)} MiB" in shown


def test_endless_stream_as_design_is_cut_at_the_limit(tmp_path: Path) -> None:
    # A character device (or FIFO) reports size 0: only a bounded read keeps the limit.
    rejects_design(tmp_path, "/dev/zero", 1, "too-large", "--max-bytes", "--max-bytes", "65536")


def _nested_cases() -> dict[str, str]:
    deep = 10_000
    return {
        "dashes": "- " * deep + "x\n",
        "stars_and_quotes": "* > " * (deep // 2) + "x\n",
        "ordered": "1. " * deep + "x\n",
        "quotes": "> " * deep + "x\n",
        "quote_run": ">" * deep + " x\n",
        "quote_lines": "".join(">" * i + " x\n" for i in range(1, 2_000)),
        "indented": "".join(" " * (2 * (i % 40)) + "- x\n" for i in range(deep)),
    }


@pytest.mark.parametrize("section", ["Overview", "Key Files", "API Changes", "Affected Repositories"])
@pytest.mark.parametrize("case", sorted(_nested_cases()))
def test_deeply_nested_lists_and_quotes(tmp_path: Path, case: str, section: str) -> None:
    nested = _nested_cases()[case]
    text = HEAD + REPOS + f"### {section}\n\n{nested}\n### Database Changes\n\n- none\n"
    design = design_file(tmp_path, text)
    result = cli("plan", design, "--config", CONFIG, "--format", "json")
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "RecursionError" not in result.output
    total = text.count("\n")
    lines = [int(m.group(1)) for m in re.finditer(rf"^{re.escape(str(design))}:(\d+):", result.stderr, re.M)]
    assert all(1 <= n <= total for n in lines)
    if section == "Affected Repositories":
        # A list nested 10,000 deep under the repos is no checkbox line: both repos above it stay.
        assert result.exit_code == 0, result.stderr
    assert result.exit_code == 0 or "error" in result.stderr
    if result.exit_code == 0:
        assert '"name": "flovyn-server"' in result.stdout


@pytest.mark.slow
def test_100000_key_files_finish_in_bounded_memory(tmp_path: Path) -> None:
    lines = [f"- `flovyn-server/src/generated/f{i:06d}.rs` - generated file {i}" for i in range(100_000)]
    design = design_file(tmp_path, HEAD + REPOS + "### Key Files\n\n" + "\n".join(lines) + "\n")
    out = tmp_path / "plan.json"
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "planner",
            "plan",
            str(design),
            "--config",
            str(CONFIG),
            "-f",
            "json",
            "-o",
            str(out),
            "--max-bytes",
            str(16 * 1024 * 1024),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss is KiB on Linux; a generous sanity bound, not a benchmark (bench/ measures memory).
    assert max(peak_kib, before) < 1024 * 1024, f"peak RSS {peak_kib} KiB"
    text = out.read_text(encoding="utf-8")
    assert text.count('"kind": "file"') == 100_000
    assert '"id": "flovyn-server:file:src/generated/f099999.rs"' in text


# -- repositories and key files --------------------------------------------------------------------


def test_duplicate_repo_lines(tmp_path: Path) -> None:
    text = HEAD + REPOS + "- [x] flovyn-server - said twice\n"
    line = line_of(text, "said twice")
    message = rejects_design(tmp_path, design_file(tmp_path, text), line, "duplicate-repo", "keep one line")
    assert f"first at line {line_of(text, 'the server part')}" in message


def test_repo_both_checked_and_unchecked(tmp_path: Path) -> None:
    # Through an alias, too: `server` is flovyn-server.
    text = HEAD + REPOS + "- [ ] server - left out after all?\n"
    line = line_of(text, "left out")
    message = rejects_design(tmp_path, design_file(tmp_path, text), line, "duplicate-repo", "keep one line")
    assert "'flovyn-server'" in message


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("/etc/passwd", "is absolute"),
        ("src/../../secrets.rs", "'..' segment"),
        ("%2e%2e/secrets.rs", "percent-encoded"),
        ("src\\domain\\x.rs", "backslash"),
        ("C:/Users/x.rs", "drive letter"),
        ("c:\\x.rs", "backslash"),
        ("src/domain/", "ends with '/'"),
        ("src//x.rs", "empty segment"),
        ("./src/x.rs", "'.' segment"),
        ("~/.config/app.toml", "'~' segment"),
        ("src/\x1b[31mred.rs", "control character (U+001B)"),
        ("src/evil\u202esr.txt", "invisible or control character (U+202E)"),
        ("src/a\u200bb.rs", "invisible or control character (U+200B)"),
    ],
    ids=[
        "absolute",
        "dotdot",
        "percent-dotdot",
        "backslash",
        "drive-letter",
        "drive-backslash",
        "trailing-slash",
        "empty-segment",
        "dot",
        "home",
        "escape-sequence",
        "bidi-override",
        "zero-width",
    ],
)
def test_key_file_paths_that_escape_or_mislead(tmp_path: Path, path: str, problem: str) -> None:
    text = HEAD + REPOS + f"### Key Files\n\n- `flovyn-server/src/ok.rs` - fine\n- `flovyn-server/{path}` - bad\n"
    line = line_of(text, "- bad")
    message = rejects_design(tmp_path, design_file(tmp_path, text), line, "key-file-path", "clean relative path")
    assert problem in message


def test_key_file_with_nul_byte(tmp_path: Path) -> None:
    # A NUL makes the whole file binary; the diagnostic still points at the line that holds it.
    text = HEAD + REPOS + "### Key Files\n\n- `flovyn-server/src/ok.rs` - fine\n- `flovyn-server/a\x00b.rs` - bad\n"
    rejects_design(tmp_path, design_file(tmp_path, text), line_of(text, "- bad"), "not-text", "UTF-8")


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("GET /api/orgs/{org}/widgets list", "has a space"),
        ("POST /api/widgets and more words", "has a space"),
        ("DELETE api/widgets/{id}", "does not start with '/'"),
        ("- `PUT api/widgets` - replace", "does not start with '/'"),
    ],
    ids=["space", "words", "no-slash", "bullet-no-slash"],
)
def test_rest_paths_with_spaces_or_no_leading_slash(tmp_path: Path, line: str, problem: str) -> None:
    text = HEAD + "### API Changes\n\n```\nGET /api/ok\n" + line + "\n```\n\n" + REPOS
    if line.startswith("-"):
        text = HEAD + f"### API Changes\n\n{line}\n\n" + REPOS
    number = line_of(text, line)
    message = rejects_design(tmp_path, design_file(tmp_path, text), number, "rest-path", "write")
    assert problem in message


@pytest.mark.parametrize(
    "rpc",
    [
        "rpc Create(CreateRequest returns (Widget);",
        "rpc Create(CreateRequest)) returns (Widget;",
        "rpc Create CreateRequest) returns (Widget);",
        "rpc Create((CreateRequest) returns Widget);",
    ],
)
def test_grpc_lines_with_unbalanced_parentheses(tmp_path: Path, rpc: str) -> None:
    text = HEAD + "### API Changes\n\n```protobuf\nservice Widgets {\n  " + rpc + "\n}\n```\n\n" + REPOS
    number = line_of(text, rpc)
    rejects_design(tmp_path, design_file(tmp_path, text), number, "grpc-syntax", "rpc Name(Request) returns")


# -- the config ------------------------------------------------------------------------------------


def rejects_config(tmp_path: Path, toml: str, line: int, code: str, fix: str) -> str:
    config = tmp_path / "repos.toml"
    config.write_text(toml, encoding="utf-8")
    out = tmp_path / "plan.md"
    before = snapshot(tmp_path)
    result = cli("plan", SCHEDULES, "--config", config, "--output", out)
    message = assert_error(result, config, line, code, fix)
    assert snapshot(tmp_path) == before
    return message


REPO = '[repos.{name}]\ndescription = "{name} repo"\nlanguage = "rust"\n'


def test_config_invalid_toml_reports_line(tmp_path: Path) -> None:
    toml = "version = 1\n\n" + REPO.format(name="flovyn-server") + 'depends_on = ["a",\nverify = "x"\n'
    message = rejects_config(tmp_path, toml, 7, "config-syntax", "fix the syntax there")
    assert "line 7" in message


def test_config_wrong_types(tmp_path: Path) -> None:
    toml = "version = 1\n\n" + REPO.format(name="flovyn-server") + 'depends_on = "flovyn-app"\n'
    message = rejects_config(tmp_path, toml, 6, "config-invalid", "change it to an array")
    assert "depends_on must be an array" in message


def test_config_unknown_keys(tmp_path: Path) -> None:
    toml = "version = 1\n\n" + REPO.format(name="flovyn-server") + 'depend_on = ["x"]\n'
    rejects_config(tmp_path, toml, 6, "config-invalid", "did you mean 'depends_on'?")


@pytest.mark.parametrize(
    ("deps", "code", "fix"),
    [
        ({"a": ["a"]}, "config-self-dependency", "remove it from depends_on"),
        ({"a": ["ghost"]}, "config-unknown-dependency", "use one of: a, b"),
        ({"a": ["b"], "b": ["a"]}, "config-cycle", "remove one of these depends_on entries"),
    ],
    ids=["self", "unknown", "cycle"],
)
def test_config_bad_dependencies(tmp_path: Path, deps: dict[str, list[str]], code: str, fix: str) -> None:
    tables = [REPO.format(name=n) + f"depends_on = {deps.get(n, [])!r}\n".replace("'", '"') for n in ("a", "b")]
    toml = "version = 1\n\n" + "\n".join(tables)
    # The first table is `[repos.a]` on line 3; its depends_on is line 6.
    rejects_config(tmp_path, toml, 6, code, fix)


def test_config_alias_collisions(tmp_path: Path) -> None:
    toml = "version = 1\n\n" + REPO.format(name="a") + "\n" + REPO.format(name="b") + 'aliases = ["A"]\n'
    message = rejects_config(tmp_path, toml, line_of(toml, "aliases"), "config-alias-collision", "rename or remove")
    assert "alias 'A' of repo 'b'" in message


@pytest.mark.slow
def test_config_10000_repo_cycle_is_reported_compactly(tmp_path: Path) -> None:
    count = 10_000
    names = [f"r{i:05d}" for i in range(count)]
    tables = [
        f'[repos.{name}]\ndescription = "d"\nlanguage = "go"\ndepends_on = ["{names[(i + 1) % count]}"]\n'
        for i, name in enumerate(names)
    ]
    config = tmp_path / "repos.toml"
    config.write_text("version = 1\n\n" + "\n".join(tables), encoding="utf-8")
    result = cli("check", SCHEDULES, "--config", config)
    message = assert_error(result, config, 6, "config-cycle", "remove one of these depends_on entries")
    assert result.stderr.count("\n") == 1 and len(result.stderr) < 600, result.stderr[:2000]
    assert "r00000 -> r00001 -> r00002 -> ... (9,996 more) -> r09999 -> r00000" in message


# -- where the plan goes ---------------------------------------------------------------------------


def rejects_output(tmp_path: Path, output: Path, fix: str, *extra: str, design: Path = SCHEDULES) -> str:
    before = snapshot(tmp_path)
    result = cli("plan", design, "--config", CONFIG, "--output", output, *extra)
    message = assert_error(result, output, 1, "output", fix)
    assert snapshot(tmp_path) == before
    return message


def test_output_to_a_directory(tmp_path: Path) -> None:
    (tmp_path / "plans").mkdir()
    rejects_output(tmp_path, tmp_path / "plans", "give a file path")


def test_output_under_a_regular_file_cannot_be_written(tmp_path: Path) -> None:
    # Tests run as root, which writes through any mode bits; a parent that is a file stops everyone.
    (tmp_path / "notes.txt").write_text("mine\n", encoding="utf-8")
    message = rejects_output(tmp_path, tmp_path / "notes.txt" / "plan.md", "give a path in a folder")
    assert "is not a folder" in message


def test_output_in_a_missing_folder_is_created(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "plan.md"
    result = cli("plan", SCHEDULES, "--config", CONFIG, "--output", str(target))
    assert result.exit_code == 0 and target.read_text(encoding="utf-8").startswith(GENERATED_MARKER)


def test_output_symlink_is_refused_without_force(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.md"
    target.write_text("someone's file\n", encoding="utf-8")
    link = tmp_path / "plan.md"
    link.symlink_to(target)
    rejects_output(tmp_path, link, "pass --force to write through it")


def test_output_symlink_is_written_through_with_force(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.md"
    target.write_text("old plan\n", encoding="utf-8")
    link = tmp_path / "plan.md"
    link.symlink_to(target)
    result = cli("plan", SCHEDULES, "--config", CONFIG, "--output", link, "--force")
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text(encoding="utf-8").startswith(GENERATED_MARKER + "\n# Plan: Workflow Schedules\n")


def test_output_that_is_the_design_itself(tmp_path: Path) -> None:
    design = design_file(tmp_path, SCHEDULES.read_bytes())
    message = rejects_output(tmp_path, design, "give another --output", design=design)
    assert "is the design doc" in message
    alias = tmp_path / "link.md"
    alias.symlink_to(design)
    # Through a symlink with --force, too: --force follows links, it does not allow overwriting the input.
    rejects_output(tmp_path, alias, "give another --output", "--force", design=design)


def test_output_that_is_the_config(tmp_path: Path) -> None:
    config = tmp_path / "repos.toml"
    config.write_bytes(CONFIG.read_bytes())
    before = snapshot(tmp_path)
    result = cli("plan", SCHEDULES, "--config", config, "--output", config)
    assert_error(result, config, 1, "output", "give another --output")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("tracker", ["jira", "taskwarrior", "github"])
def test_export_output_that_is_the_design_itself(tmp_path: Path, tracker: str) -> None:
    design = design_file(tmp_path, SCHEDULES.read_bytes())
    before = snapshot(tmp_path)
    result = cli("export", tracker, design, "--config", CONFIG, "--output", design)
    assert_error(result, design, 1, "output", "give another --output")
    assert snapshot(tmp_path) == before


def test_guarantees_page_names_tests_that_exist() -> None:
    section = (ROOT / "docs" / "guarantees.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`(?:(test_\w+)\.py::)?(test_\w+)`", section))
    assert len(named) >= 40
    defined = {
        (path.stem, name)
        for path in (ROOT / "tests").rglob("test_*.py")
        for name in re.findall(r"^def (test_\w+)\(", path.read_text(encoding="utf-8"), re.M)
    }
    names = {name for _, name in defined}
    for module, name in named:
        assert ((module, name) in defined) if module else (name in names), (module, name)


def test_a_fifo_without_a_writer_as_design_is_empty_not_a_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "design.md"
    os.mkfifo(fifo)
    for command in ("plan", "check"):
        args = [sys.executable, "-m", "planner", command, str(fifo), "--config", str(CONFIG)]
        done = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 1, done.stderr
        assert f"{fifo}:1: error: design doc is empty" in done.stderr
