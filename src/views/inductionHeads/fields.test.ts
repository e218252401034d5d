/**
 * What an exported page needs to recompute the induction view without the kernel: the view's column names its
 * model and options in its DOM classes, and inductionViewFields gives, for a new prompt, exactly the fields the
 * kernel's view holds after recomputing that prompt (the grids, the patterns' bytes and thumbnails, the caption).
 */
import { strict as assert } from "assert";
import * as path from "path";
import { HookedTransformer, inductionHeads, loadModel, tf } from "../..";
import { REPO_ROOT } from "../../../tests/support/paths";
import { installFakeHost, removeFakeHost } from "../../../tests/widgets/fake-host";
import { INDUCTION_VIEW_CLASS, inductionViewFields, readLiveTag } from "./fields";

/** A widget's value as plain data: typed arrays and DataViews as arrays of bytes. */
function plain(value: unknown): unknown {
  if (value instanceof DataView) return Array.from(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
  if (ArrayBuffer.isView(value)) return Array.from(value as Uint8Array);
  return value;
}

describe("inductionHeads: the fields a live page recomputes", function () {
  this.timeout(60_000);
  let model: HookedTransformer;
  before(async () => (model = await loadModel(path.join(REPO_ROOT, "models", "attn-only-2l"))));
  after(() => model?.dispose());
  beforeEach(() => installFakeHost());
  afterEach(() => removeFakeHost());

  it("the view's column names its model (the folder's name) and its random-token options", () => {
    const view = inductionHeads(model, { seqLen: 12, seed: 3 });
    const classes = view.get("_dom_classes") as string[];
    assert.ok(classes.includes(INDUCTION_VIEW_CLASS), classes.join(" "));
    assert.deepEqual(readLiveTag(classes), { view: "inductionHeads", model: "attn-only-2l", seqLen: 12, seed: 3 });
    assert.ok(
      classes.every((c) => !/\s/.test(c)),
      "a DOM class holds no space",
    );
    const built = new HookedTransformer(model.cfg, {} as never);
    assert.equal(built.folder, undefined);
  });

  it("for a new prompt, every child's fields equal the kernel view's after it recomputes; no tensor is left", () => {
    const prompt = "The cat sat on the mat, and the dog ran.";
    const view = inductionHeads(model);
    view.patterns.selectedHead = 3;
    const before = tf.memory().numTensors;
    const fields = inductionViewFields(model, prompt, {}, view.patterns.selectedHead);
    assert.equal(tf.memory().numTensors, before);
    view.recompute(prompt);
    for (const [name, child] of [
      ["previousToken", view.previousToken],
      ["induction", view.induction],
      ["patterns", view.patterns],
    ] as const) {
      const wire = fields[name];
      assert.ok(Object.keys(wire).length > 5, `${name}: ${Object.keys(wire).join(", ")}`);
      for (const [key, value] of Object.entries(wire)) assert.deepEqual(plain(value), plain(child.get(key)), `${name}.${key}`);
    }
    assert.equal(fields.patterns.selected_head, 3);
    assert.equal(fields.caption, view.caption.get("value"));
    assert.equal(fields.rows, view.prompt.get("rows"));
    assert.equal(fields.tokens.length, (view.patterns.get("tokens") as string[]).length);
  });

  it("a selected head the new patterns lack falls back to head 0; a bad prompt throws and leaves no tensor", () => {
    assert.equal(inductionViewFields(model, "one two three", {}, 99).patterns.selected_head, 0);
    const before = tf.memory().numTensors;
    assert.throws(() => inductionViewFields(model, "", { seqLen: -1 }, 0), /seqLen/);
    assert.equal(tf.memory().numTensors, before);
  });
});
