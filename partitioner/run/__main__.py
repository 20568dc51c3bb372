"""``python -m partitioner.run``: the runner's command line (see :mod:`partitioner.run.cli`)."""

from __future__ import annotations

import sys

from partitioner.run.cli import main

sys.exit(main())
