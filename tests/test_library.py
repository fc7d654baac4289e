"""The library page's example runs as written, from the project root."""

from __future__ import annotations

import contextlib
import io
import re

import pytest
from project import ROOT


def test_library_page_example_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    page = (ROOT / "docs" / "library.md").read_text(encoding="utf-8")
    (code,) = re.findall(r"```python\n(.*?)```", page, re.S)
    out = io.StringIO()
    monkeypatch.chdir(ROOT)
    with contextlib.redirect_stdout(out):
        exec(compile(code, "docs/library.md", "exec"), {})
    printed = out.getvalue().splitlines()
    assert printed[0] == "['flovyn-server', 'flovyn-app', 'sdk-rust', 'sdk-python']"
    assert printed[1].startswith("{")
