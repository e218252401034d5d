/**
 * Padded batches in patching. The corrupted input comes as `model.forward` takes it — texts padded on `paddingSide`,
 * or token ids with their `attentionMask` — and must be padded exactly as the clean cache's run was: a patch swaps
 * the clean activation at the same [row, position], so both runs need their real tokens at the same places. Every
 * patched run then takes the mask, so it masks padding and counts positions as the unpatched runs did.
 */
import type { Tensor2D } from "@tensorflow/tfjs-core";
import type { ActivationCache } from "../../cache/activationCache";
import type { HookedTransformer, ModelInput } from "../../model/hookedTransformer";
import type { RunInputOptions } from "../../model/run";
import { checkAttentionMask } from "../../model/tokens";

/** The corrupted input as checked token ids and their padding mask (both int32 [batch, pos], the caller's to free). */
export interface CorruptedBatch {
  tokens: Tensor2D;
  /** Undefined when no position is padding. */
  attentionMask?: Tensor2D;
}

const isText = (input: ModelInput): input is string | string[] =>
  typeof input === "string" || (Array.isArray(input) && typeof input[0] === "string");

/**
 * Token ids and padding mask of the corrupted input: texts are tokenised and padded on `options.paddingSide`, token
 * ids take `options.attentionMask` (checked against their shape). Throws on a mask given with texts.
 */
export function corruptedBatch(model: HookedTransformer, corrupted: ModelInput, options: RunInputOptions): CorruptedBatch {
  if (isText(corrupted)) {
    if (options.attentionMask !== undefined)
      throw new Error(
        "attentionMask is for corrupted token ids: a corrupted text batch gets its mask from the tokenizer (use paddingSide)",
      );
    const { tokens, attentionMask } = model.toTokensWithMask(corrupted, options); // [batch, pos] each
    if (!attentionMask.dataSync().includes(0)) {
      attentionMask.dispose();
      return { tokens };
    }
    return { tokens, attentionMask };
  }
  const tokens = model.inputTokens(corrupted, options); // [batch, pos] int32
  if (options.attentionMask === undefined) return { tokens };
  try {
    return { tokens, attentionMask: checkAttentionMask(options.attentionMask, tokens.shape) };
  } catch (error) {
    tokens.dispose();
    throw error;
  }
}

/** The real positions of a mask row as ranges: "0…6", "3…6", "0, 2…4". */
function realSpans(row: number[]): string {
  const spans: string[] = [];
  for (let p = 0; p < row.length; p++) {
    if (row[p] !== 1) continue;
    const start = p;
    while (p + 1 < row.length && row[p + 1] === 1) p++;
    spans.push(start === p ? `${p}` : `${start}…${p}`);
  }
  return spans.join(", ");
}

/** The shape of the tokens the clean cache ran on; undefined for a cache built without its input. */
function cleanTokenShape(clean: ActivationCache): number[] | undefined {
  try {
    return clean.tokens.shape;
  } catch {
    return undefined;
  }
}

/**
 * Throws unless the corrupted batch (token shape `shape`, padding mask `mask`) is padded as the clean cache's run
 * was, naming the first row where they differ with both batches' shapes and real positions. Batches of different
 * shapes are left to the activation shape check, which names both shapes.
 */
export function checkSamePadding(clean: ActivationCache, shape: number[], mask: Tensor2D | undefined): void {
  const cleanMask = clean.attentionMask;
  if (!cleanMask && !mask) return;
  if ((cleanMask?.shape ?? cleanTokenShape(clean) ?? shape).join() !== shape.join()) return;
  const allReal = () => Array.from({ length: shape[0] }, () => new Array<number>(shape[1]).fill(1));
  const cleanRows = cleanMask?.arraySync() ?? allReal();
  const corruptedRows = mask?.arraySync() ?? allReal();
  const row = cleanRows.findIndex((r, b) => r.join() !== corruptedRows[b].join());
  if (row < 0) return;
  const hint = !mask
    ? "; give the corrupted token ids the clean batch's mask as { attentionMask } (toTokensWithMask returns it), or pass texts with the clean batch's paddingSide"
    : !cleanMask
      ? "; the clean cache ran without padding: run it on the clean batch padded the same way"
      : " (the same number of tokens per row and the same paddingSide)";
  throw new Error(
    `the corrupted input is padded differently from the clean cache: row ${row} has real tokens at positions ` +
      `${realSpans(cleanRows[row])} in the clean batch [${shape}]${cleanMask ? "" : " (no padding)"} but at ` +
      `${realSpans(corruptedRows[row])} in the corrupted batch [${shape}]${mask ? "" : " (no attentionMask)"}; ` +
      `clean and corrupted prompts must be padded alike${hint}`,
  );
}
