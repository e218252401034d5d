/**
 * What a notebook cell experiences, through a real kernel: tfjs's chained tensor methods type-check, names starting
 * with `__` work, earlier cells' names work in every syntactic position (shorthand properties included), tensors
 * display their values, and the tfjs backend is ready when tslens is imported.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { applyPatches, CONVERTER_PATCHES } from "../../kernel/tslab-converter";
import { KernelClient, Received } from "./client";

/** Method names tfjs-core declares on Tensor in its chained-op typings (dist/public/chained_ops/*.d.ts). */
function chainedMethodNames(): string[] {
  const dir = path.join(path.dirname(require.resolve("@tensorflow/tfjs-core/package.json")), "dist/public/chained_ops");
  const names = new Set<string>();
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".d.ts"))) {
    const body = /interface Tensor<[^>]*>\s*\{([^}]*)\}/.exec(fs.readFileSync(path.join(dir, file), "utf8"))?.[1];
    for (const match of (body ?? "").matchAll(/^\s*([A-Za-z_$][\w$]*)\s*[<(]/gm)) names.add(match[1]);
  }
  return [...names].sort();
}

/** A cell's outcome: its result's text/plain, its stdout, or its error. */
interface CellRun {
  text?: string;
  stdout: string;
  error?: string;
  outputs: Received[];
}

describe("notebook cells", function () {
  this.timeout(180_000);
  let k: KernelClient;

  before(async () => {
    k = await KernelClient.start();
  });

  after(async () => {
    await k?.stop();
  });

  /** Runs one cell. */
  async function run(code: string, kernel: KernelClient = k): Promise<CellRun> {
    const { outputs, reply } = await kernel.execute(code);
    const result = outputs.find((m) => m.header.msg_type === "execute_result");
    const stdout = outputs
      .filter((m) => m.header.msg_type === "stream" && m.content.name === "stdout")
      .map((m) => String(m.content.text))
      .join("");
    const error = reply?.content.status === "error" ? `${reply.content.ename}: ${reply.content.evalue}` : undefined;
    const text = (result?.content.data as Record<string, string> | undefined)?.["text/plain"];
    return { text, stdout, error, outputs };
  }

  /** Runs one cell that must succeed; returns its result's text/plain (undefined when it has none). */
  async function ok(code: string, kernel: KernelClient = k): Promise<string | undefined> {
    const cell = await run(code, kernel);
    assert.equal(cell.error, undefined, `cell failed: ${code}`);
    return cell.text;
  }

  describe("tensor methods", () => {
    it("compiles the README's hook `(z) => z.mul(0)` and a broad set of chained methods, with their values", async () => {
      await ok('import * as lens from "tslens";');
      const code = `
        const hook: lens.HookFn = (z) => z.mul(0);
        const z = lens.tf.tensor2d([[1, 2], [3, 4]]);
        const values = lens.tf.tidy(() => ({
          mul: (hook(z, { name: "blocks.0.attn.hook_z" }) as lens.tf.Tensor).sum().arraySync(),
          reshape: z.reshape([4]).arraySync(),
          sliceSqueeze: z.slice([0, 1], [2, 1]).squeeze().arraySync(),
          transpose: z.transpose().arraySync(),
          sum: z.sum(1).arraySync(),
          mean: z.mean().arraySync(),
          matMul: z.matMul(z).arraySync(),
          arithmetic: z.add(1).sub(1).div(2).arraySync(),
          expLog: z.exp().log().round().arraySync(),
          softmaxArgMax: z.softmax().argMax(-1).arraySync(),
          gather: z.gather([1]).arraySync(),
          expandDims: z.expandDims(0).shape,
          concat: lens.tf.concat([z, z]).shape,
          dataSync: Array.from(z.dataSync()),
        }));
        z.dispose();
        console.log(JSON.stringify(values));`;
      const cell = await run(code);
      assert.equal(cell.error, undefined);
      assert.deepEqual(JSON.parse(cell.stdout), {
        mul: 0,
        reshape: [1, 2, 3, 4],
        sliceSqueeze: [2, 4],
        transpose: [
          [1, 3],
          [2, 4],
        ],
        sum: [3, 7],
        mean: 2.5,
        matMul: [
          [7, 10],
          [15, 22],
        ],
        arithmetic: [
          [0.5, 1],
          [1.5, 2],
        ],
        expLog: [
          [1, 2],
          [3, 4],
        ],
        softmaxArgMax: [1, 1],
        gather: [[3, 4]],
        expandDims: [1, 2, 2],
        concat: [4, 2],
        dataSync: [1, 2, 3, 4],
      });
    });

    it("sees every chained method tfjs-core declares on Tensor, typed and present at run time", async () => {
      const names = chainedMethodNames();
      assert.ok(names.length > 100 && names.includes("mul") && names.includes("reshape"), `parsed ${names.length}`);
      await ok('import * as lens from "tslens";');
      const code = `
        const probe = lens.tf.zeros([1]);
        const chained = [${names.map((n) => `probe.${n}`).join(", ")}];
        probe.dispose();
        chained.filter((method) => typeof method === "function").length`;
      assert.equal(await ok(code), String(names.length));
    });
  });

  describe("names starting with __", () => {
    it("declares and reads __ names in one cell and across cells: consts, lets, functions, classes, types", async () => {
      assert.equal(await ok("const __dunder = 5; __dunder"), "5");
      assert.equal(await ok("__dunder + 1"), "6");
      await ok("function __twice(x: number) { return 2 * x; }");
      await ok("class __Box { constructor(readonly v: number) {} }");
      await ok("type __Pair = [number, number];");
      await ok("enum __Level { Low = 1, High }");
      assert.equal(await ok("const __p: __Pair = [__twice(__dunder), new __Box(3).v]; __p"), "[ 10, 3 ]");
      assert.equal(await ok("[__p[0], __Level.High]"), "[ 10, 2 ]");
      assert.equal(await ok("let __count = 0; __count++; __count"), "1");
      assert.equal(await ok("__count += 2; __count"), "3");
      assert.equal(await ok("({ __dunder, n: __dunder })"), "{ __dunder: 5, n: 5 }");
    });

    it("keeps a __ class's value when a later cell declares an interface of the same name", async () => {
      await ok("class __Shape { w = 1 }");
      await ok("interface __Shape { h: number }");
      assert.equal(await ok("typeof __Shape"), "'function'");
    });

    it("completes a __ prefix", async () => {
      await ok("const __completeMe = 1;");
      const { reply } = await k.roundTrip("shell", "complete_request", { code: "__complete", cursor_pos: 10 });
      assert.ok((reply?.content.matches as string[]).includes("__completeMe"), JSON.stringify(reply?.content.matches));
    });
  });

  describe("earlier cells' names", () => {
    /** Cells run in order (`setup` must succeed), then `expr`, whose text/plain must be `expected`. */
    const forms: { form: string; setup: string[]; expr: string; expected: string }[] = [
      { form: "shorthand property", setup: ["const q = 1;"], expr: "const f = (o: object) => o; f({ q })", expected: "{ q: 1 }" },
      {
        form: "shorthand beside other properties",
        setup: ["const a1 = 1; const b1 = 2;"],
        expr: "({ a1, b1, c: a1 })",
        expected: "{ a1: 1, b1: 2, c: 1 }",
      },
      { form: "shorthand assignment pattern", setup: ["let q2 = 0;"], expr: "({ q2 } = { q2: 7 }); q2", expected: "7" },
      {
        form: "shorthand assignment pattern with default",
        setup: ["let q3 = 0;"],
        expr: "({ q3 = 5 } = {} as { q3?: number }); q3",
        expected: "5",
      },
      {
        form: "shorthand of an import",
        setup: ['import { join } from "path";'],
        expr: "typeof { join }.join",
        expected: "'function'",
      },
      {
        form: "shorthand with a shadowing local",
        setup: ["const q4 = 1;"],
        expr: "((q4: number) => ({ q4 }))(3)",
        expected: "{ q4: 3 }",
      },
      {
        form: "destructuring default",
        setup: ["const q5 = 5;"],
        expr: "const { a5 = q5 } = {} as { a5?: number }; a5",
        expected: "5",
      },
      {
        form: "array destructuring default",
        setup: ["const q6 = [1, 2];"],
        expr: "const [a6, b6 = q6[0]] = [9]; [a6, b6]",
        expected: "[ 9, 1 ]",
      },
      {
        form: "property name in a destructuring of an earlier interface",
        setup: ["interface P7 { q7: number }", "const p7: P7 = { q7: 7 };"],
        expr: "const { q7: local7 } = p7; local7",
        expected: "7",
      },
      { form: "computed key", setup: ['const k8 = "key";'], expr: "({ [k8]: 1 })", expected: "{ key: 1 }" },
      {
        form: "class fields and static block",
        setup: ["const q9 = 9;"],
        expr: "class C9 { x = q9; static y = 0; static { C9.y = q9 * 2; } } [new C9().x, C9.y]",
        expected: "[ 9, 18 ]",
      },
      {
        form: "class extending an earlier class",
        setup: ["class Base10 { b = 10 }"],
        expr: "class D10 extends Base10 {} new D10().b",
        expected: "10",
      },
      { form: "closure", setup: ["const q11 = 11;"], expr: "const g11 = () => () => q11; g11()()", expected: "11" },
      {
        form: "closure assigning an earlier let",
        setup: ["let q12 = 1;"],
        expr: "const inc12 = () => { q12 += 1; }; inc12(); inc12(); q12",
        expected: "3",
      },
      {
        form: "default parameter",
        setup: ["const q13 = 13;"],
        expr: "function h13(a = q13) { return a; } h13()",
        expected: "13",
      },
      { form: "template literal", setup: ["const q14 = 14;"], expr: "`q14=${q14}`", expected: "'q14=14'" },
      {
        form: "tagged template",
        setup: ["const tag15 = (s: TemplateStringsArray, ...v: number[]) => s.join('|') + v.join(',');"],
        expr: "tag15`a${15}b`",
        expected: "'a|b15'",
      },
      { form: "typeof", setup: ['const q16 = "x";'], expr: "typeof q16", expected: "'string'" },
      { form: "++ and += on an earlier let", setup: ["let q17 = 1;"], expr: "q17++; q17 += 10; q17", expected: "12" },
      {
        form: "re-declaring an earlier name",
        setup: ["const q18 = 1;", 'const q18 = "again";'],
        expr: "q18",
        expected: "'again'",
      },
      {
        form: "classes, enums and namespaces",
        setup: ["class A19 { v = 19 }", "enum E19 { X = 3, Y }", "namespace N19 { export const z = 2; }"],
        expr: "[new A19().v, E19.Y, E19[4], N19.z]",
        expected: "[ 19, 4, 'Y', 2 ]",
      },
      {
        form: "for-of over an earlier array",
        setup: ["const arr20 = [1, 2, 3];"],
        expr: "let s20 = 0; for (const v of arr20) s20 += v; s20",
        expected: "6",
      },
      { form: "for-of assigning an earlier let", setup: ["let q21 = 0;"], expr: "for (q21 of [1, 2]) {} q21", expected: "2" },
      {
        form: "label named like an earlier const",
        setup: ["const q22 = 2;"],
        expr: "let n22 = 0; q22: for (let i = 0; i < 5; i++) { if (i === q22) break q22; n22++; } n22",
        expected: "2",
      },
      {
        form: "method shorthand",
        setup: ["const q23 = 23;"],
        expr: "const o23 = { q23() { return q23; } }; o23.q23()",
        expected: "23",
      },
      { form: "getter", setup: ["const q24 = 24;"], expr: "({ get g() { return q24; } }).g", expected: "24" },
      { form: "spread", setup: ["const q25 = { a: 1 };"], expr: "({ ...q25, b: 2 })", expected: "{ a: 1, b: 2 }" },
      {
        form: "generic call",
        setup: ["function id26<T>(x: T): T { return x; }", "const q26 = 26;"],
        expr: "id26<number>(q26)",
        expected: "26",
      },
      {
        form: "async function",
        setup: ["const q27 = 27;"],
        expr: "async function f27() { return q27; } await f27()",
        expected: "27",
      },
      {
        form: "swap by array destructuring",
        setup: ["let q28 = 1;", "let r28 = 2;"],
        expr: "[q28, r28] = [r28, q28]; [q28, r28]",
        expected: "[ 2, 1 ]",
      },
      { form: "object pattern target", setup: ["let q29 = 0;"], expr: "({ x: q29 } = { x: 29 }); q29", expected: "29" },
      {
        form: "optional chaining",
        setup: ["const q30 = { a: null as null | { b: number } };"],
        expr: 'q30.a?.b ?? "none"',
        expected: "'none'",
      },
    ];

    for (const { form, setup, expr, expected } of forms) {
      it(form, async () => {
        for (const cell of setup) await ok(cell);
        assert.equal(await ok(expr), expected);
      });
    }
  });

  describe("tensor display", () => {
    it("shows a tensor result's values, shape and dtype", async () => {
      await ok('import * as lens from "tslens";');
      assert.equal(
        await ok('lens.tf.tensor2d([[1, 2], [3, 4]], undefined, "int32")'),
        "tensor([[1, 2],\n        [3, 4]], shape=[2, 2], dtype=int32)",
      );
    });

    it("shows tensors inside arrays and objects, and console.log prints them the same", async () => {
      assert.equal(
        await ok('[lens.tf.scalar(1, "int32"), { t: lens.tf.tensor([0.5]) }]'),
        "[\n  tensor(1, shape=[], dtype=int32),\n  { t: tensor([0.5000], shape=[1], dtype=float32) }\n]",
      );
      const cell = await run("console.log(lens.tf.tensor([1, 2.5]))");
      assert.equal(cell.stdout, "tensor([1.0000, 2.5000], shape=[2], dtype=float32)\n");
    });

    it("shows a disposed tensor as disposed", async () => {
      assert.equal(
        await ok("const gone = lens.tf.ones([2, 3]); gone.dispose(); gone"),
        "tensor(<disposed>, shape=[2, 3], dtype=float32)",
      );
    });

    it("summarises a large tensor without downloading it, and displaying leaks no tensor", async () => {
      await ok(`
        const big = lens.tf.range(0, 1_000_000, 1, "int32").reshape([1000, 1000]);
        (big as { dataSync: unknown }).dataSync = () => { throw new Error("downloaded the whole tensor"); };
        const tensorsBefore = lens.tf.memory().numTensors;`);
      const text = (await ok("big")) ?? "";
      const lines = text.split("\n");
      assert.equal(lines.length, 7);
      assert.equal(lines[0], "tensor([[     0,      1,      2, ...,    997,    998,    999],");
      assert.equal(lines[3], "        ...,");
      assert.equal(lines[6], "        [999000, 999001, 999002, ..., 999997, 999998, 999999]], shape=[1000, 1000], dtype=int32)");
      assert.equal(await ok("lens.tf.memory().numTensors - tensorsBefore"), "0");
    });
  });

  describe("backend at import", () => {
    it("has the native backend ready right after import: backend() answers, ops run on it, no tfjs banner", async () => {
      const cell = await run(
        'import * as lens2 from "tslens"; [lens2.backend(), lens2.tf.getBackend(), lens2.tf.ones([2]).sum().arraySync()]',
      );
      assert.equal(cell.error, undefined);
      assert.equal(cell.text, "[ 'tensorflow', 'tensorflow', 2 ]");
      const streams = cell.outputs.filter((m) => m.header.msg_type === "stream").map((m) => String(m.content.text));
      assert.deepEqual(streams, []);
    });

    it("with TSLENS_BACKEND=wasm, the kernel has wasm ready for the first cell that imports tslens", async () => {
      const wasm = await KernelClient.start({ env: { TSLENS_BACKEND: "wasm" } });
      try {
        const cell = await run(
          'import * as lens from "tslens"; [lens.backend(), lens.tf.getBackend(), lens.tf.ones([2]).sum().arraySync()]',
          wasm,
        );
        assert.equal(cell.error, undefined);
        assert.equal(cell.text, "[ 'wasm', 'wasm', 2 ]");
        assert.deepEqual(
          cell.outputs.filter((m) => m.header.msg_type === "stream"),
          [],
          "the cell printed something (tfjs's banner?)",
        );
      } finally {
        await wasm.stop();
      }
    });
  });
});

describe("tslab converter patches", () => {
  const file = require.resolve("tslab/dist/converter");
  const source = fs.readFileSync(file, "utf8");

  it("each applies exactly once to the installed tslab's converter", () => {
    for (const patch of CONVERTER_PATCHES) assert.equal(source.split(patch.find).length - 1, 1, patch.name);
    const patched = applyPatches(source, CONVERTER_PATCHES, file);
    for (const patch of CONVERTER_PATCHES) assert.ok(patched.includes(patch.replace), patch.name);
  });

  it("fail loudly, naming the patch, when tslab's text differs (missing or repeated target)", () => {
    const [first, second] = CONVERTER_PATCHES;
    assert.throws(
      () => applyPatches(source.replace(second.find, "changed"), CONVERTER_PATCHES, "converter.js"),
      (err: Error) =>
        err.message.includes(`patch "${second.name}" expects its target text once, found it 0 times`) &&
        err.message.includes("converter.js") &&
        err.message.includes("tslab 1.0.22"),
    );
    assert.throws(
      () => applyPatches(source + first.find, CONVERTER_PATCHES, "converter.js"),
      new RegExp(`patch "${first.name}" expects its target text once, found it 2 times`),
    );
  });

  it("refuse to patch a converter that was already loaded unpatched", () => {
    const script = `require("tslab/dist/converter"); require(${JSON.stringify(require.resolve("../../kernel/tslab-converter"))}).loadPatchedConverter();`;
    const child = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", timeout: 60_000 });
    assert.notEqual(child.status, 0);
    assert.match(child.stderr, /tslab's converter \(.*converter\.js\) was loaded before tslens could patch it/);
  });
});
