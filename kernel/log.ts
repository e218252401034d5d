/**
 * Kernel diagnostics. Written straight to the process's real stderr (captured
 * before cell output redirection is installed), so logs never become cell output.
 */
const rawStderrWrite = process.stderr.write.bind(process.stderr);

/** Log levels in increasing severity. */
export type LogLevel = "debug" | "info" | "warn" | "error";

const order: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
const threshold = order[(process.env.TSLENS_LOG_LEVEL as LogLevel) ?? "info"] ?? order.info;

/** Writes one log line `[tslens kernel] LEVEL message`. */
export function log(level: LogLevel, message: string): void {
  if (order[level] < threshold) return;
  rawStderrWrite(`[tslens kernel] ${level.toUpperCase()} ${message}\n`);
}
