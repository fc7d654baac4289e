"""GitHub Actions output: escaped workflow commands, and no way for design text to inject another one."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from project import ROOT

from planner.ci.annotations import escape_data, escape_property, workflow_command
from planner.diagnostics import error, warning

# The only shape a command line of ours may have: properties and message free of raw CR/LF, and no
# unescaped ':' or ',' inside a property value.
COMMAND = re.compile(r"^::(error|warning) file=([^,:\r\n]*),line=(\d+),title=([^,:\r\n]*)::([^\r\n]*)$")


def unescape(text: str) -> str:
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":").replace("%2C", ",").replace("%25", "%")


def test_escaping_follows_the_actions_toolkit() -> None:
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    # '%' goes first: a literal '%0A' in the text must stay literal, not become a newline.
    assert escape_data("%0A") == "%250A"


def test_no_terminal_escape_reaches_a_command_line() -> None:
    d = error("unknown-repo", "unknown repo 'a\x1b[31mb\x9bc\x07'", "gh\x1b]0;x\x07.md", 7)
    line = workflow_command(d)
    assert not re.search(r"[\x00-\x1f\x7f-\x9f]", line), line
    assert "a\\x1b[31mb\\x9bc\\x07" in line and "gh\\x1b]0;x\\x07.md" in line


def test_one_diagnostic_is_one_command_line() -> None:
    d = error("unknown-repo", "unknown repo 'x\r\n::set-output name=x::y'; fix it", "dir,a:b/de\nsign.md", 7)
    line = workflow_command(d)
    assert "\n" not in line and "\r" not in line
    match = COMMAND.match(line)
    assert match is not None
    assert match.group(1) == "error" and match.group(3) == "7"
    assert unescape(match.group(2)) == "dir,a:b/de\nsign.md"
    assert unescape(match.group(4)) == "planner unknown-repo"
    assert unescape(match.group(5)) == d.message
    assert workflow_command(warning("w", "m", "p.md", 1)).startswith("::warning file=p.md,line=1,")


EVIL = """# Evil %0A::set-output name=x::y Design

**Status:** Approved

## Proposed Solution

### Affected Repositories

- [x] flovyn-server - ok
- [x] evil%0A::set-output name=x::y - injected
- [x] `::error::boom` - injected
- [x] a,b:c%25%0D%0A::add-mask::secret - injected

### Key Files

- `nope%0A::error file=x::pwned/x.rs` - injected
- `flovyn-server/src/ok.rs` - fine

## Open Questions

- [ ] Do we %0A::stop-commands::tok handle ::warning::this?
"""


@pytest.fixture
def evil(tmp_path: Path) -> Path:
    (tmp_path / "config").mkdir()
    shutil.copyfile(ROOT / "config" / "repos.toml", tmp_path / "config" / "repos.toml")
    # A newline and a command in the file name too: it reaches the `file=` property.
    name = "evil\n::error::name.md" if sys.platform != "win32" else "evil.md"
    (tmp_path / name).write_text(EVIL, encoding="utf-8")
    return tmp_path / name


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GIT_CEILING_DIRECTORIES": str(cwd.parent)}
    env.pop("GITHUB_STEP_SUMMARY", None)
    return subprocess.run(
        [sys.executable, "-m", "planner", *args], cwd=cwd, capture_output=True, text=True, env=env, check=False
    )


@pytest.mark.parametrize(
    "command",
    [
        ["check", "--format", "github"],
        ["plan", "--diagnostics", "github"],
        ["build", "--out", "out", "--format", "github"],
    ],
)
def test_design_text_cannot_inject_a_workflow_command(evil: Path, command: list[str]) -> None:
    cwd = evil.parent
    expected = json.loads(run(cwd, "check", "--format", "json", "-c", "config/repos.toml", evil.name).stdout)
    diagnostics = expected[0]["diagnostics"]
    assert any("::set-output" in d["message"] for d in diagnostics)  # the bait did reach the messages

    args = [*command[:1], evil.name, *command[1:], "-c", "config/repos.toml"]
    done = run(cwd, *args)
    assert done.returncode == 1, done.stderr
    lines = (done.stdout + done.stderr).splitlines()
    # The runner trims leading blanks before looking for '::': so must we.
    commands = [line.lstrip() for line in lines if line.lstrip().startswith("::")]
    assert all(COMMAND.match(line) for line in commands), commands
    shown = sorted((m[1], unescape(m[5])) for m in map(COMMAND.match, commands) if m)
    assert shown == sorted((d["severity"], d["message"]) for d in diagnostics)
    for match in map(COMMAND.match, commands):
        assert match is not None and unescape(match.group(2)) == evil.name
