/**
 * Starts and stops a private JupyterLab server for browser tests: .venv's
 * `jupyter lab` on a free 127.0.0.1 port with a random token, in its own
 * process group, with every Jupyter directory (config, data, runtime, user
 * settings, workspaces) in a temp dir so it neither reads nor writes the
 * user's state, and with news and update checks off so it stays offline.
 * The same server serves Notebook 7's UI (/notebooks/<path>), with the same
 * user settings and window.jupyterapp exposed too. With `dataPath` the tslens
 * kernelspec and the tslens-widgets extension come from that Jupyter data dir
 * (as `tslens install --prefix` writes it) rather than from .venv.
 */
import { ChildProcess, spawn } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { eventually } from "./wait";

export const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");
const JUPYTER = path.join(REPO_ROOT, ".venv", "bin", "jupyter");
const STARTUP_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 15_000;

/** Servers (pid = process group id) still to kill if the test process exits without stop(). */
const liveGroups = new Set<number>();
process.on("exit", () => {
  for (const pgid of liveGroups) {
    for (const kernel of kernelPids(pgid)) killGroup(kernel, "SIGKILL");
    killGroup(pgid, "SIGKILL");
  }
});

/** Signals process group `pgid` (signal 0: only checks that it exists); false if there is no such group. */
function killGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

function groupAlive(pgid: number): boolean {
  return killGroup(pgid, 0);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * PIDs of the kernels of server `pid`: its direct children, and processes whose
 * JPY_PARENT_PID is `pid` (found even after the server died). Each kernel leads
 * its own process group. Empty where there is no /proc.
 */
function kernelPids(pid: number): number[] {
  const children: number[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync("/proc");
  } catch {
    return children;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      // Fields after the parenthesised command name: state ppid pgrp ...
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (
        Number(fields[1]) === pid ||
        fs.readFileSync(`/proc/${entry}/environ`, "latin1").split("\0").includes(`JPY_PARENT_PID=${pid}`)
      ) {
        children.push(Number(entry));
      }
    } catch {
      // The process ended while we looked.
    }
  }
  return children;
}

/**
 * The labextensions dirs of a server on `dataPath`: its own, then a folder in `stateDir` linking every extension of
 * .venv's except tslens-widgets (the widget manager and the rest stay; tslens's views can only come from `dataPath`).
 */
function labExtensionsPath(dataPath: string, stateDir: string): string[] {
  const venvExtensions = path.join(REPO_ROOT, ".venv", "share", "jupyter", "labextensions");
  const others = path.join(stateDir, "venv-labextensions");
  fs.mkdirSync(others, { recursive: true });
  for (const entry of fs.readdirSync(venvExtensions))
    if (entry !== "tslens-widgets") fs.symlinkSync(path.join(venvExtensions, entry), path.join(others, entry));
  return [path.join(dataPath, "labextensions"), others];
}

function writeJson(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(value, null, 2));
}

export interface LabServerOptions {
  /** The server's root_dir (where the notebooks are). */
  rootDir: string;
  /** Also append the server's output to this file. */
  logFile?: string;
  /**
   * A Jupyter data dir (e.g. <prefix>/share/jupyter) put first on JUPYTER_PATH, so its kernelspecs win; JupyterLab
   * takes its prebuilt extensions from there and from .venv's, leaving out .venv's own copy of tslens-widgets.
   */
  dataPath?: string;
}

export interface HttpResult {
  status: number;
  body: string;
}

/** A running `jupyter lab`. */
export class LabServer {
  /** Everything the server printed (stdout and stderr interleaved). */
  log = "";
  private exitInfo: string | undefined;
  private readonly kernelGroups = new Set<number>();

  private constructor(
    readonly port: number,
    readonly token: string,
    readonly rootDir: string,
    private readonly stateDir: string,
    private readonly child: ChildProcess,
    private readonly logFile: string | undefined,
  ) {
    const append = (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      this.log += text;
      if (this.logFile) fs.appendFileSync(this.logFile, text);
    };
    child.stdout?.on("data", append);
    child.stderr?.on("data", append);
    child.on("exit", (code, signal) => {
      this.exitInfo = `exited with code ${code} signal ${signal}`;
      liveGroups.delete(child.pid!);
    });
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** URL of a path under the server, with the token. */
  url(pathname: string): string {
    const sep = pathname.includes("?") ? "&" : "?";
    return `${this.baseUrl}${pathname}${sep}token=${this.token}`;
  }

  /** The last `lines` lines of the server log. */
  logTail(lines = 60): string {
    return this.log.split("\n").slice(-lines).join("\n");
  }

  static async start(options: LabServerOptions): Promise<LabServer> {
    if (!fs.existsSync(JUPYTER)) throw new Error(`${JUPYTER} not found: run \`bash scripts/setup.sh --for-tests\` first`);
    const port = await freePort();
    const token = randomBytes(24).toString("hex");
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "tslens-lab-state-"));
    const dirs = {
      config: path.join(stateDir, "config"),
      data: path.join(stateDir, "data"),
      runtime: path.join(stateDir, "runtime"),
      settings: path.join(stateDir, "user-settings"),
      workspaces: path.join(stateDir, "workspaces"),
    };
    for (const dir of Object.values(dirs)) fs.mkdirSync(dir, { recursive: true });
    // Server config: no news feed (page_config.news.disabled) and no update check.
    const labConfig: Record<string, unknown> = { news_url: null, check_for_updates_class: "jupyterlab.NeverCheckForUpdate" };
    if (options.dataPath) labConfig.labextensions_path = labExtensionsPath(options.dataPath, stateDir);
    writeJson(path.join(dirs.config, "jupyter_server_config.json"), { LabApp: labConfig });
    // User settings: never ask about news, never check for updates, keep every cell attached to the DOM.
    writeJson(path.join(dirs.settings, "@jupyterlab", "apputils-extension", "notification.jupyterlab-settings"), {
      fetchNews: "false",
      checkForUpdates: false,
    });
    writeJson(path.join(dirs.settings, "@jupyterlab", "notebook-extension", "tracker.jupyterlab-settings"), {
      windowingMode: "none",
    });

    const args = [
      "lab",
      "--no-browser",
      "--ip=127.0.0.1",
      `--port=${port}`,
      "--ServerApp.port_retries=0",
      `--IdentityProvider.token=${token}`,
      `--ServerApp.root_dir=${options.rootDir}`,
      "--LabApp.expose_app_in_browser=True",
      "--JupyterNotebookApp.expose_app_in_browser=True",
      "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
      `--LabApp.user_settings_dir=${dirs.settings}`,
      `--LabApp.workspaces_dir=${dirs.workspaces}`,
    ];
    if (process.getuid?.() === 0) args.push("--allow-root");
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      JUPYTER_CONFIG_DIR: dirs.config,
      JUPYTER_DATA_DIR: dirs.data,
      JUPYTER_RUNTIME_DIR: dirs.runtime,
      // Defaults of Notebook 7's settings and workspaces dirs (JupyterLab's are set by the flags above).
      JUPYTERLAB_SETTINGS_DIR: dirs.settings,
      JUPYTERLAB_WORKSPACES_DIR: dirs.workspaces,
      PYTHONUNBUFFERED: "1",
    };
    // Only .venv's own directories (kernelspecs, lab app) besides the temp ones above.
    delete env.JUPYTER_PATH;
    delete env.JUPYTER_CONFIG_PATH;
    if (options.dataPath) env.JUPYTER_PATH = options.dataPath;
    if (options.logFile) {
      fs.mkdirSync(path.dirname(options.logFile), { recursive: true });
      fs.writeFileSync(options.logFile, `$ ${JUPYTER} ${args.join(" ").replace(token, "<token>")}\n`);
    }
    // detached: the server leads its own process group, so stop() can signal all of it.
    const child = spawn(JUPYTER, args, { cwd: options.rootDir, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    if (child.pid === undefined) throw new Error(`could not start ${JUPYTER}`);
    liveGroups.add(child.pid);
    const server = new LabServer(port, token, options.rootDir, stateDir, child, options.logFile);
    try {
      await eventually(
        async () => {
          if (server.exitInfo) throw new Error(`jupyter lab ${server.exitInfo} before it answered`);
          const res = await server.get("/api/status");
          return res.status === 200 ? res : undefined;
        },
        {
          timeoutMs: STARTUP_TIMEOUT_MS,
          intervalMs: 250,
          what: `jupyter lab answering ${server.baseUrl}/api/status`,
          stopOn: () => server.exitInfo !== undefined,
        },
      );
    } catch (err) {
      const tail = server.logTail();
      await server.stop();
      throw new Error(`${(err as Error).message}\n--- jupyter lab log (tail) ---\n${tail}`);
    }
    return server;
  }

  /** GET a server path with the token. */
  get(pathname: string): Promise<HttpResult> {
    return this.request("GET", pathname);
  }

  request(method: string, pathname: string): Promise<HttpResult> {
    return new Promise((resolve, reject) => {
      const req = http.request(this.url(pathname), { method, timeout: 5_000 }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on("timeout", () => req.destroy(new Error(`${method} ${pathname} timed out`)));
      req.on("error", reject);
      req.end();
    });
  }

  /**
   * Stops the server and its kernels: DELETE every kernel through the API, SIGTERM
   * the server's process group (the server shuts remaining kernels down), then
   * SIGKILL whatever is left — the server's group and each kernel's own group
   * (jupyter_client starts kernels in new sessions). Never throws.
   */
  async stop(): Promise<void> {
    const pid = this.child.pid!;
    for (const child of kernelPids(pid)) this.kernelGroups.add(child);
    if (this.exitInfo === undefined) {
      try {
        const res = await this.get("/api/kernels");
        const kernels = res.status === 200 ? (JSON.parse(res.body) as { id: string }[]) : [];
        await Promise.all(kernels.map((k) => this.request("DELETE", `/api/kernels/${k.id}`).catch(() => undefined)));
      } catch {
        // Server not answering: the signals below still stop it.
      }
      for (const child of kernelPids(pid)) this.kernelGroups.add(child);
      killGroup(pid, "SIGTERM");
      const deadline = Date.now() + STOP_TIMEOUT_MS;
      while (this.exitInfo === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    }
    killGroup(pid, "SIGKILL");
    for (const pgid of this.kernelGroups) {
      if (groupAlive(pgid)) killGroup(pgid, "SIGKILL");
    }
    liveGroups.delete(pid);
    fs.rmSync(this.stateDir, { recursive: true, force: true });
  }
}
