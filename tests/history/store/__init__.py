"""Tests for partitioner.history.store: URLs, rows, the contract over SQLite and PostgreSQL, concurrency."""
