"""Tests for partitioner.grouping."""
