/**
 * Routes process.stdout / process.stderr writes (console.log in cells and in
 * widget callbacks) to IOPub `stream` output parented by the async context
 * (coalesced into few messages, see IOPub.stream). Writes made where no request
 * was ever served go to the real stream.
 */
import type { IOPub } from "./iopub";

type Write = typeof process.stdout.write;

/** Installs the redirection; returns a function that restores the originals. */
export function redirectStdio(iopub: IOPub): () => void {
  const restore: (() => void)[] = [];
  for (const name of ["stdout", "stderr"] as const) {
    const stream = process[name];
    const original: Write = stream.write;
    const redirected = function (this: unknown, chunk: unknown, encodingOrCb?: unknown, cb?: unknown): boolean {
      const callback = typeof encodingOrCb === "function" ? encodingOrCb : cb;
      if (iopub.currentParent() === undefined) {
        return original.call(stream, chunk as string, encodingOrCb as BufferEncoding, cb as () => void);
      }
      const encoding = typeof encodingOrCb === "string" ? (encodingOrCb as BufferEncoding) : "utf8";
      const text = typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString(encoding);
      iopub.stream(name, text);
      if (typeof callback === "function") process.nextTick(callback as () => void);
      return true;
    };
    stream.write = redirected as Write;
    restore.push(() => {
      stream.write = original;
    });
  }
  return () => restore.forEach((fn) => fn());
}
