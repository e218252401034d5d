/**
 * An induction view of an exported page, answered in the page: a prompt typed into its box is computed here
 * (inductionViewFields, the kernel's code) and its fields set on the view's widget models, so the view redraws as
 * when the kernel answers; the patterns view's requests for a head's exact weights (a hovered cell's tooltip) are
 * answered from the page's last computation. Once the model has loaded, the page computes the prompt the view was
 * saved with, once, without setting anything: when it reproduces the saved tokens and pattern bytes, hover answers
 * exactly from the start (before, the tooltip showed the quantised value, marked ≈, until the reader typed a prompt).
 */
import type { HookedTransformer } from "../../../src/model/hookedTransformer";
import { tf } from "../../../src/tensor";
import { PLACEHOLDER, inductionViewFields } from "../../../src/views/inductionHeads/fields";
import type { LiveTag } from "../../../src/views/inductionHeads/fields";
import { pageModel, recordAnswer } from "./page";
import type { LiveViewReport, PageModel } from "./page";

/** The exact weights [heads, query, key] (flat) of what the page computed, for patterns version `version`. */
interface ExactPatterns {
  values: Float32Array;
  version: number;
  /** query × key: one head's share of `values`. */
  size: number;
}

/** A binary field's bytes (a DataView or typed array as the page's model holds it, or the wire value). */
function bytesOf(value: unknown): Uint8Array | undefined {
  if (!ArrayBuffer.isView(value)) return undefined;
  return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

/** True when `a` and `b` hold as many bytes and none differ by more than one quantisation level. */
function sameQuantised(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (Math.abs(a[i] - b[i]) > 1) return false;
  return true;
}

/** Answers the prompts typed into the induction view whose column is widget `id` (see the file's comment). */
export async function wireInductionView(
  id: string,
  tag: LiveTag,
  model: Promise<HookedTransformer>,
  report: LiveViewReport,
): Promise<void> {
  const column = await pageModel(id);
  const [prompt, row, caption, patterns] = column.get("children") as PageModel[];
  const [previousToken, induction] = row.get("children") as PageModel[];
  const options = { seqLen: tag.seqLen, seed: tag.seed };
  let exact: ExactPatterns | undefined;
  // Heads whose exact weights the view asked for before the page had them: answered once it does.
  const waiting = new Set<number>();
  const answer = (head: number) => {
    if (!exact || head >= exact.values.length / exact.size) return;
    const values = exact.values.slice(head * exact.size, (head + 1) * exact.size); // [query, key]
    const reply = { values_for: head, patterns_version: exact.version };
    setTimeout(() => patterns.trigger("msg:custom", reply, [new DataView(values.buffer)]), 0);
  };
  const send = patterns.send.bind(patterns);
  patterns.send = (content, ...rest) => {
    const head = Number(content?.request === "values" ? content.head : NaN);
    if (!Number.isInteger(head) || head < 0) return send(content, ...rest);
    if (exact) answer(head);
    else waiting.add(head);
  };
  const known = (found: ExactPatterns) => {
    exact = found;
    report.exactReady = true;
    for (const head of waiting) answer(head);
    waiting.clear();
  };
  prompt.on("change:value", async () => {
    const started = performance.now();
    const text = String(prompt.get("value") ?? "");
    let failure: unknown;
    try {
      const fields = inductionViewFields(await model, text, options, Number(patterns.get("selected_head")));
      previousToken.set(fields.previousToken);
      induction.set(fields.induction);
      const version = Number(patterns.get("patterns_version")) + 1;
      const size = Number(fields.patterns.n_queries) * Number(fields.patterns.n_keys);
      known({ values: fields.exactPatterns, version, size });
      patterns.set({ ...fields.patterns, patterns_version: version });
      caption.set({ value: fields.caption });
      prompt.set({ placeholder: PLACEHOLDER, rows: fields.rows });
    } catch (error) {
      failure = error;
      prompt.set({ placeholder: `error: ${error instanceof Error ? error.message : String(error)}` });
      console.error(`inductionHeads (live): ${error instanceof Error ? error.message : String(error)}`);
    }
    recordAnswer(report, started, failure, tf.memory().numTensors);
  });
  // The saved prompt, computed once the model is in (before any typed prompt: this runs first), nothing drawn.
  const saved = { text: String(prompt.get("value") ?? ""), version: Number(patterns.get("patterns_version")) };
  void model
    .then((loaded) => {
      if (exact) return;
      try {
        const fields = inductionViewFields(loaded, saved.text, options, Number(patterns.get("selected_head")));
        const sameTokens = JSON.stringify(fields.patterns.tokens) === JSON.stringify(patterns.get("tokens"));
        const unchanged = Number(patterns.get("patterns_version")) === saved.version;
        if (unchanged && sameTokens && sameQuantised(bytesOf(fields.patterns.patterns), bytesOf(patterns.get("patterns")))) {
          const size = Number(fields.patterns.n_queries) * Number(fields.patterns.n_keys);
          known({ values: fields.exactPatterns, version: saved.version, size });
        } else report.exactReady = false;
      } catch (error) {
        report.exactReady = false;
        console.warn(`inductionHeads (live): the saved prompt could not be computed: ${String(error)}`);
      }
    })
    .catch(() => (report.exactReady = false)); // the model did not load: a typed prompt reports why
}
