"""What the explorer's live display costs a run: the same run with and without it, in a kernel.

Starts a real kernel (jupyter_client), so that every widget update is a real comm message, and
alternates plain runs (`lessons.run_threads`, no marks) with explorer runs (progress, marks and the
figure updated while the pages arrive). Prints the elapsed times and their ratio; asserts nothing.

    python benchmarks/explorer_overhead.py [--pairs 5] [--workers 5]
"""

from __future__ import annotations

import argparse
import statistics

from jupyter_client.manager import start_new_kernel

SETUP = "import lessons\nlessons.start_demo_sites()\n"
PLAIN = "print(lessons.run_threads({workers}, quiet=True, show=False).elapsed)"
EXPLORER = (
    "_e = lessons.explorer(max_workers={workers}); display(_e); _e.run(); _e.wait(60)\n"
    "print(_e.last.elapsed)"
)


def execute(client, code: str, timeout: float = 120) -> str:
    """Run code in the kernel and return what it printed."""
    printed: list[str] = []

    def keep(message: dict) -> None:
        if message["msg_type"] == "stream":
            printed.append(message["content"]["text"])
        elif message["msg_type"] == "error":
            raise RuntimeError("\n".join(message["content"]["traceback"]))

    client.execute_interactive(code, timeout=timeout, output_hook=keep)
    return "".join(printed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=5, help="runs of each kind (5)")
    parser.add_argument("--workers", type=int, default=5, help="max_workers (5)")
    args = parser.parse_args()
    manager, client = start_new_kernel(kernel_name="python3")
    try:
        execute(client, SETUP)
        execute(client, PLAIN.format(workers=args.workers))  # warm up: connections, imports
        plain, shown = [], []
        for _ in range(args.pairs):
            plain.append(float(execute(client, PLAIN.format(workers=args.workers))))
            shown.append(float(execute(client, EXPLORER.format(workers=args.workers))))
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    print(f"160 pages on the demo sites, max_workers={args.workers}, {args.pairs} runs each")
    print(f"{'':>14} {'mean s':>8} {'median s':>8}  runs")
    for name, times in (("plain run", plain), ("explorer run", shown)):
        listing = " ".join(f"{t:.3f}" for t in times)
        print(
            f"{name:>14} {statistics.mean(times):8.3f} {statistics.median(times):8.3f}  {listing}"
        )
    ratio = statistics.mean(shown) / statistics.mean(plain)
    print(f"explorer / plain, means: {ratio:.3f} ({(ratio - 1) * 100:+.1f}%)")


if __name__ == "__main__":
    main()
