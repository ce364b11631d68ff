#!/usr/bin/env python3
"""Peer timings from PyTorch (Debian's python3-torch) for the EquiSphere tensor benchmarks.

Run:  python3 scripts/peers/torch_bench.py [--repeats 20] [--cases gemm,convnet,encoder] [--threads 2]
Uses torch.set_num_threads(2) (the CI/benchmark machine has 2 cores) and float32 everywhere; prints medians.
Debian's torch is built with BLAS_INFO=generic: its GEMM is whatever libblas.so.3 points to. Install
libopenblas0-pthread (apt) so that it is OpenBLAS, not the reference BLAS; OPENBLAS_NUM_THREADS is set to
--threads before torch loads. Convolutions go through oneDNN (MKL-DNN) either way.

Exact architectures (batch 32, float32, NCHW):

(g) GEMM: C = A @ B with A [m x k], B [k x n] row-major, for (m, n, k) = (1024, 1024, 1024) and (64, 4096, 576).

(a) conv-net training step on x [32, 3, 64, 64], labels in 0..9:
      conv3x3(3 -> 32, pad 1, bias) -> ReLU
      conv3x3(32 -> 32, pad 1, bias) -> ReLU -> maxpool 2x2 (stride 2)      # 32 x 32
      conv3x3(32 -> 64, pad 1, bias) -> ReLU
      conv3x3(64 -> 64, pad 1, bias) -> ReLU -> maxpool 2x2 (stride 2)      # 16 x 16
      flatten (64*16*16 = 16384) -> linear(16384 -> 10, bias)
    loss = cross-entropy (mean over the batch); step = forward + backward + SGD(lr 0.01, no momentum).

(b) image encoder of DESIGN.md, training step on x [32, 1, 64, 64]:
      stem: reflect-pad 3, conv7x7(1 -> 64, stride 2, no bias)                 # 32 x 32
      5 pre-activation residual stages of 2 blocks; stage i has C_i = min(64 * 2^i, 256) channels
      (64, 128, 256, 256, 256) and the first block of stage i >= 1 has stride 2:
      spatial sizes 32, 16, 8, 4, 2.
      block(C_in -> C, stride s):
          h = ReLU(BN(x))
          shortcut = x if (C_in == C and s == 1) else conv1x1(C_in -> C, stride s, no bias)(h)
          h = conv3x3(C_in -> C, stride s, reflect pad 1, no bias)(h)
          h = conv3x3(C -> C, stride 1, reflect pad 1, no bias)(ReLU(BN(h)))
          out = h + shortcut
      head: ReLU(BN(.)) -> conv2x2(256 -> 1024, valid, bias)                   # 1 x 1 x 1024
    BN = BatchNorm2d (training mode, affine). loss = mean squared error against a fixed random target
    [32, 1024, 1, 1]; step = forward + backward + SGD(lr 0.01, no momentum).
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


os.environ.setdefault("OPENBLAS_NUM_THREADS", _threads_arg())
os.environ.setdefault("OMP_NUM_THREADS", _threads_arg())

import torch  # noqa: E402  (after the thread settings above)
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def median_seconds(fn, warmup, repeats):
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples), min(samples)


class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 32, 3, padding=1)
        self.c2 = nn.Conv2d(32, 32, 3, padding=1)
        self.c3 = nn.Conv2d(32, 64, 3, padding=1)
        self.c4 = nn.Conv2d(64, 64, 3, padding=1)
        self.fc = nn.Linear(64 * 16 * 16, 10)

    def forward(self, x):
        x = F.relu(self.c1(x))
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        x = F.relu(self.c3(x))
        x = F.max_pool2d(F.relu(self.c4(x)), 2)
        return self.fc(torch.flatten(x, 1))


class ReflectConv(nn.Module):
    """Reflect padding, then a valid convolution."""

    def __init__(self, cin, cout, k, stride, pad, bias=False):
        super().__init__()
        self.pad = pad
        self.conv = nn.Conv2d(cin, cout, k, stride=stride, bias=bias)

    def forward(self, x):
        if self.pad > 0:
            x = F.pad(x, (self.pad,) * 4, mode="reflect")
        return self.conv(x)


class PreActBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(cin)
        self.conv1 = ReflectConv(cin, cout, 3, stride, 1)
        self.bn2 = nn.BatchNorm2d(cout)
        self.conv2 = ReflectConv(cout, cout, 3, 1, 1)
        self.shortcut = None
        if cin != cout or stride != 1:
            self.shortcut = nn.Conv2d(cin, cout, 1, stride=stride, bias=False)

    def forward(self, x):
        h = F.relu(self.bn1(x))
        short = x if self.shortcut is None else self.shortcut(h)
        h = self.conv1(h)
        h = self.conv2(F.relu(self.bn2(h)))
        return h + short


class Encoder(nn.Module):
    def __init__(self, stages=5, blocks=2, bottleneck=1024):
        super().__init__()
        self.stem = ReflectConv(1, 64, 7, 2, 3)
        layers = []
        cin = 64
        for i in range(stages):
            c = min(64 * 2**i, 256)
            for b in range(blocks):
                stride = 2 if (i >= 1 and b == 0) else 1
                layers.append(PreActBlock(cin, c, stride))
                cin = c
        self.stages = nn.Sequential(*layers)
        self.bn = nn.BatchNorm2d(cin)
        self.head = nn.Conv2d(cin, bottleneck, 2)

    def forward(self, x):
        x = self.stages(self.stem(x))
        return self.head(F.relu(self.bn(x)))


def train_step(model, opt, x, loss_fn):
    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x))
        loss.backward()
        opt.step()

    return step


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--cases", default="gemm,convnet,encoder", help="comma-separated subset of gemm,convnet,encoder")
    parser.add_argument("--tsv", help="also append the rows to this file: group, case, median ms, min ms, GF/s (tab-separated)")
    args = parser.parse_args()
    cases = set(args.cases.split(","))
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    rows = []

    for m, n, k in [(1024, 1024, 1024), (64, 4096, 576)] if "gemm" in cases else []:
        a, b = torch.randn(m, k), torch.randn(k, n)
        c = torch.empty(m, n)
        med, best = median_seconds(lambda: torch.mm(a, b, out=c), 3, max(args.repeats, 30))
        rows.append((f"gemm {m}x{n}x{k}", med, best, 2.0 * m * n * k / med / 1e9))

    if "convnet" in cases:
        net = ConvNet()
        x = torch.randn(32, 3, 64, 64)
        y = torch.randint(0, 10, (32,))
        step = train_step(net, torch.optim.SGD(net.parameters(), lr=0.01), x, lambda out: F.cross_entropy(out, y))
        med, best = median_seconds(step, 3, args.repeats)
        rows.append(("conv-net train step (batch 32)", med, best, None))

    if "encoder" in cases:
        enc = Encoder()
        x = torch.randn(32, 1, 64, 64)
        target = torch.randn(32, 1024, 1, 1)
        step = train_step(enc, torch.optim.SGD(enc.parameters(), lr=0.01), x, lambda out: F.mse_loss(out, target))
        med, best = median_seconds(step, 3, args.repeats)
        rows.append(("image encoder train step (batch 32)", med, best, None))

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, float32")
    print(f"{'case':<40}{'median':>12}{'min':>12}{'GF/s':>10}")
    for name, med, best, gf in rows:
        gfs = f"{gf:10.1f}" if gf is not None else f"{'':>10}"
        print(f"{name:<40}{med * 1e3:>10.2f} ms{best * 1e3:>9.2f} ms{gfs}")

    if args.tsv:
        with open(args.tsv, "a", encoding="utf-8") as f:
            for name, med, best, gf in rows:
                f.write(f"torch\t{name}\t{med * 1e3:.4f}\t{best * 1e3:.4f}\t{gf or 0.0:.2f}\n")


if __name__ == "__main__":
    main()
