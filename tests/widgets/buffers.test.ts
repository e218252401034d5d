/**
 * Binary values in widget state (buffer_paths): split out on send, put back on receive, and hostile
 * paths (prototype keys, inherited names, out-of-range indices, wrong types, hostile depth) refused whole.
 */
import { strict as assert } from "assert";
import { BadMessageError, checkDepth, putBuffers, removeBuffers } from "../../src/widget-core/buffers";

describe("widgets/buffers", function () {
  it("splits binary values out: object keys deleted, list elements nulled", function () {
    const b0 = new Uint8Array([1]);
    const b1 = new ArrayBuffer(2);
    const b2 = new DataView(new ArrayBuffer(3));
    const split = removeBuffers({ x: { ar: b0 }, y: [b1, b2], z: 1 });
    assert.deepEqual(split.state, { x: {}, y: [null, null], z: 1 });
    assert.deepEqual(split.bufferPaths, [
      ["x", "ar"],
      ["y", 0],
      ["y", 1],
    ]);
    assert.deepEqual(split.buffers, [b0, b1, b2]);
  });

  it("puts buffers back and names a bad path", function () {
    const views = [new DataView(new ArrayBuffer(1)), new DataView(new ArrayBuffer(2))];
    const state: Record<string, unknown> = { x: {}, y: [null] };
    putBuffers(
      state,
      [
        ["x", "ar"],
        ["y", 0],
      ],
      views,
    );
    assert.equal((state.x as Record<string, unknown>).ar, views[0]);
    assert.equal((state.y as unknown[])[0], views[1]);
    assert.throws(() => putBuffers({}, [["a", "b"]], [views[0]]), /buffer path \["a","b"\] does not exist/);
    assert.throws(() => putBuffers({}, [["a"]], []), /lists 1 paths but the message carries 0 buffers/);
    assert.throws(() => putBuffers({}, "x", []), /buffer_paths must be a list/);
  });
});

describe("widgets/buffers: hostile buffer paths", function () {
  const view = () => new DataView(new ArrayBuffer(1));

  it("refuses __proto__, constructor and prototype anywhere in a path, naming the path", function () {
    for (const path of [
      ["__proto__", "polluted"],
      ["__proto__"],
      ["x", "__proto__", "a"],
      ["constructor", "prototype", "p"],
      ["x", "prototype"],
    ]) {
      assert.throws(
        () => putBuffers({ x: {} }, [path], [view()]),
        (err: Error) => err instanceof BadMessageError && err.message.includes(`buffer path ${JSON.stringify(path)} refused`),
        JSON.stringify(path),
      );
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.getPrototypeOf({}), Object.prototype);
  });

  it("walks only own properties", function () {
    const shared = { note: "on the prototype" };
    const state = Object.create({ shared }) as Record<string, unknown>;
    assert.throws(() => putBuffers(state, [["shared", "data"]], [view()]), /buffer path \["shared","data"\] does not exist/);
    assert.deepEqual(Object.keys(shared), ["note"]);
    assert.throws(() => putBuffers({}, [["toString", "data"]], [view()]), /does not exist/);
  });

  it("checks every path before placing any buffer", function () {
    const state: Record<string, unknown> = { x: {} };
    assert.throws(
      () =>
        putBuffers(
          state,
          [
            ["x", "ar"],
            ["__proto__", "p"],
          ],
          [view(), view()],
        ),
      /refused/,
    );
    assert.deepEqual(state, { x: {} });
  });

  it("refuses list indices out of range or not integers, segments of other types, and binary steps", function () {
    const state: Record<string, unknown> = { y: [null], b: new DataView(new ArrayBuffer(2)) };
    assert.throws(() => putBuffers(state, [["y", 1]], [view()]), /buffer path \["y",1\]: 1 is not an index of the list/);
    assert.throws(() => putBuffers(state, [["y", "length"]], [view()]), /"length" is not an index/);
    assert.throws(() => putBuffers(state, [["y", -1]], [view()]), /-1 is not an index/);
    assert.throws(() => putBuffers(state, [["y", 0.5]], [view()]), /0\.5 is not an index/);
    assert.throws(() => putBuffers(state, [["y", { a: 1 }]], [view()]), /segment \{"a":1\} is not a string or number/);
    assert.throws(() => putBuffers(state, [["b", "x"]], [view()]), /does not exist/);
    assert.throws(() => putBuffers(state, ["y"], [view()]), /buffer path "y" is not a non-empty list/);
    assert.throws(() => putBuffers(state, [[]], [view()]), /buffer path \[\] is not a non-empty list/);
    putBuffers(state, [["y", "0"]], [view()]);
    assert.ok((state.y as unknown[])[0] instanceof DataView);
  });

  it("checkDepth accepts ordinary nesting and refuses hostile depth", function () {
    checkDepth({ a: [{ b: [1, 2, { c: new Uint8Array(2) }] }] }, "state");
    let deep: unknown = {};
    for (let i = 0; i < 200; i++) deep = { d: deep };
    assert.throws(() => checkDepth(deep, "state"), /state nests deeper than 100 levels/);
  });
});
