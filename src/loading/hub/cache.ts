/**
 * The snapshot side of the cache: symlinks `snapshots/<commit>/<file>` → `../../blobs/<etag>`,
 * `refs/<revision>` files, `.no_exist` markers, and the check that a snapshot holds a whole model.
 * Every write is atomic (temporary name, then rename), so readers never see half of anything.
 */
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { HubError } from "./errors";
import { isCommitHash, RepoCache, validateFileName } from "./paths";

/** Weights file of an unsharded model. */
export const WEIGHTS_FILE = "model.safetensors";
/** Index of a sharded model: its `weight_map` names the shard files. */
export const WEIGHTS_INDEX_FILE = "model.safetensors.index.json";
/** Files downloaded when present (a 404 for them is fine). */
export const OPTIONAL_FILES: readonly string[] = [
  "tokenizer.json",
  "tokenizer_config.json",
  "vocab.json",
  "merges.txt",
  "special_tokens_map.json",
  "generation_config.json",
];

function tempName(file: string): string {
  return `${file}.${randomBytes(6).toString("hex")}.tmp`;
}

/** True when the path exists and (through symlinks) is a regular file. */
export async function isFile(file: string): Promise<boolean> {
  try {
    return (await fs.promises.stat(file)).isFile();
  } catch {
    return false;
  }
}

/**
 * Points `snapshots/<commit>/<file>` at `blobs/<etag>` with a relative symlink, created under a
 * temporary name and renamed into place. Where symlinks are not allowed (Windows without
 * developer mode) the blob is copied instead, as huggingface_hub does.
 */
export async function linkSnapshotFile(cache: RepoCache, commit: string, file: string, etag: string): Promise<void> {
  const link = cache.snapshotFile(commit, file);
  const blob = cache.blob(etag);
  const target = path.relative(path.dirname(link), blob);
  await fs.promises.mkdir(path.dirname(link), { recursive: true });
  try {
    if ((await fs.promises.readlink(link)) === target) return;
  } catch {
    // missing, or not a symlink: (re)create it
  }
  const temp = tempName(link);
  try {
    await fs.promises.symlink(target, temp);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "EPERM" && code !== "EACCES" && code !== "ENOTSUP" && code !== "ENOSYS") throw err;
    await fs.promises.copyFile(blob, temp);
  }
  try {
    await fs.promises.rename(temp, link);
  } catch (err) {
    await fs.promises.rm(temp, { force: true });
    throw err;
  }
}

/** Writes `refs/<revision>` = commit atomically (nothing when the revision is the commit itself or already recorded). */
export async function writeRef(cache: RepoCache, revision: string, commit: string): Promise<void> {
  if (revision === commit) return;
  const ref = cache.ref(revision);
  if ((await readRef(cache, revision)) === commit) return;
  await fs.promises.mkdir(path.dirname(ref), { recursive: true });
  const temp = tempName(ref);
  await fs.promises.writeFile(temp, commit);
  await fs.promises.rename(temp, ref);
}

/** The commit recorded in `refs/<revision>`, or undefined when there is none (or it is not a commit sha). */
export async function readRef(cache: RepoCache, revision: string): Promise<string | undefined> {
  try {
    const commit = (await fs.promises.readFile(cache.ref(revision), "utf8")).trim();
    return isCommitHash(commit) ? commit : undefined;
  } catch {
    return undefined;
  }
}

/** Records (best effort) that `file` does not exist at `commit`, in huggingface_hub's `.no_exist` layout. */
export async function markMissing(cache: RepoCache, commit: string, file: string): Promise<void> {
  try {
    const marker = cache.noExist(commit, file);
    await fs.promises.mkdir(path.dirname(marker), { recursive: true });
    await fs.promises.writeFile(marker, "");
  } catch {
    // only an optimisation for other tools; never fatal
  }
}

/**
 * The shard files named by a `*.safetensors.index.json` (its `weight_map` values, deduplicated,
 * relative to the index's folder), each checked like any file name so that none escapes the snapshot.
 */
export function shardsFromIndex(text: string, indexFile: string, repoId: string): string[] {
  let weightMap: unknown;
  try {
    weightMap = (JSON.parse(text) as { weight_map?: unknown }).weight_map;
  } catch (err) {
    throw new HubError("PROTOCOL", `${indexFile} in ${repoId} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof weightMap !== "object" || weightMap === null || Array.isArray(weightMap)) {
    throw new HubError("PROTOCOL", `${indexFile} in ${repoId} has no "weight_map" object`);
  }
  const folder = path.posix.dirname(indexFile);
  const shards = new Set<string>();
  for (const value of Object.values(weightMap)) {
    const name = validateFileName(value, `shard file name in ${indexFile} of ${repoId}`);
    shards.add(folder === "." ? name : validateFileName(`${folder}/${name}`, `shard file name in ${indexFile} of ${repoId}`));
  }
  if (shards.size === 0) throw new HubError("PROTOCOL", `${indexFile} in ${repoId} lists no shard files`);
  return [...shards].sort();
}

/** True for a sharded-weights index file name. */
export function isWeightsIndex(file: string): boolean {
  return file.endsWith(".safetensors.index.json");
}

/**
 * What a snapshot lacks to be usable: with `files`, each of them (and the shards of any index among
 * them); otherwise config.json and the weights (model.safetensors, or the index and all its shards).
 * Optional tokenizer files never count as missing. Returns the missing file names (empty: complete).
 */
export async function missingFiles(cache: RepoCache, commit: string, files: readonly string[] | undefined): Promise<string[]> {
  const dir = (file: string) => cache.snapshotFile(commit, file);
  const missing: string[] = [];
  const requireWithShards = async (file: string) => {
    if (!(await isFile(dir(file)))) {
      missing.push(file);
      return;
    }
    if (!isWeightsIndex(file)) return;
    const shards = shardsFromIndex(await fs.promises.readFile(dir(file), "utf8"), file, cache.repoId);
    for (const shard of shards) if (!(await isFile(dir(shard)))) missing.push(shard);
  };
  if (files !== undefined) {
    for (const file of files) await requireWithShards(file);
    return missing;
  }
  await requireWithShards("config.json");
  if (await isFile(dir(WEIGHTS_FILE))) return missing;
  if (await isFile(dir(WEIGHTS_INDEX_FILE))) await requireWithShards(WEIGHTS_INDEX_FILE);
  else missing.push(`${WEIGHTS_FILE} (or ${WEIGHTS_INDEX_FILE} and its shards)`);
  return missing;
}

/**
 * The snapshot folder of `revision` when the cache holds it complete (see missingFiles), without any
 * network access; otherwise throws an `OFFLINE` HubError that starts with `why` and says what is missing.
 */
export async function cachedSnapshot(
  cache: RepoCache,
  revision: string,
  files: string[] | undefined,
  why: string,
): Promise<string> {
  const where = `"${cache.repoId}" at revision "${revision}"`;
  const commit = isCommitHash(revision) ? revision : await readRef(cache, revision);
  if (commit === undefined) {
    throw new HubError(
      "OFFLINE",
      `${why}: ${where} is not in the cache ${cache.root} (no refs/${revision}); download it once while online`,
    );
  }
  const missing = await missingFiles(cache, commit, files);
  if (missing.length > 0) {
    throw new HubError(
      "OFFLINE",
      `${why}: the cached snapshot ${commit} of ${where} in ${cache.root} is incomplete (missing ${missing.join(", ")}); download it once while online`,
    );
  }
  return cache.snapshot(commit);
}
