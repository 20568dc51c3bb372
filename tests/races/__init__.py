"""Tests for partitioner.races."""
