/** src/common/heads.ts: a head is { layer, head } in code and "L1H0" as a label, both ways. */
import { strict as assert } from "assert";
import { headLabel, isHeadRef, parseHeadLabel, sameHead } from "../../src/common/heads";

describe("common/heads", function () {
  it("labels a head L{layer}H{head} and reads the label back", () => {
    assert.equal(headLabel({ layer: 1, head: 0 }), "L1H0");
    assert.equal(headLabel({ layer: 11, head: 10 }), "L11H10");
    assert.deepEqual(parseHeadLabel("L11H10"), { layer: 11, head: 10 });
    for (const ref of [
      { layer: 0, head: 0 },
      { layer: 3, head: 7 },
    ])
      assert.deepEqual(parseHeadLabel(headLabel(ref)), ref);
  });

  it("refuses labels that are not L<n>H<n>, naming the label", () => {
    for (const bad of ["H1", "L1", "l1h0", "L01H0", "L1H-1", "L1H0 ", ""])
      assert.throws(() => parseHeadLabel(bad), new RegExp(`got ${JSON.stringify(JSON.stringify(bad)).slice(1, -1)}`));
  });

  it("isHeadRef wants non-negative integers; sameHead compares layer and head", () => {
    assert.ok(isHeadRef({ layer: 0, head: 2, extra: true }));
    for (const bad of [null, 3, "L1H0", { layer: -1, head: 0 }, { layer: 1.5, head: 0 }, { layer: 1 }])
      assert.ok(!isHeadRef(bad));
    assert.ok(sameHead({ layer: 1, head: 2 }, { layer: 1, head: 2 }));
    assert.ok(!sameHead({ layer: 1, head: 2 }, { layer: 2, head: 1 }));
    assert.ok(!sameHead(null, { layer: 0, head: 0 }));
  });
});
