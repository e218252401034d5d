/**
 * Connection files: what Jupyter hands a kernel to tell it where to listen.
 */
import * as fs from "fs";

/** Contents of a Jupyter connection file. */
export interface ConnectionInfo {
  transport: "tcp" | "ipc";
  ip: string;
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  control_port: number;
  hb_port: number;
  key: string;
  signature_scheme: string;
}

const PORTS = ["shell_port", "iopub_port", "stdin_port", "control_port", "hb_port"] as const;

/** Reads and validates a connection file; errors name the file and the field. */
export function readConnectionFile(file: string): ConnectionInfo {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new Error(`cannot read connection file ${file}: ${(err as Error).message}`);
  }
  if (raw === null || typeof raw !== "object") throw new Error(`connection file ${file} is not a JSON object`);
  const info = raw as Record<string, unknown>;
  const transport = info.transport ?? "tcp";
  if (transport !== "tcp" && transport !== "ipc")
    throw new Error(`connection file ${file}: unknown transport ${JSON.stringify(transport)}`);
  for (const port of PORTS) {
    if (!Number.isInteger(info[port])) throw new Error(`connection file ${file}: ${port} must be an integer`);
  }
  if (typeof info.ip !== "string") throw new Error(`connection file ${file}: ip must be a string`);
  return {
    ...(info as unknown as ConnectionInfo),
    transport,
    key: typeof info.key === "string" ? info.key : "",
    signature_scheme: typeof info.signature_scheme === "string" ? info.signature_scheme : "hmac-sha256",
  };
}

/** ZeroMQ endpoint for one port of the connection. */
export function address(conn: ConnectionInfo, port: number): string {
  return conn.transport === "ipc" ? `ipc://${conn.ip}-${port}` : `tcp://${conn.ip}:${port}`;
}
