/**
 * What a notebook cell experiences, through a real kernel: tfjs's chained tensor methods type-check, names starting
 * with `__` work, earlier cells' names work in every syntactic position (shorthand properties included), tensors
 * display their values, and the tfjs backend is ready when tslens is imported.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
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
          mul: (hook(z, { name: "h" }) as lens.tf.Tensor).sum().arraySync(),
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
});
