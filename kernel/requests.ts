/**
 * Replies to the requests the kernel answers from the executor alone
 * (kernel_info, is_complete, complete, inspect). Their content is checked
 * first: a malformed request gets `status: "error"` naming the field instead of
 * reaching the executor with a value of the wrong type.
 */
import type { TsExecutor } from "./executor";
import { PROTOCOL_VERSION } from "./session";

const VERSION: string = require("../../package.json").version;
const TS_VERSION: string = require("@tslab/typescript-for-tslab/package.json").version;

/** A reply's content; `problem` is set (and status is "error") when the request was refused. */
export interface ReplyContent {
  content: Record<string, unknown>;
  problem?: string;
}

/** kernel_info_reply content. */
export function kernelInfoReply(): ReplyContent {
  return {
    content: {
      status: "ok",
      protocol_version: PROTOCOL_VERSION,
      implementation: "tslens",
      implementation_version: VERSION,
      language_info: {
        name: "typescript",
        version: TS_VERSION,
        mimetype: "text/typescript",
        file_extension: ".ts",
        codemirror_mode: { name: "javascript", typescript: true },
        pygments_lexer: "typescript",
      },
      banner: `tslens ${VERSION} — TypeScript ${TS_VERSION} on Node.js ${process.version} (tslab executor)`,
      help_links: [],
      debugger: false,
    },
  };
}

/** is_complete_reply content for `{ code }`. */
export function isCompleteReply(executor: TsExecutor, request: Record<string, unknown>): ReplyContent {
  const at = codeAt(request, false);
  if ("problem" in at) return refused("is_complete_request", at.problem);
  return { content: { ...executor.isComplete(at.code) } };
}

/** complete_reply content for `{ code, cursor_pos }`. */
export function completeReply(executor: TsExecutor, request: Record<string, unknown>): ReplyContent {
  const at = codeAt(request, true);
  if ("problem" in at) return refused("complete_request", at.problem);
  const c = executor.complete(at.code, at.cursor);
  return {
    content: { status: "ok", matches: c.matches, cursor_start: c.cursorStart, cursor_end: c.cursorEnd, metadata: {} },
  };
}

/** inspect_reply content for `{ code, cursor_pos }`. */
export function inspectReply(executor: TsExecutor, request: Record<string, unknown>): ReplyContent {
  const at = codeAt(request, true);
  if ("problem" in at) return refused("inspect_request", at.problem);
  const text = executor.inspect(at.code, at.cursor);
  return { content: { status: "ok", found: text !== "", data: text ? { "text/plain": text } : {}, metadata: {} } };
}

/** Reads `code` (a string) and, when `withCursor`, `cursor_pos` (an integer 0…code.length; default: the end). */
function codeAt(request: Record<string, unknown>, withCursor: boolean): { code: string; cursor: number } | { problem: string } {
  const { code, cursor_pos: cursorPos } = request;
  if (typeof code !== "string") return { problem: `content.code must be a string, got ${kindOf(code)}` };
  if (!withCursor || cursorPos === undefined || cursorPos === null) return { code, cursor: code.length };
  if (typeof cursorPos !== "number" || !Number.isInteger(cursorPos) || cursorPos < 0 || cursorPos > code.length) {
    return {
      problem: `content.cursor_pos must be an integer from 0 to ${code.length} (the code's length), got ${kindOf(cursorPos)}`,
    };
  }
  return { code, cursor: cursorPos };
}

function refused(msgType: string, problem: string): ReplyContent {
  const evalue = `${msgType}: ${problem}`;
  return { content: { status: "error", ename: "BadRequest", evalue, traceback: [`BadRequest: ${evalue}`] }, problem };
}

/** A short description of a client-sent value: numbers and short strings as they are, else the type. */
function kindOf(value: unknown): string {
  if (typeof value === "number") return String(value);
  if (typeof value === "string") return value.length <= 40 ? JSON.stringify(value) : `a string of ${value.length} characters`;
  if (Array.isArray(value)) return "a list";
  return value === null ? "null" : `a value of type ${typeof value}`;
}
