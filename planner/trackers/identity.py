"""A design's tracker identity: its `**Id:**` when it has one, else its feature title, exactly as written."""

from __future__ import annotations

from planner.plan import DesignInfo

__all__ = ["identity"]


def identity(design: DesignInfo) -> str:
    """The exact string tracker markers and Taskwarrior uuids derive from; never slugged (slugs collide)."""
    return design.id if design.id else design.feature
