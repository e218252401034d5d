/**
 * What tests/browser/liveEngine.test.ts runs in a page and in Node: the experiments (one function, run on both
 * sides: `L` is tslensLive in the page, the "tslens" package in Node), how their numbers are compared, and the
 * test pages (the live bundle and an embedded model inlined into one HTML file).
 */
import assert from "node:assert/strict";

/**
 * What the page is asked to compute, and the Node engine too: `L` is tslensLive in the page and the "tslens"
 * package in Node. Returns plain numbers; frees every tensor it makes.
 */
export function experiment(L: any, model: any, prompt: string): any {
  const tokens = model.toTokens(prompt); // [1, pos]
  const lensHooks = L.logitLensHooks(model.cfg.nLayers);
  const { logits, cache } = model.runWithCache(tokens, {
    namesFilter: (n: string) => lensHooks.includes(n) || n.endsWith("hook_pattern"),
  });
  const hooked = model.runWithHooks(tokens, {
    fwdHooks: [["blocks.0.attn.hook_z", (z: any) => z.mul(0.5)]],
  });
  const topK = L.logitLensTopK(model, cache, { topK: 3 });
  // ∂(last position's logit of token 0)/∂ each layer's attention output, as attribution views read it.
  const gradRun = model.runWithCacheAndGrads(tokens, (lg: any) => lg.slice([0, lg.shape[1] - 1, 0], [1, 1, 1]).sum(), {
    namesFilter: (n: string) => n.endsWith("hook_attn_out"),
  });
  const repeated = L.repeatedSequenceScores(model, { prompt });
  const result = {
    tokens: tokens.arraySync()[0],
    strTokens: model.toStrTokens(prompt),
    logits: Array.from(logits.dataSync()),
    hookedLogits: Array.from(hooked.dataSync()),
    pattern1: cache.get("blocks.1.attn.hook_pattern").arraySync(),
    lensTopTokens: topK.topTokens,
    lensTopProbs: topK.topProbs,
    duplicateToken: L.detectHead(model, cache, "duplicate_token_head"),
    repeatedTokens: repeated.tokens,
    previousToken: repeated.previousToken,
    induction: repeated.induction,
    repeatedPatterns: repeated.patterns.map((p: any) => p.arraySync()),
    randomInduction: L.inductionScores(model, { seqLen: 20, batch: 2 }),
    gradValue: gradRun.value,
    attnOutGrad: gradRun.grads.get("blocks.0.hook_attn_out").arraySync(),
  };
  gradRun.cache.dispose();
  gradRun.grads.dispose();
  L.tf.dispose([tokens, logits, hooked, ...repeated.patterns]);
  cache.dispose();
  return result;
}

/** A smaller experiment for the other backends (one run): the induction view's scores and patterns. */
export function scoresOf(L: any, model: any, prompt: string): any {
  const repeated = L.repeatedSequenceScores(model, { prompt });
  const patterns = repeated.patterns.map((p: any) => p.arraySync());
  L.tf.dispose(repeated.patterns);
  return { patterns, previousToken: repeated.previousToken, induction: repeated.induction };
}

/** The largest |a − b| over two nested arrays of numbers of the same shape; throws naming `what` when shapes differ. */
export function maxDiff(a: unknown, b: unknown, what: string): number {
  if (Array.isArray(a) && Array.isArray(b)) {
    assert.equal(a.length, b.length, `${what}: lengths differ`);
    return a.reduce((m: number, x, i) => Math.max(m, maxDiff(x, b[i], `${what}[${i}]`)), 0);
  }
  assert.equal(typeof a, "number", `${what}: not a number`);
  assert.equal(typeof b, "number", `${what}: not a number`);
  return Math.abs((a as number) - (b as number));
}

/** `text` safe inside a <script> element. */
function scriptText(text: string): string {
  return text.replace(/<\/script/gi, "<\\/script");
}

/** A page with the bundle and the embedded model only. */
export function barePage(bundle: string, model: string): string {
  return `<!doctype html><meta charset="utf-8"><script>${scriptText(bundle)}</script><script>${scriptText(model)}</script>`;
}

/** The test page: the bundle, the embedded model, and a script that times loading and runs the experiment. */
export function testPage(bundle: string, model: string, prompt: string): string {
  const run = `
    window.liveRun = (async () => {
      const L = window.tslensLive;
      const marks = { scripts: performance.now() };
      const backend = await L.initBackend();
      marks.backend = performance.now();
      const model = await L.loadModel("attn-only-2l");
      marks.loaded = performance.now();
      const first = L.repeatedSequenceScores(model, { prompt: ${JSON.stringify(prompt)} });
      L.tf.dispose(first.patterns);
      marks.firstComputation = performance.now();
      const experiment = ${experiment.toString()};
      const before = L.tf.memory().numTensors;
      const result = experiment(L, model, ${JSON.stringify(prompt)});
      experiment(L, model, ${JSON.stringify(prompt)});
      const after = L.tf.memory().numTensors;
      return { marks, backend, result, before, after, models: L.embeddedModels() };
    })().catch((err) => ({ error: String(err && err.stack || err) }));`;
  return [
    '<!doctype html><html><head><meta charset="utf-8"><title>tslens live</title></head><body>',
    `<script>${scriptText(bundle)}</script>`,
    `<script>${scriptText(model)}</script>`,
    `<script>${scriptText(run)}</script>`,
    "</body></html>",
  ].join("\n");
}
