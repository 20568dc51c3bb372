"""``python -m partitioner``: the command-line interface."""

from __future__ import annotations

import sys

from partitioner.cli.main import main

sys.exit(main())
