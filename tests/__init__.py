"""partitioner's test suite: discovered by testr/stestr (subunit.run discover) and by pytest."""
