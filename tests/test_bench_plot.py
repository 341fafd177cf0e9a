"""bench/plot.py: the fleet table of bench/scale.py's output is read back row by row."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"
_spec = importlib.util.spec_from_file_location("bench_plot", BENCH / "plot.py")
assert _spec is not None and _spec.loader is not None
_module = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _module  # dataclasses look their module up while the file runs
_spec.loader.exec_module(_module)
parse_scale_output = _module.parse_scale_output

SCALE_OUTPUT = """
Fleet repositories (several clusters, parent patches, SOPS, substitution)
  target   files  seconds  ratio   CPU s  ratio  peak MB  exit
    2500    2489     1.36           0.92              74     0
    5000    4980     4.51   3.30    1.76   1.91      121     0
   20000   19979    13.78   1.65    6.67   1.98      405     0

Kustomizations rendering the folder that holds them
       N   files  seconds  ratio   CPU s  ratio  peak MB  exit
     200     201     4.44           2.16              98     1
"""


def test_the_fleet_rows_are_read_and_the_self_rendering_table_is_not() -> None:
    assert parse_scale_output(SCALE_OUTPUT) == [
        (2489, 1.36, 0.92, 74.0),
        (4980, 4.51, 1.76, 121.0),
        (19979, 13.78, 6.67, 405.0),
    ]


def test_an_output_without_the_fleet_table_gives_no_points() -> None:
    assert parse_scale_output("Kustomizations rendering the folder that holds them\n") == []
