#!/usr/bin/env python3
"""What a run through the Python module costs beside the command (docs/performance.md, "Python").

    bench/bench_python.py [--data ../shared/data] [--canveg build/canveg] [--repeats 5] [--threads 2]
                          [--models US-Bi1_PB-1L-0.5,US-Bi1_Hybrid-ML-0.5]

Run with the interpreter of an environment where the module is installed (`pip install .`). Over
the US-Bi1 test period, alternating, --repeats times each:

* command: `canveg run --model M --forcing F --output <tmp>.csv --quiet`, the whole process
  (start, reading, the run, writing the CSV);
* Python, whole: `canveg.load_model`, `canveg.read_forcing` (pandas) and `model.run` (a DataFrame),
  in this interpreter;
* Python, run: `model.run(forcing)` alone, beside the library's own time for the same run
  (`fluxes.attrs["seconds"]`): the cost of converting the DataFrame in and the outputs out.

Prints the medians of wall time and of CPU time (user + system, all threads; less sensitive to a
shared machine than wall time) and their ratios, with the machine's CPU.
"""
import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import canveg


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def cpu_seconds(who):
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default="../shared/data")
    parser.add_argument("--canveg", default="build/canveg")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--models", default="US-Bi1_PB-1L-0.5,US-Bi1_Hybrid-ML-0.5")
    args = parser.parse_args()
    forcing_csv = os.path.join(args.data, "fluxtower", "US-Bi1", "US-Bi1-forcings-test.csv")
    print(f"{cpu_name()}, {os.cpu_count()} logical CPUs, {args.threads} threads, median of {args.repeats}")
    print("| model | measure | command, whole | Python, whole | ratio | Python model.run | library run | ratio |")
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        output = os.path.join(tmp, "fluxes.csv")
        for name in args.models.split(","):
            model_json = os.path.join(args.data, "jax-canveg-trained", name + ".json")
            wall = {k: [] for k in ("command", "whole", "run", "library")}
            cpu = {k: [] for k in ("command", "whole", "run")}
            for _ in range(args.repeats):
                children, t = cpu_seconds(resource.RUSAGE_CHILDREN), time.perf_counter()
                subprocess.run([args.canveg, "run", "--model", model_json, "--forcing", forcing_csv, "--output",
                                output, "--quiet", "--threads", str(args.threads)], check=True)
                wall["command"].append(time.perf_counter() - t)
                cpu["command"].append(cpu_seconds(resource.RUSAGE_CHILDREN) - children)

                own, t = cpu_seconds(resource.RUSAGE_SELF), time.perf_counter()
                model = canveg.load_model(model_json)
                forcing = canveg.read_forcing(forcing_csv)
                own_run, t_run = cpu_seconds(resource.RUSAGE_SELF), time.perf_counter()
                fluxes = model.run(forcing, threads=args.threads)
                end, own_end = time.perf_counter(), cpu_seconds(resource.RUSAGE_SELF)
                wall["whole"].append(end - t)
                wall["run"].append(end - t_run)
                wall["library"].append(fluxes.attrs["seconds"])
                cpu["whole"].append(own_end - own)
                cpu["run"].append(own_end - own_run)
            w = {k: statistics.median(v) for k, v in wall.items()}
            c = {k: statistics.median(v) for k, v in cpu.items()}
            print(f"| {name} | wall (s) | {w['command']:.3f} | {w['whole']:.3f} | {w['whole'] / w['command']:.3f} "
                  f"| {w['run']:.3f} | {w['library']:.3f} | {w['run'] / w['library']:.3f} |")
            print(f"| {name} | CPU (s) | {c['command']:.3f} | {c['whole']:.3f} | {c['whole'] / c['command']:.3f} "
                  f"| {c['run']:.3f} | | |", flush=True)

if __name__ == "__main__":
    sys.exit(main())
