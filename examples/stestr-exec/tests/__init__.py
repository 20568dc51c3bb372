"""A tiny suite for the stestr-exec example: a shop's catalog and cart."""
