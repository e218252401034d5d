/**
 * src/common/quantise.ts, the one quantiser and serialiser pair the kernel and the browser share:
 * bytes within half a level, values outside the scale clamped to 0 and 255, NaN to 0, and the
 * serialisers reading what a comm delivers (DataViews at any offset) back into typed arrays.
 */
import { strict as assert } from "assert";
import { byteValue, bytesSerializer, floatsSerializer, quantise, scaleWithZero, valueRange } from "../../src/common/quantise";

describe("common/quantise", function () {
  it("bytes on [min, max] decode within half a level; the range of constant values is widened", () => {
    const values = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 3);
    const [min, max] = valueRange(values);
    const bytes = quantise(values, min, max);
    const step = (max - min) / 255;
    values.forEach((v, i) => assert.ok(Math.abs(byteValue(bytes[i], min, max) - v) <= step / 2 + 1e-6));
    assert.deepEqual(valueRange([2, 2]), [1.5, 2.5]);
    assert.deepEqual(valueRange([NaN, Infinity]), [0, 1]);
    assert.throws(() => quantise([1], 1, 1), /max > min, got \[1, 1\]/);
  });

  it("clamps values outside the scale to bytes 0 and 255 (a byte array would wrap them) and NaN to 0", () => {
    // On [0.25, 0.75]: −1 → −638 and 2 → 893 before clamping; 0.25 → 0, 0.5 → 127.5 → 128, 0.75 → 255.
    assert.deepEqual(Array.from(quantise([-1, 0, 0.25, 0.5, 0.75, 1, 2, NaN], 0.25, 0.75)), [0, 0, 0, 128, 255, 255, 255, 0]);
    assert.deepEqual(Array.from(quantise([-300, 300], -1, 1)), [0, 255]);
  });

  it("scaleWithZero: given bounds win, else the values' range widened to include 0", () => {
    assert.deepEqual(scaleWithZero([0.2, 0.9]), [0, 0.9]);
    assert.deepEqual(scaleWithZero([-2, -1]), [-2, 0]);
    assert.deepEqual(scaleWithZero([0.2, 0.9], { min: -1, max: 3 }), [-1, 3]);
  });

  it("the serialisers read a comm buffer (a DataView at an offset) back and write a view of the same bytes", () => {
    const backing = new ArrayBuffer(16);
    new Float32Array(backing).set([9, 1.5, -2, 9]);
    const floats = floatsSerializer.deserialize(new DataView(backing, 4, 8))!;
    assert.deepEqual(Array.from(floats), [1.5, -2]);
    assert.equal(floats.byteOffset, 0, "copied out, so aligned");
    const written = floatsSerializer.serialize(floats)!;
    assert.deepEqual(Array.from(new Float32Array(written.buffer, written.byteOffset, 2)), [1.5, -2]);
    assert.throws(() => floatsSerializer.deserialize(new DataView(backing, 0, 6)), /multiple of 4 bytes, got 6/);
    const bytes = bytesSerializer.deserialize(new DataView(new Uint8Array([7, 8, 9]).buffer, 1, 2))!;
    assert.deepEqual(Array.from(bytes), [8, 9]);
    assert.equal(bytesSerializer.deserialize(null), null);
    assert.equal(floatsSerializer.deserialize(undefined), null);
  });
});
