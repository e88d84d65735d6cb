"""Whether the machine was shared while this kernel measured: a timing taken while other
programs (29 other learners' kernels, say) kept the CPUs busy measures the crowd, not threads.

`watch()` wraps a measurement. It reads, at its start and end, the CPU time the whole machine
spent busy (Linux's /proc/stat), the time the hypervisor took away (steal), and the CPU time of
this process and every process under it (its demo sites, its pools, the fresh Pythons it starts).
What the machine spent beyond this kernel's own tree is other programs' work. When that, with the
steal, is a real share of the CPUs, `line()` says so in one plain sentence; on a quiet machine it
says nothing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100  # /proc's unit: 1/TICK s
# Other programs' CPUs, on average over the measurement, from which a caution is printed: a
# quarter of a CPU is more than an idle desktop or JupyterLab itself uses, and less than one
# other kernel running a chapter.
BUSY_CPUS = 0.25
SHORTEST = 0.2  # seconds: a shorter measurement is too short to judge from /proc's ticks
SLOWER = 0.05  # a measurement this much longer (5%) than quiet: less is within a run's noise
SAMPLE = 0.1  # seconds between two readings of the threads' waits


@dataclasses.dataclass
class Sample:
    at: float  # time.monotonic()
    busy: float  # seconds of CPU the whole machine spent busy (all CPUs), since boot
    steal: float  # seconds the hypervisor ran something else instead of this machine's CPUs
    ours: float  # seconds of CPU of this process and every process under it
    cpus: int  # the machine's CPUs (/proc/stat counts them all)


def sample() -> Sample | None:
    """The counters now; None where the system does not show them (not Linux)."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()
    except OSError:
        return None
    cpu = [int(value) for value in fields[0].split()[1:]]
    cpus = sum(line.startswith("cpu") and line[3:4].isdigit() for line in fields)
    # user nice system idle iowait irq softirq steal (guest time is inside user)
    busy = (cpu[0] + cpu[1] + cpu[2] + cpu[5] + cpu[6]) / TICK
    steal = (cpu[7] if len(cpu) > 7 else 0) / TICK
    return Sample(time.monotonic(), busy, steal, tree_cpu(), max(1, cpus))


def tree_cpu(pid: int | None = None) -> float:
    """CPU seconds of process `pid` (this one) and of every process under it, the ended ones
    included: each process's own time plus what its waited-for children used."""
    total = 0.0
    for process in process_tree(os.getpid() if pid is None else pid):
        with contextlib.suppress(OSError, ValueError, IndexError):
            after = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
            # after "(name)": state ppid ... utime(12) stime(13) cutime(14) cstime(15)
            total += sum(int(value) for value in after[11:15]) / TICK
    return total


def _children(pid: int) -> list[int]:
    """A process's children, from each of its threads' children file (Linux 3.5 and later)."""
    found = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError, ValueError):
                found += [int(child) for child in (task / "children").read_text().split()]
    return found


def process_tree(pid: int) -> list[int]:
    """`pid` and every process under it, walked down from it (a whole-/proc scan would cost
    more the more learners share the machine)."""
    found, todo = [], [pid]
    while todo and len(found) < 10_000:
        process = todo.pop()
        if process not in found:
            found.append(process)
            todo += _children(process)
    return found


@dataclasses.dataclass
class Shared:
    """What the machine did beside this kernel while it measured."""

    seconds: float  # the measurement's elapsed time
    others: float  # other programs' CPUs busy, on average over it
    steal: float  # CPUs taken by the hypervisor, on average
    ours: float  # this kernel's tree's CPUs busy, on average
    cpus: int  # the machine's CPUs
    waited: float = 0.0  # seconds: the longest wait for a CPU of any one of this tree's threads
    stretched: float = 0.0  # what the caller saw itself (a CPU-bound run's elapsed over its CPU)

    @property
    def busy(self) -> bool:
        """Shared enough to matter: other programs held a real share of the CPUs, and this
        kernel's work waited for them long enough to change what it measured."""
        shared = self.others + self.steal >= BUSY_CPUS
        return self.seconds >= SHORTEST and shared and self.slower >= SLOWER

    @property
    def slower(self) -> float:
        """About how much longer than on a quiet machine the work ran: the longest time one of
        this kernel's threads (or its children's) stood ready to run while every CPU was taken,
        against the time the measurement would have taken without it. A thread's lane is its
        running, its waiting for a CPU and its waiting for pages; a run lasts as long as its
        longest lane, so it grew by about that lane's wait for a CPU."""
        quiet = max(self.seconds - self.waited, 1e-9)
        return max(self.waited / quiet, self.stretched)

    def at_least(self, stretched: float) -> Shared:
        """The same, with what the caller measured itself: a CPU-bound run on one thread that
        took `1 + stretched` times its CPU time waited that long for a CPU."""
        return dataclasses.replace(self, stretched=max(self.stretched, stretched))

    def line(self) -> str | None:
        """A few short sentences when the machine was shared, None when it was quiet."""
        if not self.busy:
            return None
        steal = f", and the hypervisor took {self.steal:.1f} more" if self.steal >= 0.05 else ""
        return (
            f"Caution: the machine was shared while this ran. Other programs kept "
            f"{self.others:.1f} of its {self.cpus} CPUs busy{steal}. So these times are about "
            f"{round(self.slower * 100)}% longer than on a quiet machine. A ratio of two runs "
            "is off too if they shared it unequally. Run it again when the room is quiet."
        )


def thread_waits(processes: list[int]) -> dict[int, float]:
    """Seconds each thread of these processes has stood ready to run while no CPU was free,
    since it started (Linux's schedstat), by thread id."""
    waits = {}
    for process in processes:
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{process}/task").iterdir():
                with contextlib.suppress(OSError, ValueError, IndexError):
                    waits[int(task.name)] = int((task / "schedstat").read_text().split()[1]) / 1e9
    return waits


# The native ids of the sampler threads running now, and the lock under which a sampler reads
# the waits and notes the samplers at once (a sampler that ends is then either noted or unread).
_SAMPLERS: set[int] = set()
_SAMPLERS_LOCK = threading.Lock()


class _WaitSampler:
    """Each thread's wait for a CPU, read every SAMPLE seconds: a thread that ends inside the
    measurement (a pool's worker) keeps what was read last; so does a child process. Sampler
    threads are left out, this one's and any other that ran meanwhile (the sweep's watch holds
    one run's watch after another): each wakes every SAMPLE seconds, and on a busy machine each
    wake waits for a CPU, which is the watch's cost, not the measurement's (CI saw 0.11 s of it
    in a second of sleep beside a load, which made a caution of nothing)."""

    def __init__(self) -> None:
        self.samplers: set[int] = set()  # every sampler thread running while this one read
        self.first = self._read()
        self.last = dict(self.first)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="contention-watch", daemon=True)
        # Started and noted under the lock that every read holds: no other sampler can see
        # this thread running before it is noted as a sampler (CI once read it in between,
        # then not again before it ended, and counted its wait as the measurement's).
        with _SAMPLERS_LOCK:
            self._thread.start()  # its native_id is set before start() returns
            _SAMPLERS.add(self._thread.native_id)

    def _read(self) -> dict[int, float]:
        with _SAMPLERS_LOCK:
            waits = thread_waits(process_tree(os.getpid()))
            self.samplers |= _SAMPLERS
        return waits

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE):
            self.last.update(self._read())

    def longest(self) -> float:
        self._stop.set()
        self._thread.join(timeout=5)
        self.last.update(self._read())
        with _SAMPLERS_LOCK:
            _SAMPLERS.discard(self._thread.native_id)
        grown = [
            wait - self.first.get(t, 0.0) for t, wait in self.last.items() if t not in self.samplers
        ]
        return max([0.0, *grown])


class Watched:
    """What `watch()` found: `.shared`, once its block has ended (None where the system does not
    say)."""

    shared: Shared | None = None


@contextlib.contextmanager
def watch() -> Iterator[Watched]:
    """Measure inside the block; afterwards `.shared` says what the machine did meanwhile."""
    found = Watched()
    start = sample()
    sampler = _WaitSampler() if start is not None else None
    try:
        yield found
    finally:
        waited = sampler.longest() if sampler is not None else 0.0
        end = sample()
        if start is not None and end is not None and end.at > start.at:
            seconds = end.at - start.at
            ours = max(0.0, end.ours - start.ours)
            others = max(0.0, (end.busy - start.busy) - ours)
            found.shared = Shared(
                seconds=seconds,
                others=others / seconds,
                steal=max(0.0, end.steal - start.steal) / seconds,
                ours=ours / seconds,
                cpus=end.cpus,
                waited=waited,
            )


def caution(*found: Shared | None) -> str | None:
    """The caution line for the most shared of these measurements, or None if none was."""
    busy = [shared for shared in found if shared is not None and shared.busy]
    return max(busy, key=lambda shared: shared.slower).line() if busy else None


def say(*found: Shared | None) -> None:
    """Print the caution line, if the machine was shared during any of these."""
    line = caution(*found)
    if line:
        print(line)
