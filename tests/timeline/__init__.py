"""Tests for partitioner.timeline: the model, the page (in a real Chromium) and the progress line."""
