#!/bin/sh
# Fetches ARM's CMSIS-DSP C sources (Apache-2.0) from the `cmsisdsp` source distribution on
# PyPI, the registry package that carries them, checks its SHA-256, and unpacks Include/,
# PrivateInclude/ and Source/ into DEST. Nothing else is needed to build the on-MCU FFT.
#
#   sh fetch-cmsis-dsp.sh DEST
set -eu
version=1.10.3
sha256=307d32298faa7c58db912851027fce35f886fec7eb1a27c4b309ce1a97f47519
url="https://files.pythonhosted.org/packages/2c/ec/0decbb48985d2eb98739a9bbf4ba090278cc492a7c1a5d5b907e8baf67b5/cmsisdsp-$version.tar.gz"
dest="$1"
if [ -f "$dest/.version" ] && [ "$(cat "$dest/.version")" = "$version" ]; then
    exit 0
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
curl -fsSL --retry 3 -o "$tmp/cmsisdsp.tar.gz" "$url"
echo "$sha256  $tmp/cmsisdsp.tar.gz" | sha256sum -c - >/dev/null
tar -xzf "$tmp/cmsisdsp.tar.gz" -C "$tmp"
mkdir -p "$dest"
for part in Include PrivateInclude Source LICENSE; do
    rm -rf "${dest:?}/$part"
    cp -R "$tmp/cmsisdsp-$version/$part" "$dest/"
done
echo "$version" > "$dest/.version"
