#!/usr/bin/env python3
"""Alternates EquiSphere's tensor-train benchmark with the PyTorch peer and tabulates the step-time ratios.

Run (after `dotnet build -c Release src/EquiSphere.Cli`):
    python3 scripts/peers/alternate_train.py [--rounds 3] [--dll src/EquiSphere.Cli/bin/Release/net10.0/equisphere.dll]

This machine's speed drifts by up to 2x within minutes, so a ratio is only meaningful between runs taken close
together: each round runs `bench --only tensor-train` and then `torch_bench.py --cases convnet,encoder`, one right
after the other, and the ratio of their medians is reported per round, with the median and range over the rounds.
Our steps are compared as written plainly and inside a `StorageScope` (the training-loop idiom that hands each
step's activations back to the pool), both against torch's one step.
Both write their rows with --tsv; nothing is parsed from the printed tables.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# (label, our case, torch's case)
PAIRS = [
    ("conv4", "conv4 step, batch 32, 3×64×64", "conv-net train step (batch 32)"),
    ("conv4 scoped", "conv4 step in a StorageScope", "conv-net train step (batch 32)"),
    ("encoder", "encoder step, batch 32, 1×64×64", "image encoder train step (batch 32)"),
    ("encoder scoped", "encoder step in a StorageScope", "image encoder train step (batch 32)"),
]


def read_tsv(path):
    rows = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 5:
                rows[parts[1]] = float(parts[2])
    return rows


def run(cmd, tsv):
    if os.path.exists(tsv):
        os.remove(tsv)
    done = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed with exit code {done.returncode}:\n{done.stderr}")
    return read_tsv(tsv)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dll", default=os.path.join(ROOT, "src/EquiSphere.Cli/bin/Release/net10.0/equisphere.dll"))
    parser.add_argument("--python", default="/usr/bin/python3", help="the interpreter that has torch")
    args = parser.parse_args()
    if not os.path.exists(args.dll):
        sys.exit(f"{args.dll} not found: build first with `dotnet build -c Release src/EquiSphere.Cli`")

    tmp = tempfile.mkdtemp(prefix="equisphere-alternate-")
    ours_tsv, torch_tsv = os.path.join(tmp, "ours.tsv"), os.path.join(tmp, "torch.tsv")
    ratios = {label: [] for label, _, _ in PAIRS}
    header = f"{'round':<7}{'time (UTC)':<12}" + "".join(f"{label:>18}{'torch':>11}{'ratio':>8}" for label, _, _ in PAIRS)
    print(header)

    for r in range(1, args.rounds + 1):
        stamp = time.strftime("%H:%M:%S", time.gmtime())
        ours = run(["dotnet", args.dll, "bench", "--only", "tensor-train", "--tsv", ours_tsv], ours_tsv)
        peer = run(
            [args.python, os.path.join(HERE, "torch_bench.py"), "--cases", "convnet,encoder", "--tsv", torch_tsv],
            torch_tsv,
        )
        line = f"{r:<7}{stamp:<12}"
        for label, mine, theirs in PAIRS:
            if mine not in ours or theirs not in peer:
                sys.exit(f"round {r}: missing row '{mine}' or '{theirs}' in the benchmark output")
            ratio = ours[mine] / peer[theirs]
            ratios[label].append(ratio)
            line += f"{ours[mine]:>15.1f} ms{peer[theirs]:>8.1f} ms{ratio:>8.2f}"
        print(line, flush=True)

    for label, values in ratios.items():
        print(
            f"{label}: ours / torch median {statistics.median(values):.2f}, "
            f"range {min(values):.2f}-{max(values):.2f} over {len(values)} rounds"
        )


if __name__ == "__main__":
    main()
