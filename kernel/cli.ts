/**
 * The `tslens` command:
 *   tslens kernel <connection_file>                   run the kernel (Jupyter calls this)
 *   tslens install [--user | --sys-prefix | --prefix DIR] [--name NAME]
 *                                                     the kernelspec and the views' JupyterLab extension
 *   tslens lab [jupyter lab args…]                    JupyterLab from the project's .venv on notebooks/
 *   tslens export NOTEBOOK [-o OUT.html] [--execute [--fail-on-error]]
 *                                                     one HTML file that shows the notebook's widgets offline
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { InstallTarget, installKernelSpec, installLabExtension } from "./install";
import { PACKAGE_ROOT } from "./resolve";

const USAGE = `usage:
  tslens kernel <connection_file>
  tslens install [--user | --sys-prefix | --prefix DIR] [--name NAME]
  tslens lab [jupyter lab options]
  tslens export NOTEBOOK [-o OUT.html] [--execute [--fail-on-error]]`;

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
  if (!fs.existsSync(jupyter)) throw new Error(`${jupyter} not found: run "npm run setup" first`);
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
 * with --fail-on-error it stops the export: no HTML, exit 1.
 */
function exportHtml(args: string[]): void {
  let notebook: string | undefined;
  let out: string | undefined;
  let execute = false;
  let failOnError = false;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--execute") execute = true;
    else if (args[i] === "--fail-on-error") failOnError = true;
    else if (args[i] === "--allow-errors") failOnError = false;
    else if (args[i] === "-o") {
      out = args[++i];
      if (!out) throw new Error("-o needs a file name");
    } else if (!notebook && !args[i].startsWith("-")) notebook = args[i];
    else throw new Error(`unknown argument ${args[i]}`);
  }
  if (!notebook) throw new Error("export needs a notebook: tslens export NOTEBOOK [-o OUT.html] [--execute [--fail-on-error]]");
  if (failOnError && !execute) throw new Error("--fail-on-error applies to --execute (a run of the notebook)");
  if (!fs.existsSync(notebook)) throw new Error(`${notebook} not found`);
  const python = path.join(PACKAGE_ROOT, ".venv", "bin", "python");
  const bundle = path.join(PACKAGE_ROOT, "widgets", "embed");
  if (!fs.existsSync(python) || !fs.existsSync(path.join(bundle, "tslens-embed.js")))
    throw new Error(`the export needs .venv and widgets/embed/tslens-embed.js: run "npm run setup" first`);
  const target = out ?? notebook.replace(/\.ipynb$/, "") + ".html";
  const script = path.join(PACKAGE_ROOT, "scripts", "export", "export_html.py");
  const flags = [...(execute ? ["--execute"] : []), ...(failOnError ? ["--fail-on-error"] : [])];
  const child = spawn(python, [script, notebook, target, bundle, ...flags], {
    stdio: "inherit",
    env: { ...process.env, PATH: `${path.dirname(python)}${path.delimiter}${process.env.PATH ?? ""}` },
  });
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
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
    } else {
      console.error(USAGE);
      process.exitCode = command === undefined || command === "--help" || command === "-h" ? 0 : 2;
    }
  } catch (err) {
    console.error(`tslens ${command}: ${(err as Error).message}`);
    process.exit(1);
  }
}
