"""The history store's errors: one line each, naming the store by its URL with the password hidden."""

from __future__ import annotations

from partitioner.errors import HistoryError

__all__ = ["StoreError", "StoreVersionError"]


class StoreError(HistoryError):
    """A history store cannot be opened, read or written (bad URL, server down, wrong password, ...)."""


class StoreVersionError(StoreError):
    """A store's schema is newer than, or unknown to, this partitioner."""
