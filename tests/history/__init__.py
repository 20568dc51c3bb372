"""Tests for partitioner.history: stream, repository and JSON readers and load_history."""
