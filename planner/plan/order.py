"""The plan's tasks as a networkx DAG (dependency -> dependent task), and its critical path."""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx

from planner.plan.model import RepoPlan

__all__ = ["critical_path", "task_graph"]


def task_graph(repos: Sequence[RepoPlan]) -> nx.DiGraph:
    """Every task of the plan, in plan order, with an edge from each task it depends on; sorted as below."""
    listed = [task for repo in repos for task in repo.tasks]
    position = {task.id: index for index, task in enumerate(listed)}
    edges = [(dep, task.id) for task in listed for dep in task.depends_on if dep in position]
    graph = nx.DiGraph()
    graph.add_nodes_from(position)
    graph.add_edges_from(sorted(edges, key=lambda edge: (position[edge[0]], position[edge[1]])))
    # The task order: the plan's own (repos wave by wave, tasks as listed), which is a topological order
    # whenever consumers' repos come after their providers'; where one does not, the earliest-listed
    # topological order. Rebuilt in that order, so every walk over the graph follows it.
    order = list(nx.lexicographical_topological_sort(graph, key=position.__getitem__))
    rank = {task_id: index for index, task_id in enumerate(order)}
    ordered = nx.DiGraph()
    ordered.add_nodes_from(order)
    ordered.add_edges_from(sorted(edges, key=lambda edge: (rank[edge[0]], rank[edge[1]])))
    return ordered


def critical_path(repos: Sequence[RepoPlan]) -> tuple[str, ...]:
    """The longest chain of dependent tasks, first task first; empty for a plan without tasks.

    Ties go to the task order of `task_graph`: of the longest chains, the one ending at the earliest task,
    and walking back from it, each step to the earliest task that still starts a longest chain.
    """
    graph = task_graph(repos)
    # dag_longest_path keeps the first maximum it meets, in `topo_order` for the end and in each task's
    # predecessor order for the steps back: both are the task order, by construction of the graph.
    return tuple(nx.dag_longest_path(graph, topo_order=list(graph)))
