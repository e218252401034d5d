/**
 * Adapter over tslab's executor: compiles and runs TypeScript cells, and turns
 * what tslab hands to its console (the last expression's value, thrown errors,
 * compiler diagnostics) into structured results for the kernel.
 */
import Module from "module";
import * as path from "path";
import { inspect } from "util";
import { createExecutor, Executor } from "tslab/dist/executor";
import { printQuickInfo } from "tslab/dist/inspect";
import { log } from "./log";
import { loadPatchedConverter } from "./tslab-converter";

// Before anything else loads tslab's converter: see ./tslab-converter for what is patched and why.
const { createConverter, isCompleteCode } = loadPatchedConverter();

/** Content of a Jupyter `error` message. */
export interface ErrorContent {
  ename: string;
  evalue: string;
  traceback: string[];
}

/** How a cell ended. */
export type CellOutcome = { ok: true } | { ok: false; error: ErrorContent };

/** Completion candidates for a cursor position. */
export interface Completion {
  matches: string[];
  cursorStart: number;
  cursorEnd: number;
}

const INTERNAL_FRAME =
  /node:internal|node:vm|node:async_hooks|[\\/]tslab[\\/]dist[\\/]|[\\/]dist[\\/]kernel[\\/]|^\s*at new Promise \(<anonymous>\)$/;

/** Builds error content for a thrown value, keeping only frames of user code and libraries. */
export function errorContent(thrown: unknown): ErrorContent {
  if (thrown instanceof Error) {
    const interrupted =
      (thrown as NodeJS.ErrnoException).code === "ERR_SCRIPT_EXECUTION_INTERRUPTED" ||
      thrown.message === "Interrupted asynchronously";
    const ename = interrupted ? "Interrupted" : thrown.name || "Error";
    const frames = (thrown.stack ?? "").split("\n").filter((line) => /^\s+at /.test(line) && !INTERNAL_FRAME.test(line));
    return { ename, evalue: thrown.message, traceback: [`${ename}: ${thrown.message}`, ...frames] };
  }
  const evalue = inspect(thrown);
  return { ename: "Error", evalue, traceback: [`Uncaught ${evalue}`] };
}

/** A display_data / update_display_data content as tslab's `display` API produces it. */
export interface TslabDisplay {
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  transient: Record<string, unknown>;
}

/**
 * Routes tslab's own display API (`import * as tslab from "tslab"; tslab.display.html(...)`)
 * to `publish`, so notebooks written for tslab keep working here.
 */
export function bridgeTslabDisplay(publish: (content: TslabDisplay, update: boolean) => void): void {
  const protocol = require("tslab/dist/jupyter") as { lastWriteDisplayData: unknown };
  protocol.lastWriteDisplayData = publish;
}

/** The part of the tslens library the kernel calls, loaded by name as a cell would import it. */
interface TslensLibrary {
  initBackend(): Promise<{ name: string; package: string }>;
}

/**
 * Loads tslens as a cell in `rootDir` would import it (a copy the notebook's folder installs first, else this
 * package), which chooses the tfjs backend and installs the tensor printer, and waits until the backend is ready:
 * with wasm (async init) a cell's first op would otherwise fail. The kernel takes nothing else from the library.
 * Never rejects; a failure is logged and surfaces again when a cell imports tslens.
 */
async function prepareLibrary(rootDir: string): Promise<void> {
  const started = performance.now();
  try {
    const entry = Module.createRequire(path.join(rootDir, "cell.ts")).resolve("tslens");
    const info = await (require(entry) as TslensLibrary).initBackend();
    log("info", `tfjs backend ${info.name} (${info.package}) ready in ${Math.round(performance.now() - started)} ms`);
  } catch (err) {
    log("warn", `tfjs backend not ready at kernel start: ${(err as Error)?.message ?? err}`);
  }
}

/** Runs TypeScript cells through tslab. One cell at a time. */
export class TsExecutor {
  private readonly executor: Executor;
  /** Settles once the tensor layer is loaded and its backend ready (started right after construction). */
  private readonly libraryReady: Promise<void>;
  private errors: unknown[] = [];
  private diagnostics: string[] = [];

  /** `onResult` receives each cell's last-expression value (non-null values only, as tslab reports them). */
  constructor(rootDir: string, onResult: (value: unknown) => void) {
    const node = createConverter({ isJS: false, isBrowser: false });
    const browser = createConverter({ isJS: false, isBrowser: true });
    const converters = { node, browser, close: () => (node.close(), browser.close()) };
    this.executor = createExecutor(rootDir, converters, {
      log: (value: unknown) => onResult(value),
      error: (first: unknown, ...rest: unknown[]) => {
        if (typeof first === "string" && first.includes("%") && rest.length > 0) {
          // tslab reports compiler diagnostics as ("%s%d:%d - %s", file, line, column, message).
          const [file, line, column, message] = rest as [string, number, number, string];
          this.diagnostics.push(`${file}${line}:${column} - ${message}`);
        } else {
          this.errors.push(first);
        }
      },
    });
    // Started on the next turn of the event loop rather than inside the constructor; cells wait for it (see run()).
    this.libraryReady = new Promise((resolve) => setImmediate(resolve)).then(() => prepareLibrary(rootDir));
  }

  /** Executes one cell; resolves once it (and its top-level awaits) finished. */
  async run(code: string): Promise<CellOutcome> {
    await this.libraryReady;
    this.errors = [];
    this.diagnostics = [];
    let succeeded: boolean;
    try {
      succeeded = await this.executor.execute(code);
    } catch (err) {
      return { ok: false, error: errorContent(err) };
    }
    if (this.diagnostics.length > 0) {
      const evalue = this.diagnostics.join("\n");
      return { ok: false, error: { ename: "CompileError", evalue, traceback: ["CompileError:", ...this.diagnostics] } };
    }
    if (!succeeded || this.errors.length > 0) {
      return { ok: false, error: errorContent(this.errors[0] ?? new Error("cell failed")) };
    }
    return { ok: true };
  }

  /** Interrupts a cell that is awaiting (synchronous code is stopped by SIGINT itself). */
  interrupt(): void {
    this.executor.interrupt();
  }

  /** Completion candidates at `cursor` (a character offset). */
  complete(code: string, cursor: number): Completion {
    const info = this.executor.complete(code, cursor);
    return { matches: info.candidates, cursorStart: info.start, cursorEnd: info.end };
  }

  /** Type information for the symbol at `cursor`, as plain text ("" if none). */
  inspect(code: string, cursor: number): string {
    const info = this.executor.inspect(code, cursor);
    return info ? printQuickInfo(info) : "";
  }

  /** Whether `code` is a complete cell, and the indent for a continuation line. */
  isComplete(code: string): { status: "complete" | "incomplete"; indent: string } {
    const result = isCompleteCode(code);
    return { status: result.completed ? "complete" : "incomplete", indent: result.indent ?? "" };
  }

  /** Releases the compiler's resources. */
  close(): void {
    this.executor.close();
  }
}
