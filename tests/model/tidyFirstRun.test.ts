/**
 * A model's first run builds fused weights it keeps; made inside the caller's tf.tidy (as the README allows), they
 * must outlive that scope.
 */
import { strict as assert } from "assert";
import * as path from "path";
import { loadModel, tf } from "../../src";
import { REPO_ROOT } from "../support/paths";

const GPT2 = path.join(REPO_ROOT, "tests", "fixtures", "models", "gpt2-tiny");

describe("a first forward inside tf.tidy", () => {
  it("keeps the model's fused weights: the next run works and gives the same logits", async () => {
    const model = await loadModel(GPT2);
    try {
      const first = tf.tidy(() => model.forward([[1, 2, 3]]).arraySync());
      const second = model.forward([[1, 2, 3]]);
      assert.deepEqual(second.arraySync(), first);
      second.dispose();
    } finally {
      model.dispose();
    }
  });
});
