#!/usr/bin/env python3
"""Times commands on one capture in interleaved rounds, against tcpdump.

    scripts/interleave.py ROUNDS FILE "LABEL|COMMAND" ...

Each round runs `tcpdump -r FILE -w /dev/null`, then every COMMAND, with
FILE appended (or put where the command says `{}`, outside quotes);
`NAME=value` words at a command's start set its environment. One round,
untimed, comes first (the page cache). Prints, per command, the median
and least wall time (ms, `time.perf_counter`, not GNU time's 10 ms
steps), the median CPU time (user + system of the child), and the median
over the rounds of its time / tcpdump's in the same round: a slow minute
of the VM falls on all the commands of a round alike. A command that
fails stops the script with its error output.
"""
import os
import re
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")


def parse(argv):
    if len(argv) < 4 or not argv[1].isdigit() or int(argv[1]) < 1:
        sys.exit(__doc__)
    rounds, capture = int(argv[1]), argv[2]
    commands = [("tcpdump", "tcpdump -r {} -w /dev/null")]
    for c in argv[3:]:
        label, bar, command = c.partition("|")
        if not bar or not label or not command:
            sys.exit(f"interleave.py: {c!r} is not LABEL|COMMAND")
        if label in (l for l, _ in commands):
            sys.exit(f"interleave.py: label {label!r} used twice (tcpdump is taken)")
        commands.append((label, command))
    runs = []
    for label, command in commands:
        if "{}" not in command:
            command += " {}"
        args = shlex.split(command.replace("{}", shlex.quote(capture)))
        env = dict(os.environ)
        while args and ASSIGNMENT.match(args[0]):
            key, value = args.pop(0).split("=", 1)
            env[key] = value
        if not args:
            sys.exit(f"interleave.py: {label!r} has no command")
        runs.append((label, args, env))
    return rounds, runs


def run(label, args, env):
    """Wall and CPU seconds of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    # Error output to a file, not a pipe: nothing is read while timed.
    with tempfile.TemporaryFile() as err:
        try:
            done = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=err, env=env)
        except OSError as e:
            sys.exit(f"interleave.py: {label}: {args[0]}: {e.strerror}")
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            err.seek(0)
            sys.stderr.write(err.read().decode(errors="replace"))
            sys.exit(f"interleave.py: {label} exited with {done.returncode}")
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def main():
    rounds, runs = parse(sys.argv)
    for r in runs:
        run(*r)
    wall = {label: [] for label, _, _ in runs}
    cpu = {label: [] for label, _, _ in runs}
    for _ in range(rounds):
        for r in runs:
            w, c = run(*r)
            wall[r[0]].append(w)
            cpu[r[0]].append(c)
    width = max(len(label) for label in wall)
    base = wall["tcpdump"]
    for label in wall:
        ratio = statistics.median(a / b for a, b in zip(wall[label], base))
        print(
            f"{label:<{width}}  wall median {statistics.median(wall[label]) * 1e3:6.1f} ms"
            f"  least {min(wall[label]) * 1e3:6.1f}"
            f"  CPU median {statistics.median(cpu[label]) * 1e3:6.1f} ms"
            f"  / tcpdump median {ratio:.3f}"
        )


if __name__ == "__main__":
    main()
