#!/usr/bin/env bash
# Builds @tensorflow/tfjs-node's native binding offline (the stock install downloads libtensorflow from a host these
# machines cannot reach). Recipe (design.md, "Backends"):
#   1. pip download the tensorflow-cpu 2.21 wheel (cached in .cache/tfjs-native/)
#   2. take libtensorflow_cc.so.2, libtensorflow_framework.so.2 and the C API headers (tensorflow/c/**, plus whatever
#      the binding's own #includes reach) out of it, into node_modules/@tensorflow/tfjs-node/deps/{lib,include}
#   3. symlink libtensorflow.so and libtensorflow.so.2 to libtensorflow_cc.so.2
#   4. node-gyp rebuild against the local Node headers (no header download), binding → lib/napi-v<N>/tfjs_binding.node
# Does nothing when the binding already loads. Env: TF_WHEEL_SPEC (default tensorflow-cpu==2.21.*), PYTHON, and
# TFJS_NODE_PACKAGE (default @tensorflow/tfjs-node; the GPU route is @tensorflow/tfjs-node-gpu with tensorflow==2.21.*).
# Works from a checkout and from an installed tslens (`npx tslens build-native`): the package is found the way Node
# finds it from tslens's folder (TFJS_NODE_DIR overrides), and the wheel is cached in .cache/tfjs-native/ in a checkout,
# else in ${XDG_CACHE_HOME:-~/.cache}/tslens/tfjs-native/ (TSLENS_CACHE_DIR overrides).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
say() { echo "[tfjs-native] $*"; }
die() {
  echo "[tfjs-native] FAILED: $*" >&2
  exit 1
}

package=${TFJS_NODE_PACKAGE:-@tensorflow/tfjs-node}
pkg=${TFJS_NODE_DIR:-$(node -e 'try { console.log(require("path").dirname(require.resolve(process.argv[1] + "/package.json", { paths: [process.cwd()] }))) } catch {}' "$package")}
[ -n "$pkg" ] && [ -f "$pkg/binding.gyp" ] ||
  die "$package is not installed: run npm ci first in a checkout, or \`npx tslens build-native\` (which installs it without its download script; for the GPU build: npm install --ignore-scripts $package@4.22.0)"
loads() { TF_CPP_MIN_LOG_LEVEL=3 node -e 'require(process.argv[1])' "$pkg" >/dev/null 2>&1; }
if loads; then
  exit 0 # already built: keep setup fast and quiet
fi

spec=${TF_WHEEL_SPEC:-tensorflow-cpu==2.21.*}
case "$PWD" in
*/node_modules/*) cache=${TSLENS_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tslens/tfjs-native} ;;
*) cache=${TSLENS_CACHE_DIR:-.cache/tfjs-native} ;;
esac
if [ -x .venv/bin/python ]; then python=.venv/bin/python; else python=${PYTHON:-python3}; fi
command -v "$python" >/dev/null || die "no python ($python) to run pip with"

# 1. The wheel (one per spec; the libraries inside do not depend on the Python version).
wheel_dir="$cache/wheel/$(echo "$spec" | tr -c 'A-Za-z0-9.=_-' '_')"
wheel=$(ls "$wheel_dir"/*.whl 2>/dev/null | head -n1 || true)
if [ -z "$wheel" ]; then
  say "downloading the $spec wheel with pip (~270 MB)"
  mkdir -p "$wheel_dir"
  "$python" -m pip download --quiet --disable-pip-version-check --no-deps "$spec" -d "$wheel_dir" >"$wheel_dir/pip.log" 2>&1 ||
    die "pip download $spec failed (is PyPI reachable? a wheel for $("$python" --version) here?): $(tail -n 5 "$wheel_dir/pip.log")"
  wheel=$(ls "$wheel_dir"/*.whl 2>/dev/null | head -n1 || true)
  [ -n "$wheel" ] || die "pip download $spec left no .whl in $wheel_dir"
fi

# 2. Libraries and headers, extracted once per wheel.
extracted="$cache/extracted/$(basename "$wheel" .whl)"
if [ ! -f "$extracted/.done" ]; then
  say "extracting libtensorflow and the C API headers from $(basename "$wheel")"
  rm -rf "$extracted"
  "$python" - "$wheel" "$extracted" "$pkg/binding" <<'PY' || die "could not extract libtensorflow from $wheel"
import os, re, shutil, sys, zipfile
wheel, out, binding = sys.argv[1:4]
z = zipfile.ZipFile(wheel)
names = set(z.namelist())
for lib in ("libtensorflow_cc.so.2", "libtensorflow_framework.so.2"):
    src = "tensorflow/" + lib
    if src not in names:
        sys.exit(f"{src} is not in the wheel")
    os.makedirs(f"{out}/lib", exist_ok=True)
    with z.open(src) as f, open(f"{out}/lib/{lib}", "wb") as g:
        shutil.copyfileobj(f, g, 1 << 24)
inc = "tensorflow/include/"
# Every tensorflow/c header, plus the headers the binding's #includes reach (transitively) inside the wheel.
wanted = {n[len(inc):] for n in names if n.startswith(inc + "tensorflow/c/") and n.endswith(".h")}
todo = [h for src in os.listdir(binding) for h in re.findall(r'#include\s+"([^"]+)"', open(os.path.join(binding, src)).read())]
seen = set()
while todo:
    h = todo.pop()
    if h in seen or inc + h not in names:
        continue
    seen.add(h)
    todo += re.findall(r'#include\s+"([^"]+)"', z.read(inc + h).decode("utf-8", "replace"))
for h in sorted(wanted | seen):
    os.makedirs(os.path.dirname(f"{out}/include/{h}"), exist_ok=True)
    with open(f"{out}/include/{h}", "wb") as g:
        g.write(z.read(inc + h))
for needed in ("tensorflow/c/c_api.h", "tensorflow/c/eager/c_api.h"):
    if needed not in seen:
        sys.exit(f"{inc}{needed} is not in the wheel")
print(f"[tfjs-native] {len(wanted | seen)} headers")
PY
  touch "$extracted/.done"
fi

# 3. deps/lib and deps/include inside the package (hard links: no second copy of the 850 MB).
say "placing libtensorflow in $pkg/deps"
rm -rf "$pkg/deps" "$pkg/build"
mkdir -p "$pkg/deps/lib"
for lib in libtensorflow_cc.so.2 libtensorflow_framework.so.2; do
  ln -f "$extracted/lib/$lib" "$pkg/deps/lib/$lib" 2>/dev/null || cp "$extracted/lib/$lib" "$pkg/deps/lib/$lib" ||
    die "could not copy $lib into $pkg/deps/lib"
done
ln -s libtensorflow_cc.so.2 "$pkg/deps/lib/libtensorflow.so.2"
ln -s libtensorflow_cc.so.2 "$pkg/deps/lib/libtensorflow.so"
ln -s libtensorflow_framework.so.2 "$pkg/deps/lib/libtensorflow_framework.so"
cp -r "$extracted/include" "$pkg/deps/include"

# 4. Compile. Node headers come from this Node's own prefix (e.g. /usr/include/node), so node-gyp downloads nothing.
nodedir=$(node -p 'require("path").resolve(process.execPath, "..", "..")')
[ -f "$nodedir/include/node/node_api.h" ] && [ -f "$nodedir/include/node/common.gypi" ] ||
  die "Node's headers are not at $nodedir/include/node (on Debian: apt-get install libnode-dev / nodejs-dev)"
# The path tfjs-node will look for (node-pre-gyp picks the highest N-API version this Node supports).
binding=$(cd "$pkg" && node -p 'require("@mapbox/node-pre-gyp").find(require("path").resolve("package.json"))') ||
  die "could not ask @mapbox/node-pre-gyp where tfjs-node expects its binding"
napi=$(basename "$(dirname "$binding")")
napi=${napi#napi-v}
gyp="$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js"
[ -f "$gyp" ] || die "npm's bundled node-gyp is not at $gyp"
say "compiling the binding (node-gyp $(node "$gyp" --version), Node headers from $nodedir, N-API $napi)"
log=$(mktemp)
if ! (cd "$pkg" && node "$gyp" rebuild --nodedir="$nodedir" --jobs=max \
  --module_name=tfjs_binding --module_path="lib/napi-v$napi" --napi_build_version="$napi") >"$log" 2>&1; then
  tail -n 40 "$log" >&2
  die "node-gyp rebuild failed (full log: $log)"
fi
rm -f "$log"
mkdir -p "$(dirname "$binding")"
[ -f "$binding" ] || cp "$pkg/build/Release/tfjs_binding.node" "$binding" || die "no binding at $binding after the build"

# 5. Verify: the package loads and runs a matmul on the native backend.
err=$(mktemp)
version=$(TF_CPP_MIN_LOG_LEVEL=3 node -e '
  const tf = require(process.argv[1]);
  const y = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5], [6]])).dataSync();
  if (tf.getBackend() !== "tensorflow" || y[0] !== 17 || y[1] !== 39) throw new Error(`got ${tf.getBackend()} ${y}`);
  console.log(tf.backend().binding.TF_Version);' "$pkg" 2>"$err") || die "the binding was built but does not work: $(tail -n 20 "$err")"
rm -f "$err"
say "built $binding against TensorFlow $version in $((SECONDS - start)) s"
