"""The one base of the exceptions the library raises, so a caller can catch all of planner's errors at once."""

from __future__ import annotations

__all__ = ["PlannerError"]


class PlannerError(Exception):
    """Base of every exception planner raises on purpose (bad output paths, tracker failures, bad plan files)."""
