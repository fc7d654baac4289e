"""The plan's tasks as a networkx DAG (dependency -> dependent task), their order, and the critical path."""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx

from planner.plan.model import RepoPlan

__all__ = ["critical_path", "task_graph", "task_order"]


def task_graph(repos: Sequence[RepoPlan]) -> nx.DiGraph:
    """Every task in plan order (repos wave by wave, tasks as listed), each task's dependencies in plan order."""
    listed = [task for repo in repos for task in repo.tasks]
    position = {task.id: index for index, task in enumerate(listed)}
    graph = nx.DiGraph()
    graph.add_nodes_from(position)
    # Insertion order is iteration order in networkx: per task, its dependencies as the plan lists them.
    graph.add_edges_from(
        (dep, task.id)
        for task in listed
        for dep in sorted((d for d in task.depends_on if d in position), key=position.__getitem__)
    )
    return graph


def task_order(graph: nx.DiGraph) -> list[str]:
    """A topological order of the task graph: the plan order when every task comes after its dependencies,
    else generation by generation (the tasks that wait for nothing, then those that waited only for them, ...),
    each generation in plan order."""
    position = {task_id: index for index, task_id in enumerate(graph)}
    if all(position[dep] < position[task_id] for dep, task_id in graph.edges):
        return list(graph)  # the common case: consumers' repos come after their providers'
    # A consumer's repo can precede its provider's when the config does not make it depend on it.
    return [
        task
        for generation in nx.topological_generations(graph)
        for task in sorted(generation, key=position.__getitem__)
    ]


def critical_path(repos: Sequence[RepoPlan]) -> tuple[str, ...]:
    """The longest chain of dependent tasks, first task first; empty for a plan without tasks.

    Ties: of the longest chains, the one ending at the task listed first in the plan, and walking back from
    it, each step to the dependency listed first in the plan that still starts a longest chain.
    """
    graph = task_graph(repos)
    # dag_longest_path keeps the first maximum it meets: in `topo_order` for the end, and in each task's
    # predecessor order (plan order, by construction of the graph) for the steps back. Every end of a longest
    # chain of n tasks is in generation n, so in either order of task_order the first end met is the one
    # listed first.
    return tuple(nx.dag_longest_path(graph, topo_order=task_order(graph)))
