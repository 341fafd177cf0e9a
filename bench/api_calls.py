"""Print the GitHub API calls a first review and a re-review cost in a 500-file repository (the simulator counts).

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
        measured = measure(Path(folder))
    print(report(measured))
    return 0 if measured.first.api_calls <= 12 and measured.again.api_calls <= 8 else 1


if __name__ == "__main__":
    sys.exit(main())
