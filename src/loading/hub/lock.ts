/**
 * Mutual exclusion for one blob download: calls in this process queue behind each other,
 * and other processes are kept out by an exclusive-create lock file that the holder keeps fresh.
 * A lock file whose owner died (same host, pid gone) or that went stale is taken over.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** How often the holder refreshes its lock file's mtime. */
export const LOCK_HEARTBEAT_MS = 5_000;
/** A lock file not refreshed for this long is considered abandoned. */
export const LOCK_STALE_MS = 30_000;
const POLL_MS = 100;

const queues = new Map<string, Promise<unknown>>();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function isStale(lockFile: string): Promise<boolean> {
  let stat: fs.Stats;
  let text: string;
  try {
    stat = await fs.promises.stat(lockFile);
    text = await fs.promises.readFile(lockFile, "utf8");
  } catch {
    return false; // gone already: the next exclusive create decides
  }
  const age = Date.now() - stat.mtimeMs;
  if (age > LOCK_STALE_MS) return true;
  let owner: { pid?: unknown; host?: unknown } | undefined;
  try {
    owner = JSON.parse(text) as { pid?: unknown; host?: unknown };
  } catch {
    return age > 5_000; // the owner died between creating and writing it
  }
  return owner.host === os.hostname() && typeof owner.pid === "number" && owner.pid !== process.pid && !processAlive(owner.pid);
}

async function acquireFile(lockFile: string): Promise<() => Promise<void>> {
  await fs.promises.mkdir(path.dirname(lockFile), { recursive: true });
  for (;;) {
    try {
      const handle = await fs.promises.open(lockFile, "wx");
      try {
        await handle.writeFile(JSON.stringify({ pid: process.pid, host: os.hostname(), since: new Date().toISOString() }));
      } finally {
        await handle.close();
      }
      const heartbeat = setInterval(() => {
        const now = new Date();
        fs.utimes(lockFile, now, now, () => {});
      }, LOCK_HEARTBEAT_MS);
      heartbeat.unref();
      return async () => {
        clearInterval(heartbeat);
        await fs.promises.rm(lockFile, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    if (await isStale(lockFile)) {
      await fs.promises.rm(lockFile, { force: true });
      continue;
    }
    await sleep(POLL_MS);
  }
}

/**
 * Runs `fn` while holding the lock named by `lockFile` (an absolute path): at most one `fn`
 * per lock file runs at a time, in this process and across processes sharing the cache.
 * `fn` should re-check whether its work was done by the previous holder.
 */
export function withLock<T>(lockFile: string, fn: () => Promise<T>): Promise<T> {
  const previous = queues.get(lockFile) ?? Promise.resolve();
  const run = previous
    .catch(() => undefined)
    .then(async () => {
      const release = await acquireFile(lockFile);
      try {
        return await fn();
      } finally {
        await release();
      }
    });
  queues.set(lockFile, run);
  const cleanup = () => {
    if (queues.get(lockFile) === run) queues.delete(lockFile);
  };
  run.then(cleanup, cleanup);
  return run;
}
