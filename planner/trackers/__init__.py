"""Tracker feeds: a plan's tasks as Taskwarrior, GitHub Issues and Jira items, found again by task id."""

from __future__ import annotations

__all__ = ["github", "jira", "taskwarrior"]
