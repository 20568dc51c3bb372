"""A tiny suite for the testr-runner example: a few classes, some with a slow setUpClass."""
