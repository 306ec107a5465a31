#!/usr/bin/env bash
# Install everything iotvet needs on a fresh Debian/Ubuntu machine: the Debian tools unblob calls
# for extraction (see README "Extraction tools"), and a Python virtual environment in .venv with
# iotvet and its development tools. Safe to run again: it only adds what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  # extraction back-ends used by unblob (unblob --show-external-dependencies)
  p7zip-full erofs-utils lziprecover lzop partclone android-sdk-libsparse-utils unar
  squashfs-tools cpio mtd-utils u-boot-tools e2fsprogs zstd lz4 xz-utils
  libmagic1 libcrypt1
  # tools the tests call: openssl (password hashes), mksquashfs (squashfs-tools, above)
  openssl
  # PDF rendering (WeasyPrint) and PDF → PNG checks in the tests
  poppler-utils libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fonts-dejavu-core
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e ".[dev]"
echo "iotvet $(.venv/bin/iotvet version) ready in .venv"
