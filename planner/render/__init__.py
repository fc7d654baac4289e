"""Plan renderers: each a pure `render(plan) -> str`, registered here by format name.

`planner graph`'s renderings of the config's repo graph are in planner.render.graph.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from planner.plan import Plan

__all__ = ["FORMATS", "render"]


class _Renderer(Protocol):
    def __call__(self, plan: Plan) -> str: ...


# Format name -> module holding its `render`; also the choices of `planner plan --format`.
# Modules load on first use so that choosing one format never imports the others.
FORMATS: dict[str, str] = {
    "markdown": "planner.render.markdown",
    "json": "planner.render.json",
    "mermaid": "planner.render.mermaid",
}


def render(plan: Plan, fmt: str) -> str:
    """Render a plan in a registered format."""
    renderer: _Renderer = import_module(FORMATS[fmt]).render
    return renderer(plan)
