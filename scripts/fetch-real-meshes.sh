#!/usr/bin/env bash
# Fetch the Debian packages that ship real meshes under free licenses, unpack them (no install) and convert their
# airplanes, cars, chairs, sofas and tables into a normalized dataset folder with a license manifest.
#
#   scripts/fetch-real-meshes.sh [CACHE_DIR] [OUT_DIR]
#
# CACHE_DIR (default ~/.cache/equisphere/real-meshes) keeps the .deb files and the unpacked trees, so a second run
# downloads nothing. OUT_DIR (default CACHE_DIR/dataset) receives <category>/*.off, manifest.tsv and licenses/.
# PACKAGES overrides the package list, e.g. PACKAGES="crrcsim-data" for a quick 5 MB try.
# Needs apt-get (with a current package index: run `apt-get update` once), dpkg-deb and the .NET SDK.
# Sizes (Debian bookworm): flightgear-data-ai 287 MB, torcs-data 333 MB, sweethome3d-furniture 120 MB,
# crrcsim-data 5 MB.
set -euo pipefail
cd "$(dirname "$0")/.."

cache="${1:-$HOME/.cache/equisphere/real-meshes}"
out="${2:-$cache/dataset}"
packages="${PACKAGES:-flightgear-data-ai crrcsim-data sweethome3d-furniture torcs-data}"

mkdir -p "$cache/debs" "$cache/root"

for p in $packages; do
  if ! ls "$cache/debs/${p}"_*.deb >/dev/null 2>&1; then
    echo "== downloading $p"
    (cd "$cache/debs" && apt-get download "$p")
  fi
  deb=$(ls "$cache/debs/${p}"_*.deb | head -n 1)
  if [ ! -f "$cache/root/$p/DEBIAN/control" ]; then
    echo "== unpacking $(basename "$deb")"
    rm -rf "$cache/root/$p.partial"
    mkdir -p "$cache/root/$p.partial"
    dpkg-deb -x "$deb" "$cache/root/$p.partial"
    dpkg-deb -e "$deb" "$cache/root/$p.partial/DEBIAN"
    rm -rf "$cache/root/$p"
    mv "$cache/root/$p.partial" "$cache/root/$p"
  fi
done

echo "== converting into $out"
dotnet run --project src/EquiSphere.Cli -c Release -- meshes convert --source "$cache/root" --out "$out"
