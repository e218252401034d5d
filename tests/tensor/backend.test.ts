/**
 * Backend choice: native TensorFlow by default (after scripts/build-tfjs-native.sh), TSLENS_BACKEND=wasm|cpu
 * override, the same matMul numbers everywhere, fallback and clear errors, and what is active right after import.
 * Each case runs in a fresh process.
 */
import { strict as assert } from "assert";
import { backend, backendInfo, initBackend, tf } from "../../src/tensor";
import { ChildResult, entry, ImportReport, MATMUL, runChild } from "./child";
import { assertNoLeak } from "./leak";

/** The child's report, or a failure that shows why the child failed. */
function reportOf(result: ChildResult) {
  assert.ok(result.report, `child failed (status ${result.status}): ${result.error ?? result.stderr}`);
  return result.report;
}

/** What the child saw right after import, or a failure that shows why the child failed. */
function importOf(result: ChildResult): ImportReport {
  assert.ok(result.atImport, `child failed before reporting (status ${result.status}): ${result.stderr}`);
  return result.atImport;
}

/** tfjs's "install the node backend" banner, printed when it falls back to its cpu backend on its own. */
const TFJS_BANNER = /looks like you are running TensorFlow\.js in Node\.js/;

/** The message an op gets while wasm is still starting. */
const AWAIT_WASM =
  /^ERROR tslens is still starting the "wasm" tfjs backend: `await initBackend\(\)` \(from "tslens"\) before the first tensor operation$/;

/** The matMul every child computes, in float64 from the same float32 inputs. */
function referenceMatmul(): number[] {
  const { m, k, n } = MATMUL;
  const out: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) sum += entry(i, p, 1) * entry(p, j, 2);
      out.push(sum);
    }
  }
  return out;
}

/** Largest absolute difference between two equally long arrays. */
function maxAbsDiff(a: number[], b: number[]): number {
  assert.equal(a.length, b.length);
  return a.reduce((worst, x, i) => Math.max(worst, Math.abs(x - b[i])), 0);
}

describe("tensor backends", function () {
  this.timeout(120_000);
  const runs: Record<string, ChildResult> = {};
  before(function () {
    runs.default = runChild();
    runs.wasm = runChild({ backend: "wasm" });
    runs.cpu = runChild({ backend: "cpu" });
  });

  it("picks the native tensorflow backend by default (run scripts/build-tfjs-native.sh if this fails)", function () {
    const r = reportOf(runs.default);
    assert.equal(r.info.name, "tensorflow");
    assert.equal(r.info.package, "@tensorflow/tfjs-node");
    assert.equal(r.backend, "tensorflow");
    assert.equal(r.engineBackend, "tensorflow", "tensors made with `tf` must run on the native backend");
    assert.equal(r.backendClass, "NodeJSKernelBackend");
    assert.equal(r.coreCopies, 1, "tfjs-node must share tslens's single @tensorflow/tfjs-core");
    for (const s of r.info.reasonsSkipped) assert.equal(s.package, "@tensorflow/tfjs-node-gpu");
  });

  it("TSLENS_BACKEND=wasm and =cpu select those backends", function () {
    for (const name of ["wasm", "cpu"]) {
      const r = reportOf(runs[name]);
      assert.equal(r.backend, name);
      assert.equal(r.engineBackend, name);
      assert.deepEqual(r.info.reasonsSkipped, []);
    }
    assert.equal(reportOf(runs.wasm).info.package, "@tensorflow/tfjs-backend-wasm");
    assert.equal(reportOf(runs.cpu).info.package, "@tensorflow/tfjs-backend-cpu");
  });

  it("gives the same matMul on tensorflow, wasm and cpu (1e-5), matching float64", function () {
    const expected = referenceMatmul();
    for (const name of ["default", "wasm", "cpu"]) {
      const r = reportOf(runs[name]);
      const diff = maxAbsDiff(r.matmul, expected);
      assert.ok(diff <= 1e-5, `${r.backend}: max |diff| ${diff} from the float64 reference`);
      assert.equal(r.tensorsLeft, 0, `${r.backend}: tidy left tensors behind`);
    }
    const native = reportOf(runs.default).matmul;
    assert.ok(maxAbsDiff(reportOf(runs.wasm).matmul, native) <= 1e-5);
    assert.ok(maxAbsDiff(reportOf(runs.cpu).matmul, native) <= 1e-5);
  });

  it("has chained tensor methods (x.reshape) on every backend", function () {
    for (const name of ["default", "wasm", "cpu"]) assert.equal(reportOf(runs[name]).chainedReshape, "function");
  });

  it("is idempotent", function () {
    assert.ok(reportOf(runs.default).sameInfoTwice, "a second initBackend() must return the first result");
  });

  it("activates the native backend at import: backend() answers and the first op runs on it, before initBackend()", function () {
    const atImport = importOf(runs.default);
    assert.equal(atImport.backend, '"tensorflow"');
    assert.equal(atImport.engineBackend, "tensorflow");
    assert.equal(atImport.op, "[2,2]");
    assert.equal(reportOf(runs.default).beforeInit, "no error");
  });

  it("activates TSLENS_BACKEND=cpu at import too", function () {
    const atImport = importOf(runs.cpu);
    assert.equal(atImport.backend, '"cpu"');
    assert.equal(atImport.op, "[2,2]");
  });

  it("prints no tfjs banner, whichever backend is chosen", function () {
    for (const name of ["default", "wasm", "cpu"]) {
      assert.doesNotMatch(runs[name].stdout + runs[name].stderr, TFJS_BANNER, `${name} printed tfjs's banner`);
    }
  });

  it("with wasm, makes an op before initBackend() fail saying to await it (not run on cpu); after it, ops run on wasm", function () {
    const atImport = importOf(runs.wasm);
    assert.match(atImport.op, AWAIT_WASM);
    assert.match(atImport.backend, /^ERROR no tfjs backend yet: await initBackend\(\) first$/);
    assert.equal(reportOf(runs.wasm).beforeInit, "no tfjs backend yet: await initBackend() first");
    assert.equal(reportOf(runs.wasm).engineBackend, "wasm");
  });

  it("rejects an unknown TSLENS_BACKEND with a message naming it and the choices", function () {
    const result = runChild({ backend: "gpu2" });
    assert.notEqual(result.status, 0);
    assert.equal(result.report, undefined);
    const message =
      'TSLENS_BACKEND="gpu2" is not a backend tslens knows: use tensorflow, wasm, cpu, or leave it unset to pick the fastest that loads';
    assert.equal(result.error, message);
    assert.equal(importOf(result).op, `ERROR ${message}`, "an op after import must fail with the same message");
  });

  it("falls back to wasm when tfjs-node cannot load, and says why", function () {
    const result = runChild({
      breakPackage: { name: "@tensorflow/tfjs-node", message: "simulated: no tfjs_binding.node\nmore" },
    });
    assert.match(importOf(result).op, AWAIT_WASM);
    const r = reportOf(result);
    assert.equal(r.backend, "wasm");
    const skipped = r.info.reasonsSkipped.filter((s) => s.package !== "@tensorflow/tfjs-node-gpu");
    assert.deepEqual(skipped, [{ package: "@tensorflow/tfjs-node", reason: "simulated: no tfjs_binding.node" }]);
    const notes = result.stderr.split("\n").filter((l) => l.startsWith("tslens: running on"));
    assert.deepEqual(notes, [
      "tslens: running on the wasm backend, because native TensorFlow did not load " +
        "(@tensorflow/tfjs-node: simulated: no tfjs_binding.node). " +
        "`npx tslens build-native` builds it offline; it is several times faster.",
    ]);
  });

  it("says nothing about a slower backend when it is native, or when TSLENS_BACKEND chose it", function () {
    for (const backend of [undefined, "wasm", "cpu"]) {
      const result = runChild({ backend });
      assert.equal(result.status, 0, result.stderr);
      assert.doesNotMatch(result.stderr, /tslens: running on/, `TSLENS_BACKEND=${backend}`);
    }
  });

  it("makes an explicit TSLENS_BACKEND that cannot load an error naming the backend and the reason", function () {
    const result = runChild({
      backend: "tensorflow",
      breakPackage: { name: "@tensorflow/tfjs-node", message: "simulated: no tfjs_binding.node" },
    });
    assert.equal(result.status, 3);
    assert.match(importOf(result).op, /^ERROR TSLENS_BACKEND=tensorflow: the "tensorflow" backend cannot load \(/);
    assert.match(result.error ?? "", /^TSLENS_BACKEND=tensorflow: the "tensorflow" backend cannot load \(/);
    assert.match(result.error ?? "", /@tensorflow\/tfjs-node: simulated: no tfjs_binding\.node\)$/);
  });

  it("runs in this process too, and assertNoLeak catches a leaked tensor", async function () {
    const info = await initBackend();
    assert.equal(backend(), info.name);
    assert.equal(backendInfo(), info);
    const sum = await assertNoLeak(() =>
      tf.tidy(() =>
        tf
          .matMul(tf.ones([4, 3]), tf.ones([3, 2]))
          .sum()
          .arraySync(),
      ),
    );
    assert.equal(sum, 24);
    let kept: tf.Tensor | undefined;
    await assert.rejects(
      assertNoLeak(() => void (kept = tf.ones([2])), "the leaky fn"),
      /the leaky fn leaked 1 tensor\(s\)/,
    );
    kept?.dispose();
  });
});
