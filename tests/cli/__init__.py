"""Tests for partitioner.cli: one file per command, plus the parser wiring."""
