#!/usr/bin/env python3
"""PyTorch's forward (or weight-gradient) time for each distinct convolution of the tensor-train encoder step.

Run:  /usr/bin/python3 scripts/peers/torch_conv_layers.py [--repeats 30] [--warmup 5] [--threads 2] [--tsv FILE]
          [--weight] [--rounds 1]

The layers are those of `encoderLayers` in src/EquiSphere.Cli/TensorProfileBench.fs and of
scripts/bench-conv-forward.fsx (batch 32, float32, NCHW): each reflect-padded layer of the encoder is timed as
torch runs it, `torch.nn.functional.conv2d` on the input padded beforehand (nn.Conv2d with padding_mode='reflect'
pads with F.pad first, so the padding is a separate op in torch's profile); the 1 x 1 shortcuts and the 2 x 2 head
are unpadded. torch.set_num_threads(--threads) (default 2, the benchmark machine's cores), no autograd
(torch.no_grad), median and minimum of --repeats calls after --warmup calls. GF/s counts 2 flops per multiply-add of
the output pixels. With --tsv FILE the rows are appended to FILE as: layer, median ms, min ms, GF/s, count per step
(tab-separated).
With --weight the weight gradient is timed instead: torch.ops.aten.convolution_backward with output_mask
[False, True, False] (what autograd calls for a layer whose input needs no gradient), on the same padded inputs and a
random output gradient; the rows are named like scripts/bench-conv-forward.fsx --weight prints them. --rounds N
repeats the whole table N times (to alternate with other runs on a machine whose speed drifts).
"""

import argparse
import os
import statistics
import sys
import time


def _threads_arg():
    for i, a in enumerate(sys.argv):
        if a == "--threads" and i + 1 < len(sys.argv):
            return sys.argv[i + 1]
        if a.startswith("--threads="):
            return a.split("=", 1)[1]
    return "2"


os.environ.setdefault("OMP_NUM_THREADS", _threads_arg())
os.environ.setdefault("OPENBLAS_NUM_THREADS", _threads_arg())

import torch  # noqa: E402  (after the thread settings above)
import torch.nn.functional as F  # noqa: E402

# (name, input channels, output channels, padded input size, kernel, stride, count per encoder step); the names
# match the rows of scripts/bench-conv-forward.fsx.
LAYERS = [
    ("stem 1→64 7×7 s2, 70² → 32²", 1, 64, 70, 7, 2, 1),
    ("stage 1 64→64 3×3, 34² → 32²", 64, 64, 34, 3, 1, 4),
    ("stage 2 64→128 3×3 s2, 34² → 16²", 64, 128, 34, 3, 2, 1),
    ("stage 2 shortcut 64→128 1×1 s2", 64, 128, 32, 1, 2, 1),
    ("stage 2 128→128 3×3, 18² → 16²", 128, 128, 18, 3, 1, 3),
    ("stage 3 128→256 3×3 s2, 18² → 8²", 128, 256, 18, 3, 2, 1),
    ("stage 3 shortcut 128→256 1×1 s2", 128, 256, 16, 1, 2, 1),
    ("stage 3 256→256 3×3, 10² → 8²", 256, 256, 10, 3, 1, 3),
    ("stage 4 256→256 3×3 s2, 10² → 4²", 256, 256, 10, 3, 2, 1),
    ("stage 4 shortcut 256→256 1×1 s2", 256, 256, 8, 1, 2, 1),
    ("stage 4 256→256 3×3, 6² → 4²", 256, 256, 6, 3, 1, 3),
    ("stage 5 256→256 3×3 s2, 6² → 2²", 256, 256, 6, 3, 2, 1),
    ("stage 5 shortcut 256→256 1×1 s2", 256, 256, 4, 1, 2, 1),
    ("stage 5 256→256 3×3, 4² → 2²", 256, 256, 4, 3, 1, 3),
    ("head 256→1024 2×2, 2² → 1²", 256, 1024, 2, 2, 1, 1),
]

BATCH = 32


def time_layer(cin, cout, size, k, stride, warmup, repeats, gen):
    x = torch.randn(BATCH, cin, size, size, generator=gen)
    w = torch.randn(cout, cin, k, k, generator=gen)
    with torch.no_grad():
        for _ in range(warmup):
            y = F.conv2d(x, w, stride=stride)
        samples = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            y = F.conv2d(x, w, stride=stride)
            samples.append(time.perf_counter() - t0)
    out = y.shape[2] * y.shape[3]
    flops = 2.0 * BATCH * cout * out * cin * k * k
    return statistics.median(samples), min(samples), flops


def time_weight(cin, cout, size, k, stride, warmup, repeats, gen):
    x = torch.randn(BATCH, cin, size, size, generator=gen)
    w = torch.randn(cout, cin, k, k, generator=gen)
    out = (size - k) // stride + 1
    dy = torch.randn(BATCH, cout, out, out, generator=gen)

    def call():
        return torch.ops.aten.convolution_backward(
            dy, x, w, None, [stride, stride], [0, 0], [1, 1], False, [0, 0], 1, [False, True, False]
        )

    with torch.no_grad():
        for _ in range(warmup):
            call()
        samples = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            call()
            samples.append(time.perf_counter() - t0)
    flops = 2.0 * BATCH * cout * out * out * cin * k * k
    return statistics.median(samples), min(samples), flops


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--weight", action="store_true", help="time the weight gradient instead of the forward")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--tsv", help="append rows to this file: layer, median ms, min ms, GF/s, count per step")
    args = parser.parse_args()
    if args.repeats < 1 or args.warmup < 0:
        sys.exit(f"Expected --repeats >= 1 and --warmup >= 0, got {args.repeats} and {args.warmup}")

    torch.set_num_threads(args.threads)
    gen = torch.Generator().manual_seed(args.seed)
    what = "weight gradient" if args.weight else "forward only"
    timer = time_weight if args.weight else time_layer
    suffix = ", weight gradient" if args.weight else ""
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {BATCH}, float32, {what}")
    rows = []
    for r in range(args.rounds):
        print(f"round {r + 1} at {time.strftime('%H:%M:%S', time.gmtime())} UTC")
        print(f"{'layer':<52}{'median ms':>11}{'min ms':>9}{'GF/s':>8}{'count':>7}{'ms per step':>13}")
        total = 0.0
        for name, cin, cout, size, k, stride, count in LAYERS:
            med, low, flops = timer(cin, cout, size, k, stride, args.warmup, args.repeats, gen)
            total += count * med
            rows.append((name + suffix, med * 1e3, low * 1e3, flops / med / 1e9, count))
            print(
                f"{name + suffix:<52}{med * 1e3:>11.2f}{low * 1e3:>9.2f}{flops / med / 1e9:>8.1f}{count:>7}"
                f"{count * med * 1e3:>13.2f}"
            )
        print(f"{'all layers, per encoder step':<52}{'':>11}{'':>9}{'':>8}{'':>7}{total * 1e3:>13.2f}")

    if args.tsv:
        with open(args.tsv, "a", encoding="utf-8") as f:
            for name, med, low, gfs, count in rows:
                f.write(f"{name}\t{med:.4f}\t{low:.4f}\t{gfs:.2f}\t{count}\n")


if __name__ == "__main__":
    main()
