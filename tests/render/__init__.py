"""Tests for partitioner.render: one file per output."""
