#!/usr/bin/env python3
"""Derives the colormap control points of src/EquiSphere.Geometry/Colormap.fs from matplotlib's published tables.

Takes 33 entries of each map's 256-entry lookup table, at indices k_i = round(255·i/32)
for i = 0..32, as control points (t = k_i/255, r, g, b) rounded to 4 decimals, and reports the worst deviation of the
piecewise-linear interpolation from the full table (in units of 1/255). Needs matplotlib (Debian: python3-matplotlib).
Usage: colormap_stops.py
"""
import numpy as np
from matplotlib import colormaps

for name in ["viridis", "magma", "coolwarm"]:
    cm = colormaps[name]
    lut = cm(np.arange(256))[:, :3]
    idx = np.round(np.arange(33) * 255 / 32).astype(int)
    t = idx / 255.0
    stops = np.round(lut[idx], 4)
    dense = np.linspace(0, 1, 256)  # the centers of the 256-entry lookup table
    full = lut
    approx = np.stack([np.interp(dense, t, stops[:, k]) for k in range(3)], 1)
    print("// %s: 33 stops, max deviation %.2f/255" % (name, np.abs(approx - full).max() * 255))
    for k, row in zip(idx, stops):
        print("            %d, %.4f, %.4f, %.4f" % ((k,) + tuple(row)))
