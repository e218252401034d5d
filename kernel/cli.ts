/**
 * The `tslens` command:
 *   tslens kernel <connection_file>                   run the kernel (Jupyter calls this)
 *   tslens install [--user | --sys-prefix | --prefix DIR] [--name NAME]
 *   tslens lab [jupyter lab args…]                    JupyterLab from the project's .venv on notebooks/
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { InstallTarget, installKernelSpec } from "./install";
import { PACKAGE_ROOT } from "./resolve";

const USAGE = `usage:
  tslens kernel <connection_file>
  tslens install [--user | --sys-prefix | --prefix DIR] [--name NAME]
  tslens lab [jupyter lab options]`;

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
      console.log(`installed kernelspec "${name}" in ${installKernelSpec(target, name)}`);
    } else if (command === "lab") {
      lab(rest);
    } else {
      console.error(USAGE);
      process.exitCode = command === undefined || command === "--help" || command === "-h" ? 0 : 2;
    }
  } catch (err) {
    console.error(`tslens ${command}: ${(err as Error).message}`);
    process.exit(1);
  }
}
