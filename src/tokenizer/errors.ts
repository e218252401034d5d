/**
 * The error thrown when a tokenizer folder cannot be loaded.
 */

/**
 * A tokenizer folder is missing, or one of its files is missing or invalid.
 * The message names the folder and the file; both are also kept as fields.
 */
export class TokenizerLoadError extends Error {
  /** The folder that was being loaded. */
  readonly folder: string;
  /** The file at fault (a bare file name such as "tokenizer.json"), or null when the folder itself is. */
  readonly file: string | null;

  /**
   * @param folder the folder that was being loaded
   * @param file the file at fault, or null when the folder itself is missing
   * @param message what is wrong (the folder and file are prepended)
   */
  constructor(folder: string, file: string | null, message: string) {
    super(file === null ? `Tokenizer folder ${folder}: ${message}` : `Tokenizer folder ${folder}: ${file}: ${message}`);
    this.name = "TokenizerLoadError";
    this.folder = folder;
    this.file = file;
  }
}
