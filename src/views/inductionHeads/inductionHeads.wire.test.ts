/**
 * inductionHeads through a real kernel: its parts open as widgets of their own (a Textarea, two
 * HeadScores, an AttentionPatterns in boxes); a prompt typed in the frontend makes the kernel run
 * the model and push, parented to that comm_msg, the prompt's scores to both grids (the numbers
 * detectHead gives in the kernel) and its tokens and patterns to the view; a click in one grid
 * selects that head in the other grid and in the patterns.
 */
import assert from "node:assert/strict";
import type { KernelClient, Received } from "../../../tests/kernel/client";
import { frontendUpdate, updatesOn, viewKernel } from "../../../tests/widgets/view-wire";
import { attentionPatternsSpec } from "../attentionPatterns/spec";
import { headScoresSpec } from "../headScores/spec";

const PROMPT = "the cat sat on the mat";

describe("inductionHeads over the kernel wire", function () {
  this.timeout(120_000);
  let kernel: KernelClient;
  const ids: Record<"text" | "previous" | "induction" | "patterns", string> = {
    text: "",
    previous: "",
    induction: "",
    patterns: "",
  };

  before(async () => {
    kernel = await viewKernel();
    const { outputs } = await kernel.run("const ihView = lens.inductionHeads(model);\nihView");
    const opens = outputs.filter((m) => m.header.msg_type === "comm_open");
    const named = (name: string) =>
      opens.filter((m) => (m.content.data as { state: { _model_name: string } }).state._model_name === name);
    const idOf = (m: Received) => String(m.content.comm_id);
    ids.text = idOf(named("TextareaModel")[0]);
    const grids = named(headScoresSpec.modelName);
    const title = (m: Received) => (m.content.data as { state: { title: string } }).state.title;
    ids.previous = idOf(grids.find((m) => title(m) === "previous-token score")!);
    ids.induction = idOf(grids.find((m) => title(m) === "induction score")!);
    ids.patterns = idOf(named(attentionPatternsSpec.modelName)[0]);
  });

  it("a typed prompt: both grids get that prompt's scores and the patterns its tokens, within the comm_msg", async () => {
    const published = await frontendUpdate(kernel, ids.text, { value: PROMPT });
    const expected = (await kernel.evaluate(`(() => {
      const row = (bos: boolean) => (model.toTokens(${JSON.stringify(PROMPT)}, { prependBos: bos }).arraySync() as number[][])[0];
      const input = lens.tf.tensor2d([[...row(true), ...row(false)]], undefined, "int32");
      return { previous: lens.detectHead(model, input, "previous_token_head"), induction: lens.detectHead(model, input, "induction_head"),
        tokens: model.toStrTokens(input) };
    })()`)) as { previous: number[][]; induction: number[][]; tokens: string[] };
    for (const grid of ["previous", "induction"] as const) {
      const [update] = updatesOn(published, ids[grid]);
      assert.ok(update, `an update on the ${grid} grid`);
      const scores = update.scores as number[][];
      const worst = Math.max(...scores.flatMap((row, l) => row.map((v, h) => Math.abs(v - expected[grid][l][h]))));
      assert.ok(worst < 1e-6, `${grid} scores: ${JSON.stringify(scores)} vs ${JSON.stringify(expected[grid])}`);
    }
    const patterns = updatesOn(published, ids.patterns).find((s) => s.tokens);
    assert.deepEqual(patterns?.tokens, expected.tokens);
    const n = expected.tokens.length;
    assert.equal((patterns?.patterns as DataView).byteLength, 2 * 4 * n * n, "new pattern bytes: 2 layers × 4 heads × n²");
  });

  it("a click in the previous-token grid selects that head in the induction grid and in the patterns", async () => {
    const published = await frontendUpdate(kernel, ids.previous, { selected: { layer: 1, head: 2 } });
    assert.deepEqual(
      updatesOn(published, ids.induction).map((s) => s.selected),
      [{ layer: 1, head: 2 }],
    );
    assert.deepEqual(
      updatesOn(published, ids.patterns).map((s) => s.selected_head),
      [6],
      "L1H2 is the seventh head shown",
    );
    assert.deepEqual(await kernel.evaluate("[ihView.induction.selected, ihView.patterns.selected]"), [
      { layer: 1, head: 2 },
      { layer: 1, head: 2 },
    ]);
  });
});
