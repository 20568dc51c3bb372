"""Tests for partitioner.run (the testr test_command runner), against a fake inner runner."""
