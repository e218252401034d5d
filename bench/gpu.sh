#!/usr/bin/env bash
# The engine benchmark on an NVIDIA GPU: builds tfjs-node-gpu by the README's route (scripts/build-tfjs-native.sh
# against the GPU TensorFlow wheel), then runs `npm run bench` (and, with --compare, TransformerLens on the GPU too)
# and prints the JSON.
#
#   bash bench/gpu.sh                    # tslens on the GPU: forward and forward + full cache at 1×128 and 1×1024
#   bash bench/gpu.sh --compare tl       # side by side with TransformerLens 3.9 (torch with CUDA, see below)
#
# UNTESTED: the machines this was written on have no GPU. Every step is one this project runs on the CPU (the same
# build script with another wheel and package, the same bench), but nothing here has been run on a GPU.
#
# Needs: an NVIDIA driver new enough for the CUDA that the tensorflow 2.21 wheel ships against (pip brings the CUDA
# libraries as nvidia-* wheels with `tensorflow[and-cuda]`), node ≥ 20, python3 with pip, a C++ compiler (node-gyp).
# Env: TF_WHEEL_SPEC (default tensorflow[and-cuda]==2.21.*), BENCH_ARGS (extra arguments for the bench).
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "[bench-gpu] $*" >&2; }

command -v nvidia-smi >/dev/null || { say "no nvidia-smi: this script needs an NVIDIA GPU and its driver"; exit 1; }
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader >&2

# 1. Dependencies, and tfjs-node-gpu without its install script (which downloads libtensorflow from a host that may
#    be unreachable; the build script below makes the binding from the wheel instead).
[ -d node_modules ] || npm ci
if [ ! -f node_modules/@tensorflow/tfjs-node-gpu/binding.gyp ]; then
  say "installing @tensorflow/tfjs-node-gpu@4.22.0 (no scripts, not saved to package.json)"
  npm install --no-save --ignore-scripts @tensorflow/tfjs-node-gpu@4.22.0
fi

# 2. The binding, built against the GPU TensorFlow wheel's libtensorflow (the README's "native backend" route).
TFJS_NODE_PACKAGE=@tensorflow/tfjs-node-gpu TF_WHEEL_SPEC=${TF_WHEEL_SPEC:-"tensorflow[and-cuda]==2.21.*"} \
  bash scripts/build-tfjs-native.sh >&2

# The CUDA libraries of the wheel's nvidia-* dependencies, where libtensorflow finds them at run time.
venv_py=.venv/bin/python
[ -x "$venv_py" ] || venv_py=python3
nvidia_libs=$("$venv_py" - <<'PY' 2>/dev/null || true
import glob, os, site
dirs = []
for root in site.getsitepackages() + [site.getusersitepackages()]:
    dirs += glob.glob(os.path.join(root, "nvidia", "*", "lib"))
print(":".join(dirs))
PY
)
export LD_LIBRARY_PATH="${nvidia_libs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

# 3. Check that TensorFlow sees the GPU before timing anything.
npx tsc -p tsconfig.json >&2
TSLENS_BACKEND=tensorflow node -e '
  const lens = require("./dist/src");
  const info = lens.backendInfo();
  if (info.package !== "@tensorflow/tfjs-node-gpu") { console.error("tfjs-node-gpu did not load: " + JSON.stringify(info)); process.exit(1); }
  console.error("[bench-gpu] backend: " + info.package);
' >&2

# 4. The bench. With --compare tl, TransformerLens runs on torch's default device in .venv-bench; install a CUDA torch
#    there first (pip install torch==2.13.0 --index-url of your CUDA build) or it measures the CPU.
if [ "${1:-}" = "--compare" ]; then
  say "TransformerLens side: .venv-bench (install a CUDA torch there for a GPU-to-GPU comparison)"
  node bench/compare.js --setup-only
  device=$(.venv-bench/bin/python -c 'import torch; print("cuda" if torch.cuda.is_available() else "cpu")')
  say "TransformerLens runs on: $device"
  BENCH_TORCH_DEVICE=$device TSLENS_BACKEND=tensorflow node bench/compare.js "$@" ${BENCH_ARGS:-}
else
  TSLENS_BACKEND=tensorflow node bench/engine.js --backends tensorflow "$@" ${BENCH_ARGS:-}
fi
