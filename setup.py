"""setuptools shim: metadata lives in pyproject.toml; kept so `pip install -e .` works on old pips too."""

from setuptools import setup

setup()
