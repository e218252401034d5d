/**
 * Headless Debian chromium through playwright-core (no browser download), with
 * the page's console errors, uncaught exceptions and off-host requests recorded
 * for failure reports.
 */
import * as fs from "fs";
import * as path from "path";
import { Browser, BrowserContext, chromium, Page } from "playwright-core";

export const CHROMIUM = process.env.TSLENS_CHROMIUM ?? "/usr/bin/chromium";

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** A browser with one page, and what that page reported. */
export class TestBrowser {
  /** Console messages of type error/warning and uncaught page errors, in order. */
  readonly problems: string[] = [];
  /** Every console message (type: text), in order. */
  readonly console: string[] = [];
  /** Requests to hosts other than 127.0.0.1 (aborted: the tests run offline). */
  readonly blockedRequests: string[] = [];

  private constructor(
    readonly browser: Browser,
    readonly context: BrowserContext,
    readonly page: Page,
  ) {
    page.on("console", (msg) => {
      const loc = msg.location();
      const line = `[${msg.type()}] ${msg.text()}${loc.url ? ` (${loc.url}:${loc.lineNumber})` : ""}`;
      this.console.push(line);
      if (msg.type() === "error" || msg.type() === "warning") this.problems.push(line);
    });
    page.on("pageerror", (err) => this.problems.push(`[pageerror] ${err.stack ?? err.message}`));
    page.on("crash", () => this.problems.push("[crash] the page crashed"));
  }

  static async launch(): Promise<TestBrowser> {
    if (!fs.existsSync(CHROMIUM))
      throw new Error(`${CHROMIUM} not found: run \`bash scripts/setup.sh --for-tests\` (installs Debian's chromium)`);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true, timeout: 60_000 });
    try {
      const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
      const page = await context.newPage();
      const tb = new TestBrowser(browser, context, page);
      await context.route(
        (url) => url.hostname !== "127.0.0.1",
        (route) => {
          tb.blockedRequests.push(route.request().url());
          return route.abort("internetdisconnected");
        },
      );
      return tb;
    } catch (err) {
      await browser.close();
      throw err;
    }
  }

  /** Saves a full-page screenshot as `<dir>/<name>.png` and returns its path (undefined if it failed). */
  async screenshot(dir: string, name: string): Promise<string | undefined> {
    const file = path.join(dir, `${name}.png`);
    try {
      fs.mkdirSync(dir, { recursive: true });
      await this.page.screenshot({ path: file, fullPage: true, timeout: 15_000 });
      return file;
    } catch (err) {
      this.problems.push(`[test] screenshot ${file} failed: ${(err as Error).message}`);
      return undefined;
    }
  }

  /** The last `count` problems, one a line. */
  problemsTail(count = 30): string {
    return this.problems.slice(-count).join("\n") || "(none)";
  }

  async close(): Promise<void> {
    await this.browser.close().catch(() => undefined);
  }
}
