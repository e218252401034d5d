/**
 * Paths the tests share: the repository root and the project's .venv.
 */
import * as fs from "fs";
import * as path from "path";

/** Root of the repository (dist/tests/support → ../../..). */
export const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");

/** An executable inside .venv/bin; fails loudly when setup has not run. */
export function venvBin(name: string): string {
  const file = path.join(REPO_ROOT, ".venv", "bin", name);
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: run "bash scripts/setup.sh --for-tests" (npm test does it)`);
  return file;
}
