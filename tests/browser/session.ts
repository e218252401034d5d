/**
 * One browser on one `jupyter lab` server over one notebook, the way every browser suite runs:
 * a fresh folder holding the notebook, the suite's old artifacts removed, screenshots named
 * `<prefix>-NN-<step>.png`, steps that build on each other (after a failed step the rest fail at
 * once, so none is skipped or counted as passed), failure details appended to the error, and the
 * browser console written to `<prefix>-browser-console.log` at the end.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Test } from "mocha";
import { TestBrowser } from "./browser";
import { LabServer, LabServerOptions, REPO_ROOT } from "./lab-server";
import { LabNotebook, writeNotebook } from "./notebook";

/** Where screenshots and logs go (gitignored). */
export const ARTIFACTS = path.join(REPO_ROOT, "tests", "artifacts");

export class LabSession {
  readonly nb: LabNotebook;
  private shot = 0;
  private failed = false;

  private constructor(
    readonly prefix: string,
    /** The folder the server serves, holding the notebook. */
    readonly dir: string,
    readonly server: LabServer,
    readonly browser: TestBrowser,
  ) {
    this.nb = new LabNotebook(browser.page);
  }

  /**
   * Writes `notebook` with `cells` into a fresh folder, starts the server on it (with `server` options, e.g. a
   * dataPath) and launches the browser.
   */
  static async start(
    prefix: string,
    notebook: string,
    cells: string[],
    server: Pick<LabServerOptions, "dataPath"> = {},
  ): Promise<LabSession> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tslens-${prefix}-`));
    writeNotebook(path.join(dir, notebook), cells);
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const ours = new RegExp(`^${prefix}-.*\\.(png|log)$`);
    for (const f of fs.readdirSync(ARTIFACTS)) if (ours.test(f)) fs.rmSync(path.join(ARTIFACTS, f));
    const started = Date.now();
    let lab: LabServer | undefined;
    try {
      lab = await LabServer.start({ ...server, rootDir: dir, logFile: path.join(ARTIFACTS, `${prefix}-server.log`) });
      console.log(
        `      jupyter lab up on port ${lab.port} in ${Date.now() - started} ms (log: tests/artifacts/${prefix}-server.log)`,
      );
      return new LabSession(prefix, dir, lab, await TestBrowser.launch());
    } catch (err) {
      await lab?.stop();
      fs.rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  get page() {
    return this.browser.page;
  }

  /** Saves a screenshot named after the step and prints its path. */
  async screenshot(step: string): Promise<void> {
    const file = await this.browser.screenshot(ARTIFACTS, `${this.prefix}-${String(++this.shot).padStart(2, "0")}-${step}`);
    if (file) console.log(`      screenshot: ${path.relative(process.cwd(), file)}`);
  }

  /** For beforeEach: the steps build on each other, so after a failure the rest fail at once. */
  checkNoEarlierFailure(): void {
    if (this.failed) throw new Error("an earlier step of this browser session failed; this step builds on it");
  }

  /** For afterEach: after a failed step, a screenshot, and the notebook, console, blocked requests and server log. */
  async noteFailure(test: Test | undefined): Promise<void> {
    if (test?.state !== "failed") return;
    this.failed = true;
    await this.screenshot("FAILED");
    const details = [
      `--- notebook state ---\n${await this.nb.describe().catch((e: Error) => `<${e.message}>`)}`,
      `--- browser console errors/warnings (tail) ---\n${this.browser.problemsTail()}`,
      `--- requests blocked (off 127.0.0.1) ---\n${this.browser.blockedRequests.join("\n") || "(none)"}`,
      `--- jupyter server log (tail) ---\n${this.server.logTail(60)}`,
    ].join("\n");
    if (test.err) test.err.message += `\n${details}`;
    else console.log(details);
  }

  /** Writes the console log, closes the browser, stops the server and removes the folder. */
  async close(): Promise<void> {
    const file = path.join(ARTIFACTS, `${this.prefix}-browser-console.log`);
    const lines = [...this.browser.console, ...this.browser.blockedRequests.map((u) => `[blocked request] ${u}`)];
    fs.writeFileSync(file, lines.join("\n") + "\n");
    console.log(`      browser console: ${path.relative(process.cwd(), file)} (${this.browser.problems.length} errors/warnings)`);
    await this.browser.close();
    await this.server.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
