/**
 * The tslens live elements (live/src/elements/) in their example page, live/example/elements.html, served with the
 * bundle and the embedded attn-only-2l from 127.0.0.1 and every other request refused: both elements render from the
 * page's two scripts and share one model load; a typed or set prompt recomputes, and the scores, patterns and logit
 * lens match the Node engine's for the same prompt (1e-4); a hovered pattern cell gives the exact weight; an unknown
 * model and other bad attributes show one clear text error; markup in a prompt stays text; tensors stay flat.
 */
import assert from "node:assert/strict";
import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import * as lens from "../../src";
import type { HookedTransformer } from "../../src";
import { TestBrowser } from "./browser";
import { REPO_ROOT } from "./lab-server";
import { maxDiff } from "./live-pages";
import { colorOf, paletteOf } from "../../src/common/draw/colors";
import { displayToken } from "../../src/common/draw/tokens";

const live = require(path.join(REPO_ROOT, "live", "build.js"));

const INDUCTION = "tslens-induction-heads";
const LENS = "tslens-logit-lens";

/** Records every element event on the document (installed before the page's scripts run). */
const RECORDER = `
  window.liveEvents = [];
  for (const type of ["tslens-computed", "tslens-error"])
    document.addEventListener(type, (event) => window.liveEvents.push({
      type, tag: event.target.localName, at: performance.now(), detail: event.detail }));`;

/** Node's induction numbers for `prompt`: the repeated tokens, both scores, every head's pattern [layer][head][q][k]. */
function nodeInduction(model: HookedTransformer, prompt: string) {
  const scores = lens.repeatedSequenceScores(model, { prompt });
  const patterns = scores.patterns.map((p) => (p.arraySync() as number[][][][])[0]); // [heads, q, k] per layer
  lens.tf.dispose(scores.patterns);
  return { tokens: scores.tokens, previousToken: scores.previousToken, induction: scores.induction, patterns };
}

/** Node's logit lens of `prompt` (a full cache, top k). */
function nodeLens(model: HookedTransformer, prompt: string, topK: number) {
  const { logits, cache } = model.runWithCache(prompt);
  try {
    return lens.logitLensTopK(model, cache, { topK });
  } finally {
    logits.dispose();
    cache.dispose();
  }
}

/** "L1H1" → [1, 1]. */
function headOf(label: string): [number, number] {
  const match = /^L(\d+)H(\d+)$/.exec(label);
  assert.ok(match, `not a head label: ${label}`);
  return [Number(match[1]), Number(match[2])];
}

describe("tslens live elements in a static page (live/example/elements.html), offline", function () {
  this.timeout(300_000);
  let outDir: string;
  let server: http.Server | undefined;
  let browser: TestBrowser | undefined;
  let model: HookedTransformer;
  const asked: string[] = [];
  let files: Record<string, string>;
  let otherModel: string;

  /** Evaluates `script` in the page. */
  const run = (script: string) => browser!.page.evaluate(script) as Promise<any>;
  /** How many events of `type` the page's elements have fired. */
  const events = (type = "tslens-computed") => run(`window.liveEvents.filter((e) => e.type === "${type}").length`);
  /** Waits until the page's elements have fired more than `count` events of `type`. */
  const moreEvents = (count: number, type = "tslens-computed") =>
    browser!.page.waitForFunction(`window.liveEvents.filter((e) => e.type === "${type}").length > ${count}`, undefined, {
      timeout: 60_000,
    });
  /** Sets attribute `name` of the first element `tag` and waits for its next event. */
  const setAndWait = async (tag: string, name: string, value: string, type = "tslens-computed") => {
    const before = await events(type);
    await run(`document.querySelector("${tag}").setAttribute(${JSON.stringify(name)}, ${JSON.stringify(value)})`);
    await moreEvents(before, type);
  };

  before(async function () {
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), "tslens-live-elements-"));
    const built = await live.buildLive({ outDir, models: ["attn-only-2l", "attn-only-1l"] });
    otherModel = fs.readFileSync(built.models["attn-only-1l"], "utf8");
    files = {
      "/live/example/elements.html": path.join(REPO_ROOT, "live", "example", "elements.html"),
      "/dist/live/tslens-live.js": built.bundle,
      "/dist/live/models/attn-only-2l.js": built.models["attn-only-2l"],
    };
    const mb = (file: string) => `${(fs.statSync(file).size / 1e6).toFixed(2)} MB`;
    console.log(
      `      page ${fs.statSync(files["/live/example/elements.html"]).size} bytes, bundle ${mb(built.bundle)} ` +
        `(${(built.sizes.bundle.gzipped / 1e6).toFixed(2)} MB gzipped), attn-only-2l ${mb(built.models["attn-only-2l"])}`,
    );
    server = http.createServer((req, res) => {
      asked.push(req.url ?? "");
      const file = files[req.url ?? ""];
      if (!file) return void res.writeHead(404).end();
      res.writeHead(200, { "content-type": file.endsWith(".html") ? "text/html; charset=utf-8" : "text/javascript" });
      res.end(fs.readFileSync(file));
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    model = await lens.loadModel("attn-only-2l");
    browser = await TestBrowser.launch();
    await browser.page.addInitScript(RECORDER);
    const { port } = server.address() as AddressInfo;
    await browser.page.goto(`http://127.0.0.1:${port}/live/example/elements.html`, { waitUntil: "load" });
    const settled = (tag: string) => `(document.querySelector("${tag}").result || document.querySelector("${tag}").error)`;
    await browser.page.waitForFunction(`${settled(INDUCTION)} && ${settled(LENS)}`, undefined, { timeout: 120_000 });
    const errors = await run(`[document.querySelector("${INDUCTION}").error, document.querySelector("${LENS}").error]`);
    assert.deepEqual(errors, [undefined, undefined], `the elements' first computations failed\n${browser.problemsTail()}`);
    const first = await run(`window.liveEvents.map((e) => ({ tag: e.tag, at: e.at, ms: e.detail.ms }))`);
    const line = first.map((e: any) => `${e.tag} at ${e.at.toFixed(0)} ms (computing ${e.ms.toFixed(0)} ms)`).join(", ");
    console.log(`      first computations after navigation (model loaded once, shared): ${line}`);
  });

  after(async function () {
    await browser?.close();
    server?.close();
    model?.dispose();
    if (outDir) fs.rmSync(outDir, { recursive: true, force: true });
  });

  it("renders both elements from the page's two scripts, sharing one model load, fetching nothing else", async function () {
    const shown = await run(`(() => {
      const ind = document.querySelector("${INDUCTION}"), lens = document.querySelector("${LENS}");
      const tables = Array.from(ind.shadowRoot.querySelectorAll("table.scores"));
      return {
        shared: ind.hookedModel !== undefined && ind.hookedModel === lens.hookedModel,
        grids: tables.map((t) => Array.from(t.querySelectorAll("tbody tr")).map((tr) => tr.querySelectorAll("button.head").length)),
        canvas: [ind.shadowRoot.querySelector("canvas").width, ind.shadowRoot.querySelector("canvas").height],
        tokens: ind.result.tokens.length,
        statuses: [ind, lens].map((el) => el.shadowRoot.querySelector(".status").textContent),
        lensRows: Array.from(lens.shadowRoot.querySelectorAll("table.lens tbody tr")).map((tr) => tr.querySelectorAll("td").length),
        lensPositions: lens.result.tokens.length,
        promptBox: lens.shadowRoot.querySelector("textarea").value,
        prompt: lens.getAttribute("prompt"),
      };
    })()`);
    assert.ok(shown.shared, "the two elements hold the same loaded model");
    assert.deepEqual(shown.grids, [
      [4, 4],
      [4, 4],
    ]);
    // The pattern: one square cell of a whole number of pixels (≥ 4) per query × key.
    const cell = shown.canvas[0] / shown.tokens;
    assert.ok(Number.isInteger(cell) && cell >= 4, `canvas ${shown.canvas} for ${shown.tokens} tokens`);
    assert.equal(shown.canvas[1], shown.canvas[0]);
    for (const status of shown.statuses) assert.match(status, /^attn-only-2l: computed in this page in \d+ ms$/);
    // 2 layers' resid_pre and the final resid_post, then the actual next tokens; one cell per position each.
    assert.deepEqual(shown.lensRows, Array(4).fill(shown.lensPositions));
    assert.equal(shown.promptBox, shown.prompt);
    assert.deepEqual(asked.filter((url) => url !== "/favicon.ico").sort(), Object.keys(files).sort());
    assert.deepEqual(browser!.blockedRequests, [], "requests off 127.0.0.1");
    assert.deepEqual(browser!.problems, [], "console errors and warnings");
  });

  it("a prompt typed in the induction box recomputes: scores and the selected head's pattern are Node's (1e-4)", async function () {
    const prompt = "Alice and Bob went to the market, and Alice bought apples.";
    const before = await events();
    const box = browser!.page.locator(`${INDUCTION} textarea`);
    await box.fill(prompt);
    await box.press("Enter");
    await moreEvents(before);
    const got = await run(`({ result: document.querySelector("${INDUCTION}").result,
      attribute: document.querySelector("${INDUCTION}").getAttribute("prompt"),
      cells: Array.from(document.querySelector("${INDUCTION}").shadowRoot.querySelectorAll("table.scores")).map((t) =>
        Array.from(t.querySelectorAll("tbody tr")).map((tr) => Array.from(tr.querySelectorAll("button")).map((b) => Number(b.textContent)))) })`);
    const node = nodeInduction(model, prompt);
    assert.equal(got.attribute, prompt);
    assert.equal(got.result.prompt, prompt);
    assert.deepEqual(got.result.tokens, node.tokens);
    for (const key of ["previousToken", "induction"] as const) {
      const diff = maxDiff(got.result[key], node[key], key);
      assert.ok(diff <= 1e-4, `${key}: the element differs from Node by ${diff}`);
    }
    // The cells print the scores to 3 decimals.
    assert.ok(maxDiff(got.cells, [node.previousToken, node.induction], "cells") <= 5e-4 + 1e-6, JSON.stringify(got.cells));
    // With no head attribute the selected head is the best induction head (attn-only-2l's is in layer 1).
    const [layer, head] = headOf(got.result.head);
    const best = Math.max(...node.induction.flat());
    assert.equal(node.induction[layer][head], best);
    assert.equal(layer, 1);
    const diff = maxDiff(got.result.pattern, node.patterns[layer][head], "pattern");
    assert.ok(diff <= 1e-4, `${got.result.head}'s pattern differs from Node by ${diff}`);
  });

  it("a click on a head shows its pattern, and a hovered cell gives its exact weight (Node's, 1e-4)", async function () {
    const before = await events();
    await browser!.page.locator(`${INDUCTION} table[data-score="previous-token"] button[data-head="L0H1"]`).click();
    await moreEvents(before);
    const result = await run(`document.querySelector("${INDUCTION}").result`);
    assert.equal(result.head, "L0H1");
    const node = nodeInduction(model, result.prompt);
    assert.ok(maxDiff(result.pattern, node.patterns[0][1], "pattern") <= 1e-4);
    const selected = await run(
      `Array.from(document.querySelector("${INDUCTION}").shadowRoot.querySelectorAll("button.selected")).map((b) => b.dataset.head)`,
    );
    assert.deepEqual(selected, ["L0H1", "L0H1"], "the selected head, marked in both grids");
    const canvas = browser!.page.locator(`${INDUCTION} canvas`);
    const box = (await canvas.boundingBox())!;
    const n = result.tokens.length;
    const [q, k] = [n - 2, n - 3]; // a previous-token cell
    await canvas.hover({ position: { x: ((k + 0.5) * box.width) / n, y: ((q + 0.5) * box.height) / n } });
    const hover = await browser!.page.locator(`${INDUCTION} .hover`).textContent();
    const match = /^query .+ \((\d+)\) → key .+ \((\d+)\): (\d\.\d{6})$/.exec(hover ?? "");
    assert.ok(match, `hover text: ${hover}`);
    assert.deepEqual([Number(match[1]), Number(match[2])], [q, k]);
    assert.ok(Math.abs(Number(match[3]) - node.patterns[0][1][q][k]) <= 1e-4, `${match[3]} vs ${node.patterns[0][1][q][k]}`);
    await canvas.hover({ position: { x: ((n - 0.5) * box.width) / n, y: (0.5 * box.height) / n } });
    assert.match((await browser!.page.locator(`${INDUCTION} .hover`).textContent()) ?? "", /: masked \(a key after the query\)$/);
  });

  it("a new prompt attribute on the logit lens recomputes: top tokens and probabilities are Node's (1e-4)", async function () {
    const prompt = "import numpy as np\nx = np.zeros(3)";
    await setAndWait(LENS, "prompt", prompt);
    const got = await run(`({ result: document.querySelector("${LENS}").result,
      box: document.querySelector("${LENS}").shadowRoot.querySelector("textarea").value,
      firstRow: Array.from(document.querySelector("${LENS}").shadowRoot.querySelectorAll("table.lens tbody tr")[0].querySelectorAll("td")).map((td) => td.textContent) })`);
    const node = nodeLens(model, prompt, 5);
    assert.equal(got.box, prompt);
    assert.deepEqual(got.result.labels, node.labels);
    assert.deepEqual(got.result.tokens, node.tokens);
    const diff = maxDiff(got.result.topProbs, node.topProbs, "topProbs");
    assert.ok(diff <= 1e-4, `probabilities differ from Node by ${diff}`);
    let differing = 0;
    node.topTokens.forEach((layer, l) =>
      layer.forEach((cells, p) => cells.forEach((id, k) => (differing += got.result.topTokens[l][p][k] === id ? 0 : 1))),
    );
    assert.equal(differing, 0, "top tokens that differ from Node's");
    const shownTop = node.topTokens[0].map((cells) => model.tokenizer!.displayStrings([cells[0]])[0]);
    assert.deepEqual(
      got.result.topStrTokens[0].map((cells: string[]) => cells[0]),
      shownTop,
    );
    assert.equal(got.firstRow.length, node.tokens.length);
  });

  it("markup in a prompt stays text in both elements (no element made, no script run)", async function () {
    const prompt = `<img src=x onerror="window.injected=1"><b>bold</b><script>window.injected=2</script>`;
    for (const tag of [INDUCTION, LENS]) await setAndWait(tag, "prompt", prompt);
    // A model name with markup comes back in the error message, shown in the element.
    const badName = `<img src=y onerror="window.injected=3">`;
    const errorsBefore = await events("tslens-error");
    await run(`(() => { const el = document.createElement("${LENS}"); el.id = "markup";
      el.setAttribute("model", ${JSON.stringify(badName)}); document.body.append(el); })()`);
    await moreEvents(errorsBefore, "tslens-error");
    const got = await run(`({
      made: [${JSON.stringify(INDUCTION)}, ${JSON.stringify(LENS)}, "#markup"].map((t) =>
        document.querySelector(t).shadowRoot.querySelectorAll("img, b, script").length),
      status: document.getElementById("markup").shadowRoot.querySelector(".status").textContent,
      positions: Array.from(document.querySelector("${LENS}").shadowRoot.querySelectorAll("th.position")).map((th) => th.textContent),
      injected: window.injected,
      header: Array.from(document.querySelector("${LENS}").shadowRoot.querySelectorAll("th.position")).map((th) => th.textContent).join(""),
      keys: document.querySelector("${INDUCTION}").shadowRoot.querySelector(".keys").textContent,
    })`);
    await run(`document.getElementById("markup").remove()`);
    assert.deepEqual(got.made, [0, 0, 0]);
    assert.equal(got.injected, undefined);
    assert.equal(got.status, `error: no model "${badName}" in this page (it has "attn-only-2l")`);
    const tokens = model.toTokens(prompt); // [1, pos]
    const shown = model.tokenizer!.displayStrings((tokens.arraySync() as number[][])[0]).map(displayToken);
    tokens.dispose();
    assert.deepEqual(got.positions, shown, "the lens's column heads: the prompt's tokens, as text");
    assert.match(got.header, /<img/);
    assert.match(got.keys, /</);
    assert.deepEqual(browser!.blockedRequests, [], "requests off 127.0.0.1 (an <img src=x> would ask)");
  });

  it("an unknown model shows one text error naming the embedded models; bad attributes name the attribute", async function () {
    const before = await events("tslens-error");
    await run(`(() => {
      const el = document.createElement("${LENS}");
      el.id = "unknown";
      el.setAttribute("model", "gpt2");
      el.setAttribute("prompt", "<i>x</i>");
      document.body.append(el);
    })()`);
    await moreEvents(before, "tslens-error");
    const unknown = await run(`(() => { const el = document.getElementById("unknown"); return {
      error: el.error, status: el.shadowRoot.querySelector(".status").textContent,
      role: el.shadowRoot.querySelector(".status").getAttribute("role"),
      tables: el.shadowRoot.querySelectorAll("table").length, italic: el.shadowRoot.querySelectorAll("i").length }; })()`);
    assert.equal(unknown.error, 'no model "gpt2" in this page (it has "attn-only-2l")');
    assert.equal(unknown.status, 'error: no model "gpt2" in this page (it has "attn-only-2l")');
    assert.equal(unknown.role, "alert");
    assert.deepEqual([unknown.tables, unknown.italic], [0, 0]);
    await run(`document.getElementById("unknown").remove()`);

    await setAndWait(INDUCTION, "head", "L7H0", "tslens-error");
    assert.equal(
      await run(`document.querySelector("${INDUCTION}").error`),
      "head L7H0 is not in attn-only-2l (2 layers × 4 heads)",
    );
    await setAndWait(INDUCTION, "head", "1.1", "tslens-error");
    assert.match(
      await run(`document.querySelector("${INDUCTION}").error`),
      /^a head label looks like "L1H0" \(layer 1, head 0\), got "1\.1"$/,
    );
    await setAndWait(LENS, "top-k", "0", "tslens-error");
    assert.equal(
      await run(`document.querySelector("${LENS}").error`),
      `top-k must be a whole number from 1 to ${model.cfg.dVocabOut}, got "0"`,
    );
    const lensPrompt = await run(`document.querySelector("${LENS}").getAttribute("prompt")`);
    await setAndWait(LENS, "prompt", "", "tslens-error");
    assert.equal(await run(`document.querySelector("${LENS}").error`), "the logit lens needs a prompt: type some text");
    await setAndWait(LENS, "prompt", lensPrompt, "tslens-error"); // top-k is still 0
    // Fixed attributes recover.
    await setAndWait(INDUCTION, "head", "L1H2");
    await setAndWait(LENS, "top-k", "3");
    const recovered = await run(`[document.querySelector("${INDUCTION}"), document.querySelector("${LENS}")].map((el) =>
      [el.error === undefined, el.shadowRoot.querySelector(".status").classList.contains("error")])`);
    assert.deepEqual(recovered, [
      [true, false],
      [true, false],
    ]);
  });

  it("elements of two models new to the page, added at once, load them one after the other and both compute", async function () {
    // attn-only-1l embedded twice, under two names: two loads that would run at the same time.
    const second = otherModel.replace('{"name":"attn-only-1l"', '{"name":"attn-only-1l-again"');
    assert.notEqual(second, otherModel);
    await browser!.page.addScriptTag({ content: otherModel });
    await browser!.page.addScriptTag({ content: second });
    const before = await events();
    await run(`for (const [id, name] of [["one", "attn-only-1l"], ["two", "attn-only-1l-again"]]) {
      const el = document.createElement("${INDUCTION}");
      el.id = id;
      el.setAttribute("model", name);
      el.setAttribute("prompt", "The cat sat on the mat.");
      document.body.append(el);
    }`);
    await browser!.page.waitForFunction(
      `["one", "two"].every((id) => document.getElementById(id).result || document.getElementById(id).error)`,
      undefined,
      { timeout: 60_000 },
    );
    const got = await run(`["one", "two"].map((id) => { const el = document.getElementById(id);
      return { error: el.error, induction: el.result && el.result.induction, model: el.result && el.result.model }; })`);
    assert.deepEqual(
      got.map((g: any) => [g.error, g.model]),
      [
        [undefined, "attn-only-1l"],
        [undefined, "attn-only-1l-again"],
      ],
    );
    assert.deepEqual(got[0].induction, got[1].induction, "the same weights give the same scores");
    assert.ok((await events()) >= before + 2);
    await run(`["one", "two"].forEach((id) => document.getElementById(id).remove())`);
  });

  it("draws in the theme attribute's palette, else the reader's system setting, without recomputing", async function () {
    const look = () =>
      run(`(() => { const el = document.querySelector("${LENS}");
        const cell = el.shadowRoot.querySelector("table.lens tbody td");
        return { host: getComputedStyle(el).backgroundColor, cell: cell.style.background, prob: el.result.topProbs[0][0][0] }; })()`);
    const rgb = (c: number[]) => `rgb(${c.join(", ")})`;
    const computed = await events();
    await browser!.page.emulateMedia({ colorScheme: "light" });
    const light = await look();
    assert.equal(light.host, rgb(paletteOf("light").zero));
    assert.equal(light.cell, rgb(colorOf(light.prob, 0, 1, "light")));
    await run(`document.querySelector("${LENS}").setAttribute("theme", "dark")`);
    const dark = await look();
    assert.equal(dark.host, rgb(paletteOf("dark").zero));
    assert.equal(dark.cell, rgb(colorOf(dark.prob, 0, 1, "dark")));
    // Without the attribute the element follows the reader's setting, and its changes.
    await run(`document.querySelector("${LENS}").removeAttribute("theme")`);
    assert.equal((await look()).host, rgb(paletteOf("light").zero));
    await browser!.page.emulateMedia({ colorScheme: "dark" });
    await browser!.page.waitForFunction(
      `getComputedStyle(document.querySelector("${LENS}")).backgroundColor === "${rgb(paletteOf("dark").zero)}"`,
    );
    await browser!.page.emulateMedia({ colorScheme: "light" });
    assert.equal(await events(), computed, "a theme change redraws; it does not recompute");
  });

  it("leaks no tensor across recomputations, errors included", async function () {
    const counted = () => run(`window.tslensLive.tf.memory().numTensors`);
    const start = await counted();
    for (const prompt of ["one two three one two three", "x = 1\ny = x + 1", "Mary had a little lamb."]) {
      await setAndWait(INDUCTION, "prompt", prompt);
      await setAndWait(LENS, "prompt", prompt);
    }
    await setAndWait(LENS, "top-k", "100000", "tslens-error");
    await setAndWait(INDUCTION, "seq-len", "-3", "tslens-error");
    await setAndWait(INDUCTION, "seq-len", "");
    await setAndWait(LENS, "top-k", "5");
    assert.equal(await counted(), start);
  });
});
