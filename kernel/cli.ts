/**
 * The `tslens` command:
 *   tslens kernel <connection_file>                   run the kernel (Jupyter calls this)
 *   tslens install [--user | --sys-prefix | --prefix DIR] [--name NAME]
 *                                                     the kernelspec and the views' JupyterLab extension
 *   tslens lab [jupyter lab args…]                    JupyterLab from the project's .venv on notebooks/
 *   tslens build-native                               builds @tensorflow/tfjs-node's native binding offline
 *   tslens export NOTEBOOK [-o OUT.html] [--execute [--fail-on-error]] [--live]
 *                                                     one HTML file that shows the notebook's widgets offline;
 *                                                     --live: its induction and logit-lens views recompute typed prompts in the page
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { InstallTarget, installKernelSpec, installLabExtension } from "./install";
import { PACKAGE_ROOT } from "./resolve";

const USAGE = `usage:
  tslens kernel <connection_file>
  tslens install [--user | --sys-prefix | --prefix DIR] [--name NAME]
  tslens lab [jupyter lab options]
  tslens build-native
  tslens export NOTEBOOK [-o OUT.html] [--execute [--fail-on-error]] [--live]`;

function parseInstallArgs(args: string[]): { target: InstallTarget; name: string } {
  let target: InstallTarget = { kind: "user" };
  let name = "tslens";
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--user") target = { kind: "user" };
    else if (arg === "--sys-prefix") target = { kind: "sys-prefix" };
    else if (arg === "--prefix" || arg === "--name") {
      const value = args[++i];
      if (!value) throw new Error(`${arg} needs a value`);
      if (arg === "--prefix") target = { kind: "prefix", dir: value };
      else name = value;
    } else throw new Error(`unknown option ${arg}`);
  }
  return { target, name };
}

/** Starts JupyterLab from .venv on notebooks/, with the project's kernelspec and settings. */
function lab(args: string[]): void {
  const venvBin = path.join(PACKAGE_ROOT, ".venv", "bin");
  const jupyter = path.join(venvBin, "jupyter");
  if (!fs.existsSync(jupyter))
    throw new Error(
      `${jupyter} not found: in a checkout, run "npm run setup" first; ` +
        `with tslens installed from npm, run "npx tslens install" and start your own JupyterLab`,
    );
  const defaults = [
    `--notebook-dir=${path.join(PACKAGE_ROOT, "notebooks")}`,
    "--MappingKernelManager.default_kernel_name=tslens",
    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ...(process.getuid?.() === 0 ? ["--allow-root"] : []),
  ];
  const child = spawn(jupyter, ["lab", ...defaults, ...args], {
    stdio: "inherit",
    env: { ...process.env, PATH: `${venvBin}${path.delimiter}${process.env.PATH ?? ""}`, VIRTUAL_ENV: path.dirname(venvBin) },
  });
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => child.kill(sig));
}

/**
 * Writes NOTEBOOK as one HTML file (default: next to it, .html) whose widgets render offline from the saved widget
 * state, with the widget bundle inlined; --execute runs the notebook first, which saves that state. A failing cell
 * is exported with its error and named on stderr (exit 0, as nbconvert's --allow-errors, which is also accepted);
 * with --fail-on-error it stops the export: no HTML, exit 1. With --live the page embeds tslens live's engine and the
 * models of its induction and logit-lens views, which then recompute a typed prompt in the reader's browser
 * (scripts/export/live.py).
 */
function exportHtml(args: string[]): void {
  let notebook: string | undefined;
  let out: string | undefined;
  let execute = false;
  let failOnError = false;
  let live = false;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--execute") execute = true;
    else if (args[i] === "--fail-on-error") failOnError = true;
    else if (args[i] === "--live") live = true;
    else if (args[i] === "--allow-errors") failOnError = false;
    else if (args[i] === "-o") {
      out = args[++i];
      if (!out) throw new Error("-o needs a file name");
    } else if (!notebook && !args[i].startsWith("-")) notebook = args[i];
    else throw new Error(`unknown argument ${args[i]}`);
  }
  if (!notebook)
    throw new Error("export needs a notebook: tslens export NOTEBOOK [-o OUT.html] [--execute [--fail-on-error]] [--live]");
  if (failOnError && !execute) throw new Error("--fail-on-error applies to --execute (a run of the notebook)");
  if (!fs.existsSync(notebook)) throw new Error(`${notebook} not found`);
  const bundle = path.join(PACKAGE_ROOT, "widgets", "embed");
  if (!fs.existsSync(path.join(bundle, "tslens-embed.js")))
    throw new Error(`the export needs ${path.join(bundle, "tslens-embed.js")}: run "npm run setup" first`);
  const liveBundle = path.join(PACKAGE_ROOT, "dist", "live", "tslens-live.js");
  if (live && !fs.existsSync(liveBundle))
    throw new Error(`--live needs tslens live's engine, ${liveBundle}: run "npm run build:live" first`);
  const python = exportPython();
  const target = out ?? notebook.replace(/\.ipynb$/, "") + ".html";
  const script = path.join(PACKAGE_ROOT, "scripts", "export", "export_html.py");
  const flags = [
    ...(execute ? ["--execute"] : []),
    ...(failOnError ? ["--fail-on-error"] : []),
    ...(live ? [`--live=${liveBundle}`] : []),
  ];
  const child = spawn(python, [script, notebook, target, bundle, ...flags], {
    stdio: "inherit",
    // A Python given by path puts its own bin/ (jupyter, the kernel manager's helpers) first.
    env: python.includes(path.sep)
      ? { ...process.env, PATH: `${path.dirname(python)}${path.delimiter}${process.env.PATH ?? ""}` }
      : process.env,
  });
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

/** The Python that runs the export: $TSLENS_PYTHON, else the checkout's .venv, else python3; it must have nbconvert. */
function exportPython(): string {
  const venv = path.join(PACKAGE_ROOT, ".venv", "bin", "python");
  const python = process.env.TSLENS_PYTHON || (fs.existsSync(venv) ? venv : "python3");
  const check = spawnSync(python, ["-c", "import nbconvert, nbclient, nbformat"], { encoding: "utf8" });
  if (check.status !== 0)
    throw new Error(
      `the export needs a Python with nbconvert and nbclient, and ${python} ` +
        `${check.error ? "could not run" : "lacks them"} (pip install nbconvert nbclient ipywidgets, ` +
        `or set TSLENS_PYTHON to a Python that has them; in a checkout "npm run setup" makes .venv)`,
    );
  return python;
}

/** Where `pkg` is installed, as Node finds it from tslens's folder, or undefined. */
function installedAt(pkg: string): string | undefined {
  try {
    return path.dirname(require.resolve(`${pkg}/package.json`, { paths: [PACKAGE_ROOT] }));
  } catch {
    return undefined;
  }
}

/**
 * Builds tfjs-node's native binding offline with scripts/build-tfjs-native.sh (libtensorflow from the tensorflow-cpu
 * wheel, which pip fetches). When npm left the package out (its optional install could not download libtensorflow),
 * installs it first without its install script, in the project that holds tslens.
 */
function buildNative(args: string[]): void {
  if (args.length > 0) throw new Error(`build-native takes no arguments, got ${args.join(" ")}`);
  const pkg = process.env.TFJS_NODE_PACKAGE || "@tensorflow/tfjs-node";
  if (!installedAt(pkg)) {
    const modules = path.dirname(PACKAGE_ROOT); // an installed tslens sits in <project>/node_modules/tslens
    if (path.basename(modules) !== "node_modules")
      throw new Error(`${pkg} is not installed: run "npm ci" (a checkout) or "npm install --ignore-scripts ${pkg}@4.22.0"`);
    const own = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, "package.json"), "utf8")) as {
      optionalDependencies?: Record<string, string>;
    };
    const spec = `${pkg}@${own.optionalDependencies?.["@tensorflow/tfjs-node"] ?? "4.22.0"}`;
    const project = path.dirname(modules);
    console.error(`[tslens build-native] installing ${spec} in ${project} without its install script`);
    const npm = spawnSync("npm", ["install", "--no-save", "--ignore-scripts", "--no-audit", "--no-fund", spec], {
      cwd: project,
      stdio: "inherit",
    });
    if (npm.status !== 0 || !installedAt(pkg)) throw new Error(`npm install ${spec} in ${project} failed (see above)`);
  }
  const script = path.join(PACKAGE_ROOT, "scripts", "build-tfjs-native.sh");
  const build = spawnSync("bash", [script], {
    stdio: "inherit",
    env: { ...process.env, TFJS_NODE_PACKAGE: pkg, TFJS_NODE_DIR: installedAt(pkg) },
  });
  if (build.status !== 0) throw new Error(`${script} failed (see above)`);
  console.error(`[tslens build-native] ${pkg} loads: tslens now runs on the native "tensorflow" backend`);
}

/** Entry point of bin/tslens.js. */
export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  try {
    if (command === "kernel") {
      if (rest.length !== 1) throw new Error("kernel needs exactly one argument: the connection file");
      const { runKernel } = await import("./main");
      await runKernel(rest[0]);
    } else if (command === "install") {
      const { target, name } = parseInstallArgs(rest);
      const extension = installLabExtension(target); // first: a package without the extension installs nothing
      console.log(`installed kernelspec "${name}" in ${installKernelSpec(target, name)}`);
      console.log(`installed the views' JupyterLab extension in ${extension}`);
      console.log("(the views need ipywidgets 8 in that Jupyter: pip install ipywidgets)");
    } else if (command === "lab") {
      lab(rest);
    } else if (command === "export") {
      exportHtml(rest);
    } else if (command === "build-native") {
      buildNative(rest);
    } else {
      console.error(USAGE);
      process.exitCode = command === undefined || command === "--help" || command === "-h" ? 0 : 2;
    }
  } catch (err) {
    console.error(`tslens ${command}: ${(err as Error).message}`);
    process.exit(1);
  }
}
