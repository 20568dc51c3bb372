"""Tests for the scheduling strategies."""
