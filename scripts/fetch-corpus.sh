#!/usr/bin/env bash
# Builds the training corpus of the embedded models: the Python standard library's
# source (.py files, PSF licence) from Debian's libpython3.11-stdlib package,
# concatenated in byte order of their paths. Prints the corpus's sha256, which
# the model cards record.
#   bash scripts/fetch-corpus.sh [OUT_DIR]     (default .cache/corpus)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-.cache/corpus}
package=libpython3.11-stdlib
version=${CORPUS_PACKAGE_VERSION:-3.11.2-6+deb12u9}
mkdir -p "$out"
if [ ! -f "$out/corpus.txt" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && apt-get download "$package=$version" >/dev/null 2>&1 || { apt-get update -qq && apt-get download "$package=$version"; })
  dpkg-deb -x "$work"/*.deb "$work/root"
  (cd "$work/root/usr/lib/python3.11" && find . -type f -name '*.py' -not -path './test/*' -not -path '*/tests/*' -not -path './idlelib/idle_test/*' | LC_ALL=C sort | while read -r f; do cat "$f"; printf '\n'; done) > "$out/corpus.txt.partial"
  mv "$out/corpus.txt.partial" "$out/corpus.txt"
  echo "$package $version" > "$out/SOURCE"
fi
echo "corpus: $out/corpus.txt ($(wc -c < "$out/corpus.txt") bytes) from $(cat "$out/SOURCE")"
echo "sha256: $(sha256sum "$out/corpus.txt" | cut -d' ' -f1)"
