/**
 * The browser twin of src/loading/collectGarbage.ts (see ../seams.js): a page cannot force a garbage collection,
 * so this does nothing and the browser collects when it chooses.
 */

/** A no-op in a browser page. */
export function collectGarbage(): void {}
