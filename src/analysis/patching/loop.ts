/**
 * The loop mode: one full forward per patched run, with a hook that swaps in the clean slice, as
 * TransformerLens's patching module does. The batched mode is tested against it.
 */
import type { HookName } from "../../model/hookPoints";
import { tf } from "../../tensor";
import type { SweepProgress } from "./progress";
import { checkShape, cleanActivation, hideUnreadLogits, metricValue, patchMask, Sweep } from "./run";

/** Every run's metric value, in the sweep's order; `progress.step(done)` after each run (it throws to cancel). */
export async function runLoop(sweep: Sweep, progress: SweepProgress): Promise<number[]> {
  const { model, kind, tokens } = sweep;
  const values: number[] = [];
  for (let l = 0; l < model.cfg.nLayers; l++) {
    const clean = cleanActivation(sweep, l);
    const name: HookName = `blocks.${l}.${kind.hook}`;
    for (const tuple of sweep.tuples) {
      const logits = model.runWithHooks(tokens, {
        attentionMask: sweep.attentionMask, // padding masked and positions counted as in the unpatched run
        fwdHooks: [
          [
            name,
            (act) => {
              checkShape(act, clean, name, clean.shape[0]);
              const mask = patchMask(kind, act.shape, tuple);
              const patched = tf.where(mask, clean, act);
              mask.dispose();
              return patched;
            },
          ],
        ],
      });
      const read = sweep.metricPositions ? hideUnreadLogits(logits, sweep.metricPositions) : logits;
      if (read !== logits) logits.dispose();
      try {
        values.push(metricValue(sweep, read));
      } finally {
        read.dispose();
      }
      await progress.step(values.length);
    }
  }
  return values;
}
