#!/usr/bin/env bash
# Sets up tslens on this machine; safe to re-run (finished steps are skipped).
#   1. npm dependencies (npm ci)            3. .venv with JupyterLab 4, Notebook 7, ipywidgets 8, nbclient, nbconvert
#   2. TypeScript build (dist/)             4. the widget views (widgets/): a prebuilt JupyterLab extension
#                                              and tslens live's page engine (dist/live, npm run build:live)
#                                           5. `tslens install --prefix .venv`: the "tslens" kernelspec and the views'
#                                              extension, inside .venv (as it installs them into any Jupyter)
# With --for-tests it also installs Debian's chromium for the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
for_tests=0
[ "${1:-}" = "--for-tests" ] && for_tests=1
python=${PYTHON:-python3}
say() { echo "[tslens setup] $*"; }

stamp=node_modules/.tslens-npm-ci
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  say "installing npm packages"
  npm ci --ignore-scripts --no-audit --no-fund
  touch "$stamp"
fi

say "building TypeScript"
npx tsc -p tsconfig.json
bash scripts/build-tfjs-native.sh # native TensorFlow for @tensorflow/tfjs-node (skipped when it already loads)

venv_stamp=.venv/.tslens-requirements
if [ ! -x .venv/bin/jupyter ] || [ ! -f "$venv_stamp" ] || [ requirements-jupyter.txt -nt "$venv_stamp" ]; then
  say "creating .venv with Jupyter ($("$python" --version))"
  "$python" -m venv .venv
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-jupyter.txt
  touch "$venv_stamp"
fi

# The widget views: a JupyterLab 4 prebuilt extension, built offline against the installed JupyterLab's core
# packages (widgets/labextension; `tslens install` copies it next to the kernelspec, where the ipywidgets manager
# loads it).
widgets_stamp=widgets/node_modules/.tslens-npm-ci
if [ ! -f "$widgets_stamp" ] || [ widgets/package-lock.json -nt "$widgets_stamp" ]; then
  say "installing the widget views' npm packages"
  (cd widgets && npm ci --no-audit --no-fund)
  touch "$widgets_stamp"
fi
say "building the widget views"
core_package=$(.venv/bin/python -c "import jupyterlab, os; print(os.path.join(os.path.dirname(jupyterlab.__file__), 'staging', 'package.json'))")
build_log=$(mktemp)
if ! (cd widgets && PATH="$PWD/../.venv/bin:$PATH" JUPYTERLAB_CORE_PACKAGE="$core_package" npm run --silent build >"$build_log" 2>&1); then
  cat "$build_log" >&2
  rm -f "$build_log"
  say "the widget views did not build (errors above)"
  exit 1
fi
rm -f "$build_log"

say "building tslens live, the engine of \`tslens export --live\` pages (dist/live)"
node live/build.js | while read -r line; do say "$line"; done

node bin/tslens.js install --prefix .venv | grep '^installed' | while read -r line; do say "$line"; done
say "kernelspec: $(.venv/bin/jupyter kernelspec list | grep -E '^\s*tslens\s' | xargs)"

if [ "$for_tests" = 1 ] && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian's chromium for the browser tests"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    say "the browser tests need /usr/bin/chromium: install Debian's chromium package (sudo apt-get install chromium)"
    exit 1
  fi
fi
say "done"
