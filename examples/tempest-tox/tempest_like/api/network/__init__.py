"""Part of the tempest-shaped example suite."""
