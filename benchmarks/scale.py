"""Scale benchmark: threads against asyncio at many requests at once, each in a fresh Python.

Prints, for each concurrency, each program's elapsed time, its ratio to the floor
ceil(pages / concurrent) * latency, its CPU seconds, its peak resident memory (VmHWM) and the
most threads alive. It asserts nothing: timings are for reading.

    python benchmarks/scale.py [--pages 2000] [--concurrent 100 1000] [--repeat 2]
"""

from __future__ import annotations

import argparse

from lessons.course import scale
from lessons.course.sites import demo_latency, latency_floor, start_demo_sites, stop_demo_sites


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=scale.PAGES)
    parser.add_argument("--concurrent", type=int, nargs="+", default=[100, scale.CONCURRENT])
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    demo = start_demo_sites()
    try:
        for concurrent in args.concurrent:
            floor = latency_floor(args.pages, concurrent, demo_latency(demo))
            print(f"\n{args.pages} pages, {concurrent} at once; the floor {floor:.2f} s")
            for _ in range(args.repeat):
                for mode in scale.VARIANTS:
                    r = scale.measure(mode, args.pages, concurrent, demo)
                    if "error" in r:
                        print(f"{mode:>8}: {r['error']}")
                        continue
                    print(f"{mode:>8}: {r['elapsed']:6.2f} s ({r['elapsed'] / floor:5.1f} x the "
                          f"floor), CPU {r['cpu']:5.2f} s, peak {r['peak_mb']:4.0f} MB "
                          f"(before the run {r['before_mb']:3.0f} MB), "
                          f"threads {r['threads']}")  # fmt: skip
    finally:
        stop_demo_sites()


if __name__ == "__main__":
    main()
