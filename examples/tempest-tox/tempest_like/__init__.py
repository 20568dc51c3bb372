"""A tempest-shaped mini suite: api/ and scenario/ tests with ``[id-...,smoke]`` attributes in their ids."""
