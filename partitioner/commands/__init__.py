"""The subcommands, in help order; each module has NAME, HELP, add_arguments and run."""

from __future__ import annotations

from partitioner.commands import concurrency, execute, explain, history, plan, races

COMMANDS = (plan, explain, history, execute, concurrency, races)
