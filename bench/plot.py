"""Draw how `flux-review check` grows with the repository: seconds and peak memory against files, log-log.

Measures with ``bench/scale.py``'s own functions (synthetic repositories of
2,500 to 20,000 files, a whole ``check`` process each, best of ``--repeat``),
or reads a saved ``bench/scale.py`` output with ``--from``, and writes a PNG
with a dashed line of slope one through the smallest size (linear cost) for
comparison. matplotlib is not a project dependency: run this with an
interpreter that has it (the script needs nothing of the project's), from the repository root:

    python3 -m venv /tmp/bench-tools && /tmp/bench-tools/bin/pip install matplotlib
    .venv/bin/python bench/scale.py --self-rendering "" > /tmp/scale.txt
    /tmp/bench-tools/bin/python bench/plot.py --from /tmp/scale.txt [--out docs/benchmarks-scaling.png]

Without ``--from`` it runs the measurement itself, with the ``flux-review``
of the project's ``.venv``.
"""

from __future__ import annotations

import argparse
import pathlib
import re
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = ROOT / "docs" / "benchmarks-scaling.png"

Point = tuple[int, float, float, float]  # files, wall seconds, CPU seconds, peak MB


def parse_scale_output(text: str) -> list[Point]:
    """The fleet table of ``bench/scale.py``'s output: files, seconds, CPU seconds and peak MB per size."""
    points = []
    in_fleet = False
    for line in text.splitlines():
        if line.startswith("Fleet repositories"):
            in_fleet = True
            continue
        if in_fleet and not line.strip():
            break
        if in_fleet:
            numbers = re.findall(r">?\d+(?:\.\d+)?", line)
            if len(numbers) >= 6 and not line.split()[0].isalpha():
                values = [float(n.lstrip(">")) for n in numbers]
                # target files seconds [ratio] CPU [ratio] MB exit: ratios are missing on the first row
                if len(values) == 6:
                    _, files, seconds, cpu, megabytes, _ = values
                else:
                    _, files, seconds, _, cpu, _, megabytes, _ = values[:8]
                points.append((int(files), seconds, cpu, megabytes))
    return points


def measure(sizes: list[int], repeat: int) -> list[Point]:
    """Write each synthetic repository and time a whole ``check`` on it, as ``bench/scale.py`` does."""
    sys.path.insert(0, str(HERE))
    from scale import measure as measure_check
    from synthetic import write_fleet

    venv_python = ROOT / ".venv" / "bin" / "python"
    points = []
    with tempfile.TemporaryDirectory(prefix="flux-review-plot-") as temp:
        for size in sizes:
            folder = pathlib.Path(temp) / f"fleet-{size}"
            files = write_fleet(folder, size)
            real_executable = sys.executable
            sys.executable = str(venv_python)  # scale.run_check runs the flux-review next to the interpreter
            try:
                seconds, cpu, megabytes, status = measure_check(folder, repeat, 600.0)
            finally:
                sys.executable = real_executable
            if status is None:
                raise SystemExit(f"check of {files} files timed out")
            points.append((files, seconds, cpu, megabytes))
            print(f"{files:>7} files: {seconds:.2f} s, CPU {cpu:.2f} s, {megabytes:.0f} MB", file=sys.stderr)
    return points


def _panel(axes, files: list[int], series: dict[str, list[float]], label: str, fmt: str) -> None:
    """One log-log panel: each series with its values written beside the points, and a linear reference."""
    for offset, (name, values) in zip((6, -12), series.items(), strict=False):
        axes.plot(files, values, marker="o", label=name)
        for x, y in zip(files, values, strict=True):
            axes.annotate(format(y, fmt), (x, y), textcoords="offset points", xytext=(4, offset), fontsize=8)
    first = next(iter(series.values()))
    axes.plot(files, [first[0] * f / files[0] for f in files], linestyle="--", color="grey",
              label="linear from the smallest")
    axes.set_xscale("log")
    axes.set_yscale("log")
    from matplotlib.ticker import LogLocator, NullLocator, StrMethodFormatter

    axes.set_xticks(files, [f"{f:,}" for f in files])
    axes.xaxis.set_minor_locator(NullLocator())
    axes.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    axes.yaxis.set_major_formatter(StrMethodFormatter("{x:g}"))
    axes.yaxis.set_minor_locator(NullLocator())
    axes.set_xlabel("files in the repository")
    axes.set_ylabel(label)
    axes.grid(True, which="major", alpha=0.3)
    axes.legend(fontsize=8)


def draw(points: list[Point], out: pathlib.Path) -> None:
    """Seconds (wall and CPU) and peak MB against files, side by side, into ``out``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files = [p[0] for p in points]
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2), dpi=100)
    _panel(left, files, {"wall seconds": [p[1] for p in points], "CPU seconds": [p[2] for p in points]},
           "seconds", ".1f")
    _panel(right, files, {"peak resident memory": [p[3] for p in points]}, "peak MB", ".0f")
    left.set_title("flux-review check, whole process")
    right.set_title("peak memory of the check process")
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out)
    print(f"wrote {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--from", dest="source", type=pathlib.Path, help="a saved bench/scale.py output")
    parser.add_argument("--sizes", default="2500,5000,10000,20000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=pathlib.Path, default=OUT)
    args = parser.parse_args()
    if args.source:
        points = parse_scale_output(args.source.read_text())
    else:
        points = measure([int(s) for s in args.sizes.split(",") if s], args.repeat)
    if len(points) < 2:
        raise SystemExit("need at least two sizes to draw")
    draw(points, args.out)


if __name__ == "__main__":
    main()
