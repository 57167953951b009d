#!/usr/bin/env python3
"""Times commands on one capture in interleaved rounds, against tcpdump.

    scripts/interleave.py ROUNDS FILE "LABEL|COMMAND" ...

Each round runs `tcpdump -r FILE -w /dev/null`, then every COMMAND, with
FILE appended (or put where the command says `{}`); `VAR=value` words at
a command's start set its environment. Prints, per command, the median
and least wall time (ms, a monotonic clock, not GNU time's 10 ms steps),
the median CPU time (user + system of the child), and the median over
the rounds of its time / tcpdump's in the same round: on a VM whose
speed moves from one minute to the next, a slow minute falls on all
the commands of a round alike.
"""
import os
import resource
import shlex
import statistics
import subprocess
import sys
import time


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    rounds, capture = int(sys.argv[1]), sys.argv[2]
    commands = [("tcpdump", "tcpdump -r {} -w /dev/null")]
    commands += [tuple(c.split("|", 1)) for c in sys.argv[3:]]
    wall = {label: [] for label, _ in commands}
    cpu = {label: [] for label, _ in commands}
    with open(os.devnull, "w") as null:
        for _ in range(rounds):
            for label, command in commands:
                if "{}" not in command:
                    command += " {}"
                args = shlex.split(command.format(shlex.quote(capture)))
                env = dict(os.environ)
                while args and "=" in args[0]:
                    key, value = args.pop(0).split("=", 1)
                    env[key] = value
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                start = time.perf_counter()
                subprocess.run(args, stdout=null, stderr=null, env=env, check=True)
                wall[label].append(time.perf_counter() - start)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu[label].append(
                    after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
                )
    base = wall["tcpdump"]
    for label, _ in commands:
        ratio = statistics.median(a / b for a, b in zip(wall[label], base))
        print(
            f"{label:<14} wall median {statistics.median(wall[label]) * 1e3:6.1f} ms"
            f"  least {min(wall[label]) * 1e3:6.1f}"
            f"  CPU median {statistics.median(cpu[label]) * 1e3:6.1f} ms"
            f"  / tcpdump median {ratio:.3f}"
        )


if __name__ == "__main__":
    main()
