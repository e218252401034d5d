/**
 * SAEs from the Hugging Face hub. SAELens publishes a release as a hub repository holding one folder per SAE
 * (`blocks.8.hook_resid_pre/cfg.json` + `sae_weights.safetensors`), or a single SAE at the repository's root.
 * A hub SAE is named `owner/repo/folder/path` (the first two parts are the repository, the rest — slashes and all —
 * the folder), or `owner/repo` with `{ folder }`, or `owner/repo` alone for an SAE at the root. Only the folder's
 * two files are downloaded, into the Hugging Face cache, by the model downloader (src/loading/hub): the same
 * resume, size and hash checks, locking, offline mode, progress and errors.
 */
import * as path from "path";
import { HubError, listHubFiles, resolveHubModel, validateFileName, validateRepoId } from "../loading/hub";
import type { ProgressOption } from "../loading/hub";

/** Options of lens.loadSae; all but `folder` apply to hub ids only. */
export interface LoadSaeOptions {
  /** The SAE's folder inside the hub repository (SAELens's `path` of an `sae_id`), e.g. "blocks.8.hook_resid_pre". */
  folder?: string;
  /** Hub revision (branch, tag or commit). Default "main". */
  revision?: string;
  /** Hugging Face cache folder. Default: HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub. */
  cacheDir?: string;
  /** Hub URL. Default: HF_ENDPOINT, else https://huggingface.co. */
  endpoint?: string;
  /** Download progress: a bar per file by default, false, or a callback. */
  progress?: ProgressOption;
  /** Use only the cache, never the network. Default: true when HF_HUB_OFFLINE=1. */
  offline?: boolean;
  /** Access token for private or gated repos. Default: HF_TOKEN, else the token file. `false`: none. */
  token?: string | false;
}

/** A hub SAE: its repository and the folder holding cfg.json ("" for the repository's root). */
export interface SaeHubId {
  repoId: string;
  folder: string;
}

const CONFIG_FILE = "cfg.json";
const WEIGHTS_FILE = "sae_weights.safetensors";
/** How many of a repository's SAE folders an error lists. */
const LISTED_FOLDERS = 8;

/** True when `id` is written as a hub id (`owner/repo[/folder…]`) rather than a path: relative, no "./", "~" or drive. */
export function looksLikeHubId(id: string): boolean {
  if (path.isAbsolute(id) || /^[A-Za-z]:/.test(id) || id.startsWith("~")) return false;
  if (id.startsWith("./") || id.startsWith("../") || id.startsWith(".\\")) return false;
  return id.replace(/\/+$/, "").split("/").length >= 2;
}

function invalidId(id: string, why: string): HubError {
  return new HubError("INVALID_ARGUMENT", `loadSae(${JSON.stringify(id)}): ${why}`);
}

/**
 * Splits a hub SAE id into its repository and folder, checked as model ids and file names are (no "..", no
 * characters other than letters, digits, ".", "_", "-"). `folderOption` is options.folder. Throws an
 * INVALID_ARGUMENT HubError naming the id otherwise, or when the folder is given twice or names a file.
 */
export function parseSaeHubId(id: string, folderOption?: string): SaeHubId {
  if (/^https?:\/\//i.test(id)) throw invalidId(id, `a URL, not a hub id; ${idOfUrl(id)}`);
  const parts = id.replace(/\/+$/, "").split("/");
  if (parts.length < 2) throw invalidId(id, `a hub SAE is named "owner/repo" or "owner/repo/folder"`);
  const repoId = parts.slice(0, 2).join("/");
  try {
    validateRepoId(repoId);
  } catch (err) {
    throw invalidId(id, (err as Error).message);
  }
  const inId = parts.slice(2).join("/");
  if (inId !== "" && folderOption !== undefined)
    throw invalidId(
      id,
      `the folder is given twice ("${inId}" in the id and "${folderOption}" in options.folder); ` +
        `use "${repoId}/<folder>" or "${repoId}" with options.folder`,
    );
  const folder = (inId || folderOption) ?? "";
  if (folder !== "") {
    try {
      validateFileName(folder, "SAE folder");
    } catch (err) {
      throw invalidId(id, (err as Error).message);
    }
    const last = folder.split("/").pop()!;
    if (last === CONFIG_FILE || last === WEIGHTS_FILE || last.endsWith(".safetensors"))
      throw invalidId(id, `"${last}" is a file; name the folder that holds ${CONFIG_FILE} and ${WEIGHTS_FILE}`);
  }
  return { repoId, folder };
}

/** What to pass instead of a hub page's URL (`…/owner/repo/tree/<revision>/<folder>`). */
function idOfUrl(url: string): string {
  let parts: string[];
  try {
    parts = new URL(url).pathname
      .split("/")
      .filter((p) => p !== "")
      .map(decodeURIComponent);
  } catch {
    parts = [];
  }
  if (parts.length < 2) return `pass "owner/repo/folder"`;
  const [owner, repo, kind, revision, ...rest] = parts;
  const page = kind === "tree" || kind === "blob" || kind === "resolve";
  const folder = (page ? rest : []).filter((p) => p !== CONFIG_FILE && p !== WEIGHTS_FILE);
  const revisionHint = page && revision !== undefined && revision !== "main" ? ` with { revision: "${revision}" }` : "";
  return `pass "${[owner, repo, ...folder].join("/")}"${revisionHint}`;
}

/** `folder/file`, or `file` at the root. */
function inFolder(folder: string, file: string): string {
  return folder === "" ? file : `${folder}/${file}`;
}

/** `"owner/repo" at revision "main"`, or with the folder: `folder "x" of "owner/repo" at revision "main"`. */
function describe(hubId: SaeHubId, revision: string, withFolder = true): string {
  const repo = `"${hubId.repoId}" at revision "${revision}"`;
  if (!withFolder) return repo;
  return hubId.folder === "" ? `the root of ${repo}` : `folder "${hubId.folder}" of ${repo}`;
}

/** The folders holding a cfg.json, those sharing the longest prefix with `wanted` first, then in natural order. */
function saeFolders(files: string[], wanted: string): string[] {
  const folders = files.filter((f) => f === CONFIG_FILE || f.endsWith(`/${CONFIG_FILE}`)).map((f) => path.posix.dirname(f));
  const shared = (folder: string) => {
    let n = 0;
    while (n < folder.length && folder[n] === wanted[n]) n++;
    return n;
  };
  return folders.sort((a, b) => shared(b) - shared(a) || a.localeCompare(b, undefined, { numeric: true }));
}

/** "a, b, c, … (12 in all)". */
function someOf(names: string[]): string {
  const shown = names.slice(0, LISTED_FOLDERS).map((n) => (n === "." ? "(the root)" : n));
  return shown.join(", ") + (names.length > shown.length ? `, … (${names.length} in all)` : "");
}

/**
 * Explains a NOT_FOUND from the download by listing the repository: the folder has no cfg.json (naming the folders
 * that do), or cfg.json but no sae_weights.safetensors. Undefined when the listing cannot be had (the repository or
 * revision itself is missing: the original error says so) or shows both files.
 */
async function explainMissing(id: string, hubId: SaeHubId, options: LoadSaeOptions): Promise<HubError | undefined> {
  const revision = options.revision ?? "main";
  let listing: { files: string[]; complete: boolean };
  try {
    listing = await listHubFiles(hubId.repoId, options);
  } catch {
    return undefined;
  }
  const { files, complete } = listing;
  const has = (file: string) => files.includes(inFolder(hubId.folder, file));
  const inside = files.filter((f) => hubId.folder === "" || f.startsWith(`${hubId.folder}/`));
  const holds = inside.length > 0 && hubId.folder !== "" ? ` (it holds ${someOf(inside)})` : "";
  const fail = (why: string) => new HubError("NOT_FOUND", `loadSae(${JSON.stringify(id)}): ${why}`, 404);
  if (has(CONFIG_FILE) && !has(WEIGHTS_FILE))
    return fail(`${describe(hubId, revision)} has ${CONFIG_FILE} but no ${WEIGHTS_FILE}${holds}`);
  if (has(CONFIG_FILE)) return undefined;
  const folders = saeFolders(files, hubId.folder);
  const where =
    hubId.folder !== "" && inside.length === 0
      ? `${describe(hubId, revision, false)} has no folder "${hubId.folder}"`
      : `${describe(hubId, revision)} has no ${CONFIG_FILE}${holds}`;
  const among = complete ? "" : ` among its first ${files.length} files`;
  if (folders.length === 0)
    return fail(`${where}, and no folder of the repository has one${among}: it is not an SAE release in SAELens's format`);
  const example = folders[0] === "." ? hubId.repoId : `${hubId.repoId}/${folders[0]}`;
  return fail(`${where}. Folders with ${CONFIG_FILE}${among}: ${someOf(folders)}; load one as loadSae("${example}")`);
}

/** The error `err` from the download, with the SAE id in front (same code), or a clearer one for a missing file. */
async function saeHubError(err: HubError, id: string, hubId: SaeHubId, options: LoadSaeOptions): Promise<HubError> {
  if (err.code === "NOT_FOUND") {
    const explained = await explainMissing(id, hubId, options);
    if (explained !== undefined) return explained;
  }
  const notLocal = err.code === "NOT_FOUND" || err.code === "UNAUTHORIZED" ? `there is no local folder "${id}", and ` : "";
  return new HubError(err.code, `loadSae(${JSON.stringify(id)}): ${notLocal}${err.message}`, err.status);
}

/**
 * Downloads (or finds in the Hugging Face cache) the SAE `id` names (see parseSaeHubId) and returns the local folder
 * holding its cfg.json and sae_weights.safetensors. Only those two files are fetched. Throws a HubError naming the id,
 * repository, folder and file: repository or revision not found, no cfg.json in the folder (with the folders that
 * have one), no weights, offline without a cached copy.
 */
export async function resolveHubSae(id: string, options: LoadSaeOptions = {}): Promise<string> {
  const hubId = parseSaeHubId(id, options.folder);
  const files = [inFolder(hubId.folder, CONFIG_FILE), inFolder(hubId.folder, WEIGHTS_FILE)];
  let snapshot: string;
  try {
    snapshot = await resolveHubModel(hubId.repoId, {
      files,
      revision: options.revision,
      cacheDir: options.cacheDir,
      endpoint: options.endpoint,
      progress: options.progress,
      offline: options.offline,
      token: options.token,
    });
  } catch (err) {
    throw err instanceof HubError ? await saeHubError(err, id, hubId, options) : err;
  }
  return hubId.folder === "" ? snapshot : path.join(snapshot, ...hubId.folder.split("/"));
}
