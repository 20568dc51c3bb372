"""End-to-end tests: the real testr, stestr and python-subunit on generated suites and on ../shared data.

They skip when ../shared is absent (PARTITIONER_SHARED points elsewhere).
"""
