"""Tests of dynamic dispatch (partitioner.dispatch): pure parts, the worker, the lane, end to end."""
