#!/usr/bin/env bash
# Makes Debian's /usr/bin/python3 import crossenc from a CMake build folder: writes a .pth file
# with that folder's python/ root into Debian's site-packages dir (like `pip install -e`).
# Rebuilding the folder updates the package; deleting the .pth file undoes this.
# Usage: python/install-dev.sh [BUILD_DIR]   (default: build)
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(cd "${1:-build}" && pwd)/python"
if [ ! -d "$root/crossenc" ]; then
  echo "[python] $root/crossenc missing: build with -DCROSSENC_PYTHON=ON first" >&2
  exit 1
fi
site=$(/usr/bin/python3 -c 'import site; print(site.getsitepackages()[0])')
sudo=""
[ -w "$site" ] || [ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo mkdir -p "$site"
echo "$root" | $sudo tee "$site/crossenc-build.pth" >/dev/null
/usr/bin/python3 -c 'import crossenc; print("[python] import crossenc ->", crossenc.__file__)'
