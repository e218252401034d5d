/**
 * Assertions shared by the hub tests.
 */
import * as assert from "assert";
import { HubError, HubErrorCode } from "../../../src/loading/hub";

/** Awaits `promise`, expects a HubError with `code` whose message contains every one of `parts`; returns it. */
export async function rejectsWith(promise: Promise<unknown>, code: HubErrorCode, ...parts: string[]): Promise<HubError> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof HubError, `expected a HubError, got ${caught instanceof Error ? caught.stack : String(caught)}`);
  assert.strictEqual(caught.code, code, `expected code ${code}, got ${caught.code}: ${caught.message}`);
  for (const part of parts)
    assert.ok(caught.message.includes(part), `message should mention ${JSON.stringify(part)}: ${caught.message}`);
  return caught;
}
