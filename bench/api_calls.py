"""Print the GitHub API calls one review costs in a 500-file repository (the simulator counts them).

Run from the repository root: ``.venv/bin/python bench/api_calls.py``.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from bot_support.api_budget import measure, report


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        measurement = measure(Path(folder))
    print(report(measurement))
    return 0 if measurement.api_calls <= 12 else 1


if __name__ == "__main__":
    sys.exit(main())
