/**
 * Notebook files for browser tests, and a driver for one notebook open in
 * JupyterLab (through the DOM and, for a few state reads and commands, the
 * `window.jupyterapp` that --LabApp.expose_app_in_browser provides).
 */
import * as fs from "fs";
import * as path from "path";
import type { Locator, Page } from "playwright-core";
import { eventually } from "./wait";

export const TSLENS_KERNELSPEC = { name: "tslens", display_name: "TypeScript (tslens)", language: "typescript" };

/** Writes an nbformat 4 notebook of code cells for the tslens kernel; returns its path. */
export function writeNotebook(file: string, cells: string[]): string {
  const notebook = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: TSLENS_KERNELSPEC,
      language_info: { name: "typescript", file_extension: ".ts" },
    },
    cells: cells.map((source, i) => ({
      cell_type: "code",
      id: `cell-${i + 1}`,
      metadata: {},
      execution_count: null,
      outputs: [],
      source,
    })),
  };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(notebook, null, 1));
  return file;
}

// The parts of JupyterLab's objects the page functions below touch (structural, browser side).
interface LabKernel {
  id: string;
  name: string;
  status: string;
  connectionStatus: string;
}
interface LabCell {
  model: { type: string; executionCount?: number | null };
}
interface LabNotebookPanel {
  context?: { path: string; model?: { dirty: boolean } };
  sessionContext?: { isReady: boolean; session?: { kernel?: LabKernel | null } | null };
  content?: { widgets: readonly LabCell[]; activeCellIndex: number; mode: string };
}
interface LabApp {
  name: string;
  commands: { execute(id: string, args?: Record<string, unknown>): Promise<unknown>; hasCommand(id: string): boolean };
  shell: { currentWidget: LabNotebookPanel | null };
  started: Promise<void>;
  restored: Promise<void>;
}

/** A snapshot of the open notebook, as JupyterLab sees it. */
export interface NotebookState {
  appExposed: boolean;
  /** The application's name ("JupyterLab", "Jupyter Notebook"). */
  appName: string | null;
  path: string | null;
  /** Whether the notebook has unsaved changes. */
  dirty: boolean | null;
  kernel: { id: string; name: string; status: string; connectionStatus: string } | null;
  sessionReady: boolean;
  mode: string | null;
  activeCellIndex: number | null;
  executionCounts: (number | null)[];
}

/** One notebook open in JupyterLab. */
export class LabNotebook {
  constructor(readonly page: Page) {}

  /** The n-th (0-based) cell of the notebook. */
  cell(n: number): Locator {
    return this.page.locator(".jp-NotebookPanel .jp-Notebook .jp-Notebook-cell").nth(n);
  }

  /** The output area of the n-th cell (including the outputs of Output widgets inside it). */
  output(n: number): Locator {
    return this.cell(n).locator(".jp-Cell-outputArea");
  }

  /** The text of the n-th cell's output area ("" when it has none). */
  async outputText(n: number): Promise<string> {
    const out = this.output(n);
    if ((await out.count()) === 0) return "";
    return (await out.innerText({ timeout: 5_000 })).trim();
  }

  /** The text of every cell's output, for messages. */
  async describeOutputs(): Promise<string> {
    const count = await this.page.locator(".jp-NotebookPanel .jp-Notebook .jp-Notebook-cell").count();
    const parts: string[] = [];
    for (let i = 0; i < count; i++)
      parts.push(`cell ${i + 1}: ${JSON.stringify(await this.outputText(i).catch((e: Error) => `<${e.message}>`))}`);
    return parts.join("; ") || "(no cells in the DOM)";
  }

  /** JupyterLab's view of the current notebook. */
  state(): Promise<NotebookState> {
    return this.page.evaluate((): NotebookState => {
      const app = (globalThis as unknown as { jupyterapp?: LabApp }).jupyterapp;
      const panel = app?.shell.currentWidget ?? null;
      const kernel = panel?.sessionContext?.session?.kernel ?? null;
      return {
        appExposed: app !== undefined,
        appName: app?.name ?? null,
        path: panel?.context?.path ?? null,
        dirty: panel?.context?.model?.dirty ?? null,
        kernel: kernel
          ? { id: kernel.id, name: kernel.name, status: kernel.status, connectionStatus: kernel.connectionStatus }
          : null,
        sessionReady: panel?.sessionContext?.isReady ?? false,
        mode: panel?.content?.mode ?? null,
        activeCellIndex: panel?.content?.activeCellIndex ?? null,
        executionCounts: panel?.content
          ? panel.content.widgets.map((c) => (c.model.type === "code" ? (c.model.executionCount ?? null) : null))
          : [],
      };
    });
  }

  /** A one-line description of the notebook state, for messages. */
  async describe(): Promise<string> {
    const [state, outputs] = await Promise.all([this.state().catch((e: Error) => `<${e.message}>`), this.describeOutputs()]);
    return `${JSON.stringify(state)}\n  outputs: ${outputs}`;
  }

  /** Waits until `notebookPath` is the current widget and its kernel (`kernelName`) is connected and idle. */
  async waitForIdleKernel(notebookPath: string, kernelName: string, timeoutMs: number): Promise<NotebookState> {
    return eventually(
      async () => {
        const s = await this.state();
        return s.path === notebookPath &&
          s.sessionReady &&
          s.kernel?.name === kernelName &&
          s.kernel.status === "idle" &&
          s.kernel.connectionStatus === "connected"
          ? s
          : undefined;
      },
      {
        what: `notebook ${notebookPath} open with an idle ${kernelName} kernel`,
        timeoutMs,
        intervalMs: 250,
        describe: () => this.describe(),
      },
    );
  }

  /** Runs a JupyterLab command in the page; returns its result. */
  command(id: string, args: Record<string, unknown> = {}): Promise<unknown> {
    return this.page.evaluate(
      async ([commandId, commandArgs]) => {
        const app = (globalThis as unknown as { jupyterapp?: LabApp }).jupyterapp;
        if (!app) throw new Error("window.jupyterapp is missing (is --LabApp.expose_app_in_browser=True set?)");
        if (!app.commands.hasCommand(commandId)) throw new Error(`JupyterLab has no command ${commandId}`);
        return app.commands.execute(commandId, commandArgs);
      },
      [id, args] as const,
    );
  }

  /** Waits until every code cell has an execution count (at least `minCounts[i]` where given) and the kernel is idle. */
  async waitForExecuted(minCounts: (number | null)[], timeoutMs: number): Promise<NotebookState> {
    return eventually(
      async () => {
        const s = await this.state();
        const done = minCounts.every((min, i) => {
          const count = s.executionCounts[i];
          return count !== null && count !== undefined && (min === null || count >= min);
        });
        return done && s.kernel?.status === "idle" ? s : undefined;
      },
      {
        what: `cells executed (execution counts at least ${JSON.stringify(minCounts)}) and the kernel idle`,
        timeoutMs,
        describe: () => this.describe(),
      },
    );
  }

  /** The readout (editable value) of the first slider in the n-th cell's output. */
  sliderReadout(n: number): Locator {
    return this.output(n).locator(".widget-readout").first();
  }

  /** Types `value` into the n-th cell's slider readout and waits until the readout and the handle show it. */
  async setSliderThroughReadout(n: number, value: number): Promise<void> {
    const readout = this.sliderReadout(n);
    await readout.click();
    await this.page.keyboard.press("ControlOrMeta+a");
    await this.page.keyboard.type(String(value));
    await this.page.keyboard.press("Enter");
    await eventually(async () => (await readout.innerText()).trim() === String(value), {
      what: `the slider readout in cell ${n + 1} to show ${value}`,
      timeoutMs: 10_000,
      describe: async () => `readout ${JSON.stringify(await readout.innerText())}`,
    });
    const handle = this.output(n).locator(".noUi-handle").first();
    await eventually(async () => (await handle.getAttribute("aria-valuenow"))?.startsWith(String(value)) === true, {
      what: `the slider handle in cell ${n + 1} to move to ${value}`,
      timeoutMs: 10_000,
      describe: async () => `aria-valuenow ${await handle.getAttribute("aria-valuenow")}`,
    });
  }

  /**
   * Runs the n-th cell through the UI: selects it by its input prompt (command
   * mode) and presses Shift+Enter; waits until its execution count went up.
   */
  async runCellFromUi(n: number, timeoutMs: number): Promise<NotebookState> {
    const before = await this.state();
    await this.cell(n).locator(".jp-InputPrompt").click();
    await eventually(async () => (await this.state()).activeCellIndex === n, {
      what: `cell ${n + 1} to be the active cell`,
      timeoutMs: 5_000,
      describe: () => this.describe(),
    });
    await this.page.keyboard.press("Shift+Enter");
    const min = (before.executionCounts[n] ?? 0) + 1;
    return eventually(
      async () => {
        const s = await this.state();
        return (s.executionCounts[n] ?? 0) >= min && s.kernel?.status === "idle" ? s : undefined;
      },
      {
        what: `cell ${n + 1} executed (execution count at least ${min}) and the kernel idle`,
        timeoutMs,
        describe: () => this.describe(),
      },
    );
  }

  /** The whole notebook's rendered text (inputs and outputs). */
  text(): Promise<string> {
    return this.page.locator(".jp-NotebookPanel .jp-Notebook").innerText({ timeout: 5_000 });
  }

  /** Waits until the n-th cell's output text satisfies `test`; returns the text. */
  async waitForOutput(n: number, test: (text: string) => boolean, what: string, timeoutMs: number): Promise<string> {
    return eventually(
      async () => {
        const text = await this.outputText(n);
        return test(text) ? text : undefined;
      },
      { what: `cell ${n + 1} output: ${what}`, timeoutMs, describe: () => this.describe() },
    );
  }
}
