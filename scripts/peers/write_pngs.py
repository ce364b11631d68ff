#!/usr/bin/env python3
"""Writes a conformance set of PNG files from known pixel arrays, with the standard library only (zlib, struct).

For every color type and legal bit depth, plain and Adam7-interlaced, with and without tRNS, it writes NAME.png and
NAME.json: {"width", "height", "channels", "maxval", "levels"} where levels are the pixels a conforming decoder
must produce, row-major [y, x, channel], on the scale 0..maxval (palette images expand to RGB or RGBA with maxval 255;
a tRNS color key adds an alpha channel of 0 or maxval). Rows cycle through the five filter types, the data is split
over several IDAT chunks, and ancillary chunks (tEXt, gAMA) are interleaved, so a decoder must handle all of them.

This is an independent writer used as a test oracle for EquiSphere's PNG decoder. Usage: write_pngs.py OUT_DIR
"""
import json
import os
import struct
import sys
import zlib

ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
SAMPLES = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
DEPTHS = {0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16]}


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def pack_row(samples, depth):
    """Packs a list of sample values (big-endian for 16 bits, MSB first for sub-byte depths)."""
    if depth == 8:
        return bytes(samples)
    if depth == 16:
        return b"".join(struct.pack(">H", s) for s in samples)
    out = bytearray()
    per = 8 // depth
    for i in range(0, len(samples), per):
        byte = 0
        group = samples[i:i + per]
        for j, s in enumerate(group):
            byte |= s << (8 - depth * (j + 1))
        out.append(byte)
    return bytes(out)


def predictor(kind, a, b, c):
    if kind == 0:
        return 0
    if kind == 1:
        return a
    if kind == 2:
        return b
    if kind == 3:
        return (a + b) // 2
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def filter_rows(rows, bpp, first_kind):
    """Filters raw rows, row r with filter (first_kind + r) mod 5; returns the bytes with filter type bytes."""
    out = bytearray()
    prev = bytes(len(rows[0])) if rows else b""
    for r, row in enumerate(rows):
        kind = (first_kind + r) % 5
        out.append(kind)
        for i in range(len(row)):
            a = row[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            out.append((row[i] - predictor(kind, a, b, c)) & 0xFF)
        prev = row
    return bytes(out)


def sample_value(x, y, k, w, h, maxv, seed):
    """A deterministic pattern with gradients, edges and pseudo-random texture."""
    v = (x * 7 + y * 13 + k * 31 + seed * 17 + ((x * y) ^ (x + 3 * k)) * 5) % (maxv + 1)
    if (x + y) % 5 == 0:
        v = maxv - v
    return v


def make(path, w, h, ct, depth, interlaced, trns):
    maxv = (1 << depth) - 1
    spp = SAMPLES[ct]
    seed = ct * 7 + depth + (3 if interlaced else 0)
    palette = None
    if ct == 3:
        n = min(256, 1 << depth)
        palette = [((i * 53 + 7) % 256, (i * 97 + 11) % 256, (i * 29 + 200) % 256) for i in range(n)]
    img = [[[sample_value(x, y, k, w, h, maxv, seed) for k in range(spp)] for x in range(w)] for y in range(h)]
    trns_bytes = None
    key = None
    alpha_table = None
    if trns:
        if ct == 0:
            key = img[0][0][:]
            trns_bytes = struct.pack(">H", key[0])
        elif ct == 2:
            key = img[1 % h][0][:]
            trns_bytes = struct.pack(">HHH", *key)
        elif ct == 3:
            alpha_table = [(i * 71 + 5) % 256 for i in range(max(1, len(palette) // 2))]
            trns_bytes = bytes(alpha_table)
    # expected decoded levels
    levels = []
    channels = spp
    out_max = maxv
    if ct == 3:
        channels = 4 if trns else 3
        out_max = 255
    elif key is not None:
        channels = spp + 1
    for y in range(h):
        for x in range(w):
            px = img[y][x]
            if ct == 3:
                idx = px[0]
                levels.extend(palette[idx])
                if trns:
                    levels.append(alpha_table[idx] if idx < len(alpha_table) else 255)
            else:
                levels.extend(px)
                if key is not None:
                    levels.append(0 if px == key else maxv)
    bpp = max(1, spp * depth // 8)
    passes = ADAM7 if interlaced else [(0, 0, 1, 1)]
    raw = bytearray()
    for p, (x0, y0, dx, dy) in enumerate(passes):
        xs = list(range(x0, w, dx))
        ys = list(range(y0, h, dy))
        if not xs or not ys:
            continue
        rows = [pack_row([s for x in xs for s in img[y][x]], depth) for y in ys]
        raw += filter_rows(rows, bpp, p)
    data = zlib.compress(bytes(raw), 9)
    parts = [data[i:i + 37] for i in range(0, len(data), 37)] or [b""]
    png = b"\x89PNG\r\n\x1a\n"
    png += chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, ct, 0, 0, 1 if interlaced else 0))
    png += chunk(b"gAMA", struct.pack(">I", 45455))
    if palette is not None:
        png += chunk(b"PLTE", b"".join(bytes(c) for c in palette))
    if trns_bytes is not None:
        png += chunk(b"tRNS", trns_bytes)
    png += chunk(b"tEXt", b"Comment\x00written by write_pngs.py")
    for part in parts:
        png += chunk(b"IDAT", part)
    png += chunk(b"IEND", b"")
    with open(path + ".png", "wb") as f:
        f.write(png)
    with open(path + ".json", "w") as f:
        json.dump({"width": w, "height": h, "channels": channels, "maxval": out_max, "levels": levels}, f)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(out, exist_ok=True)
    count = 0
    for ct, depths in DEPTHS.items():
        for depth in depths:
            for interlaced in (False, True):
                for trns in ((False, True) if ct in (0, 2, 3) else (False,)):
                    for (w, h) in ((13, 11), (1, 1), (3, 9)):
                        name = "ct%d_d%d_%s%s_%dx%d" % (ct, depth, "i" if interlaced else "n", "_t" if trns else "", w, h)
                        make(os.path.join(out, name), w, h, ct, depth, interlaced, trns)
                        count += 1
    print("wrote %d PNG files to %s" % (count, out))


if __name__ == "__main__":
    main()
