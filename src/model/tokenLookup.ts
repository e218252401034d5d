/**
 * TransformerLens's token conveniences on top of a model's TokenCodec: the id of a text that is one token
 * (to_single_token), the token strings of each text of a list (to_str_tokens of a list), and where a token occurs
 * in a prompt (get_token_position).
 */
import type { Tensor } from "@tensorflow/tfjs-core";
import { describeValue } from "./hooks";
import type { ModelInput, TokenCodec, TokenOptions } from "./tokens";

/** Options of getTokenPosition. */
export interface TokenPositionOptions extends TokenOptions {
  /** Which occurrence: the "first" (default) or the "last". */
  mode?: "first" | "last";
}

/** The id of `text` when it is exactly one token (no BOS); otherwise an error naming the text and its tokens. */
export function toSingleToken(codec: TokenCodec, text: string): number {
  if (typeof text !== "string") throw new Error(`toSingleToken takes a text, got ${describeValue(text)}`);
  if (text === "") throw new Error('toSingleToken: the text "" has no tokens');
  const ids = codec.tokenIds(text, { prependBos: false })[0];
  if (ids.length !== 1) {
    const pieces = codec.toStrTokens(ids).map((s) => JSON.stringify(s));
    throw new Error(
      `toSingleToken: ${JSON.stringify(text)} is not a single token: it is ${ids.length} tokens (${pieces.join(", ")})`,
    );
  }
  return ids[0];
}

/** The token strings of each text of `texts` (BOS as `options.prependBos`, default the model's). */
export function strTokensOfEach(codec: TokenCodec, texts: string[], options: TokenOptions = {}): string[][] {
  texts.forEach((text, i) => {
    if (typeof text !== "string") throw new Error(`toStrTokens: item ${i} of the list is ${describeValue(text)}, not a text`);
  });
  return texts.map((text) => codec.toStrTokens(text, options));
}

/**
 * The position of `token` (an id, or a text that is one token) in `input` (one text, tokenised with BOS as
 * `options.prependBos`, or the ids of one sequence): its first occurrence, or its last with `mode: "last"`.
 */
export function getTokenPosition(
  codec: TokenCodec,
  token: number | string,
  input: string | number[] | number[][] | Tensor,
  options: TokenPositionOptions = {},
): number {
  const { mode = "first", ...tokenOptions } = options;
  if (mode !== "first" && mode !== "last")
    throw new Error(`getTokenPosition option mode must be "first" or "last", got ${describeValue(mode)}`);
  const id = typeof token === "string" ? toSingleToken(codec, token) : token;
  if (typeof id !== "number" || !Number.isInteger(id))
    throw new Error(`getTokenPosition takes a token id or a one-token text, got ${describeValue(token)}`);
  if (Array.isArray(input) && typeof input[0] === "string")
    throw new Error("getTokenPosition takes one prompt, got a list of texts: call it once per prompt");
  const { tokens, owned } = codec.checked(input as ModelInput, tokenOptions);
  const [batch] = tokens.shape;
  const row = batch === 1 ? Array.from(tokens.dataSync()) : null;
  if (owned) tokens.dispose();
  if (row === null) throw new Error(`getTokenPosition takes one sequence, got a batch of ${batch}`);
  const at = mode === "first" ? row.indexOf(id) : row.lastIndexOf(id);
  if (at < 0) {
    const shown = typeof token === "string" ? `${JSON.stringify(token)} (id ${id})` : `token id ${id}`;
    throw new Error(`getTokenPosition: ${shown} does not occur in the prompt (${row.length} tokens)`);
  }
  return at;
}
