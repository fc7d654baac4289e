"""planner.jsonio: JSON texts stay valid JSON through `printable`; no JSON input crashes the reader."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fuzz_designs import FUZZ
from hypothesis import given
from hypothesis import strategies as st
from project import EXAMPLE_CONFIG
from typer.testing import CliRunner

from planner.cli import app
from planner.diagnostics import printable
from planner.jsonio import json_text, parse_json

VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@FUZZ
@given(VALUES, st.sampled_from([None, 2]), st.booleans())
def test_json_text_is_left_alone_by_printable_and_reads_back(data: object, indent: int | None, sort: bool) -> None:
    text = json_text(data, indent=indent, sort_keys=sort)
    assert printable(text) == text
    assert json.loads(text) == data


def test_json_text_escapes_c1_and_del_but_keeps_other_non_ascii() -> None:
    text = json_text({"t": "a\x9b31mb\x7fc\u2028é→"})
    assert text == '{\n  "t": "a\\u009b31mb\\u007fc\\u2028é→"\n}'


def test_plan_json_on_stdout_with_a_csi_in_the_design_is_valid_json(tmp_path: Path, runner: CliRunner) -> None:
    design = tmp_path / "c1.md"
    design.write_text(
        "# Sched\x9bules\n\n**Status:** Approved\n\n## Affected Repositories\n- [x] flovyn-server - do \x9b it\n",
        encoding="utf-8",
    )
    args = ["plan", str(design), "--config", str(EXAMPLE_CONFIG), "--format", "json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "\x9b" not in result.stdout
    assert json.loads(result.stdout)["design"]["feature"] == "Sched\x9bules"
    result = runner.invoke(app, ["check", str(design), "--config", str(EXAMPLE_CONFIG), "-f", "json"])
    assert json.loads(result.stdout)[0]["path"] == str(design)


def test_json_nested_too_deep_is_a_value_error_not_a_recursion_error() -> None:
    with pytest.raises(ValueError, match="nested too deep"):
        parse_json("[" * 100_000 + "]" * 100_000)
    assert parse_json(b'{"a": [1]}') == {"a": [1]}


def test_json_text_shows_a_file_names_undecodable_bytes_as_replacement_characters() -> None:
    name = b"x\xff\x9b.md".decode("utf-8", "surrogateescape")  # how Python holds a non-UTF-8 file name
    text = json_text({"path": name})
    assert text.encode("utf-8")  # no lone surrogate left to fail the write to stdout or a file
    assert json.loads(text) == {"path": "x\ufffd\ufffd.md"}


def test_suggest_json_for_a_design_named_with_invalid_utf8_is_utf8_json(tmp_path: Path) -> None:
    design = tmp_path / b"x\xff\x9b.md".decode("utf-8", "surrogateescape")
    design.write_text("# Sched\n\n**Status:** Approved\n\nThe flovyn-server gets a table.\n", encoding="utf-8")
    args = [sys.executable, "-m", "planner", "suggest", str(design), "--config", str(EXAMPLE_CONFIG), "-f", "json"]
    done = subprocess.run(args, capture_output=True, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.decode("utf-8"))[0]["path"].endswith("x\ufffd\ufffd.md")
