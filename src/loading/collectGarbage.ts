/**
 * Forcing a garbage collection on Node (V8's `gc`, exposed on demand). Kept apart from tensorMemory.ts because it
 * needs Node's v8 and vm modules: the browser build of the engine swaps this module for src/live/platform, where a
 * page cannot force a collection.
 */
import * as v8 from "v8";
import * as vm from "vm";

let gc: (() => void) | undefined;
/**
 * Runs V8's garbage collector now, so the arrays of weights already freed (or replaced) give their memory back
 * before the next large allocation; otherwise V8 collects them at a time of its choosing, possibly after.
 */
export function collectGarbage(): void {
  if (!gc) {
    const exposed = (globalThis as { gc?: () => void }).gc;
    if (exposed) gc = exposed;
    else {
      v8.setFlagsFromString("--expose-gc");
      gc = vm.runInNewContext("gc") as () => void;
    }
  }
  gc();
}
