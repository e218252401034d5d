/**
 * The SAE views in a real browser (JupyterLab 4 + the tslens-widgets extension + Debian's chromium), on the embedded
 * model with an SAE built in the notebook (feature 0 reads the embedding of " c"): saeFeatures colours the tokens by
 * feature 0 with text that contrasts with every colour, hovering a token lists its top features, clicking one makes
 * the kernel compute its dashboard and the dashboard under the tokens fills in (and the kernel's
 * `view.dashboard.feature` is it), the picker recolours the tokens, and the markup in the text stays text. Then a
 * featureDashboard cell: examples with the firing token coloured, ten promoted and ten suppressed tokens, the
 * histogram's bars; and both views in the dark theme, with contrast kept.
 *
 * Screenshots go to tests/artifacts/ (gitignored), with the server log.
 */
import assert from "node:assert/strict";
import { contrastRatio } from "../../src/common/draw/colors";
import type { Rgb } from "../../src/common/draw/colors";
import type { TestBrowser } from "./browser";
import type { LabServer } from "./lab-server";
import type { LabNotebook } from "./notebook";
import { LabSession } from "./session";
import { eventually } from "./wait";

const NOTEBOOK = "sae.ipynb";
const HOSTILE = "<img src=x onerror=alert(1)>";
const TEXT = `def cat(self):\n    return self.cat + 1  # ${HOSTILE}`;

const CELLS = [
  [
    'import * as lens from "tslens";',
    "const model = await lens.loadModel();",
    "const sae = (() => {",
    "  const tf = lens.tf;",
    '  const c = (model.toTokens(" c", { prependBos: false }).arraySync() as number[][])[0][0];',
    "  const d = model.cfg.dModel;",
    '  const cfg = lens.parseSaeConfig({ architecture: "standard", d_in: d, d_sae: 32, apply_b_dec_to_input: false, metadata: { hook_name: "blocks.0.hook_resid_pre" } }, "inline cfg");',
    "  const weights = tf.tidy(() => {",
    '    const random = tf.randomNormal([d, 32], 0, 1, "float32", 3);',
    '    const unit = random.div(random.norm("euclidean", 0, true));',
    "    const token = model.W_E.slice([c, 0], [1, d]).reshape([d, 1]);",
    "    const W_enc = tf.concat([token.div(token.norm()), unit.slice([0, 1], [d, 31])], 1);",
    "    return { W_enc, W_dec: W_enc.transpose(), b_enc: tf.fill([32], -0.02), b_dec: tf.zeros([d]) };",
    "  });",
    '  return new lens.Sae(cfg, weights, "inline");',
    "})();",
    `const text = ${JSON.stringify(TEXT)};`,
    "const view = lens.saeFeatures(model, sae, text);",
    "view",
  ].join("\n"),
  "[view.dashboard.feature, view.feature]",
  'const dash = await lens.featureDashboard(model, sae, 0, { corpus: [text, "class Cat:\\n    x = cat(1)"] });\ndash',
];

/** The page's getComputedStyle, used inside browser callbacks (this file's TypeScript has no DOM library). */
declare const getComputedStyle: (element: unknown) => { color: string; backgroundColor: string };

/** The RGB of a CSS colour as getComputedStyle gives it ("rgb(1, 2, 3)" or "rgba(…)"). */
function rgbOf(css: string): Rgb {
  const [r, g, b] = (css.match(/[\d.]+/g) ?? []).map(Number);
  return [r, g, b];
}

describe("JupyterLab in a browser: SAE views", function () {
  this.timeout(300_000);
  this.slow(60_000);

  let session: LabSession | undefined;
  let server: LabServer;
  let browser: TestBrowser;
  let nb: LabNotebook;
  const dialogs: string[] = [];

  before(async function () {
    session = await LabSession.start("sae-views", NOTEBOOK, CELLS);
    ({ server, browser, nb } = session);
    browser.page.on("dialog", (dialog) => {
      dialogs.push(`${dialog.type()}: ${dialog.message()}`);
      void dialog.dismiss();
    });
  });
  beforeEach(() => session?.checkNoEarlierFailure());
  afterEach(async function () {
    await session?.noteFailure(this.currentTest);
  });
  after(async function () {
    this.timeout(60_000);
    await session?.close();
  });

  const page = () => browser.page;
  const tokens = () => nb.output(0).locator(".tslens-sae-features .tslens-token");
  /** [text colour, background] of every element `selector` matches in cell `cell`'s output. */
  const colours = (cell: number, selector: string) =>
    nb
      .output(cell)
      .locator(selector)
      .evaluateAll((all) => all.map((el) => [getComputedStyle(el).color, getComputedStyle(el).backgroundColor]));
  const assertContrast = (pairs: string[][]) => {
    for (const [fg, bg] of pairs) assert.ok(contrastRatio(rgbOf(fg), rgbOf(bg)) >= 4.5, `${fg} on ${bg}`);
  };

  it("saeFeatures: the tokens on feature 0's colours, in contrasting text; the markup in the text stays text", async function () {
    await page().goto(server.url(`/lab/tree/${NOTEBOOK}`), { waitUntil: "domcontentloaded", timeout: 60_000 });
    await nb.waitForIdleKernel(NOTEBOOK, "tslens", 90_000);
    await nb.command("notebook:run-all-cells");
    await nb.waitForExecuted([null, null, null], 180_000);
    await tokens().first().waitFor({ state: "visible", timeout: 30_000 });
    const text = await tokens().allTextContents();
    assert.ok(text.join("").endsWith("#·<img·src=x·onerror=alert(1)>"), `token text: ${JSON.stringify(text)}`);
    assert.equal(await nb.output(0).locator("img").count(), 0, "an <img> element was created");
    assert.deepEqual(dialogs, [], "a dialog opened (a script ran)");
    const pairs = await colours(0, ".tslens-sae-features .tslens-token");
    assert.equal(pairs.length, text.length);
    const c = text.indexOf("·c");
    assert.deepEqual(rgbOf(pairs[c][1]), [33, 102, 172], "' c' is feature 0's strongest token: the top of the scale");
    assert.ok(new Set(pairs.map((p) => p[1])).size >= 3, "several shades");
    assertContrast(pairs);
    assert.match(await nb.output(0).locator(".tslens-sae-picker").inputValue(), /^0$/);
    assert.match(await nb.output(0).locator(".tslens-dashboard .tslens-dash-status").innerText(), /click a feature/);
    await session?.screenshot("sae-features");
  });

  it("hovering a token lists its top features; clicking one opens its dashboard, computed in the kernel", async function () {
    const c = (await tokens().allTextContents()).indexOf("·c");
    await tokens().nth(c).hover();
    const panel = nb.output(0).locator(".tslens-sae-panel");
    assert.match(await panel.locator(".tslens-sae-panel-title").innerText(), /^top features at ·c \(\d+\)$/);
    const rows = panel.locator(".tslens-sae-feature");
    assert.ok((await rows.count()) >= 2, "' c' has several firing features");
    assert.match(await rows.first().innerText(), /^#0\s+\d\.\d{3}$/, "feature 0 first, its activation printed as 0.000");
    await tokens().nth(c).click(); // keeps the list while the mouse moves to it
    const second = await rows.nth(1).getAttribute("data-feature");
    await rows.nth(1).click();
    const dashboard = nb.output(0).locator(".tslens-dashboard");
    await eventually(async () => (await dashboard.locator(".tslens-title").innerText()).startsWith(`feature ${second} ·`), {
      what: `the dashboard of feature ${second}`,
      timeoutMs: 30_000,
    });
    assert.match(
      await dashboard.locator(".tslens-dash-density").innerText(),
      /^fires on \d+ of \d+ tokens \(density (0\.\d{3}|<0\.001)\)$/,
    );
    assert.ok((await dashboard.locator(".tslens-dash-example").count()) >= 1);
    assert.equal(await dashboard.locator(".tslens-dash-logit").count(), 20);
    assert.equal(await nb.output(0).locator(".tslens-sae-picker").inputValue(), second, "the tokens are coloured by it");
    await nb.runCellFromUi(1, 30_000);
    assert.match(
      await nb.outputText(1),
      new RegExp(`^(\\[\\d+\\]:\\s*)?\\[ ${second}, ${second} \\]$`),
      "the kernel's dashboard and colouring feature",
    );
    await session?.screenshot("dashboard-opened");
  });

  it("the picker recolours the tokens by the feature picked", async function () {
    const picker = nb.output(0).locator(".tslens-sae-picker");
    const current = await picker.inputValue();
    const options = await picker
      .locator("option")
      .evaluateAll((all) => all.map((o) => (o as unknown as { value: string }).value));
    const pick = options.find((v) => v !== current)!;
    const before = (await colours(0, ".tslens-sae-features .tslens-token")).map((p) => p[1]);
    await picker.selectOption(pick);
    await eventually(async () => (await nb.output(0).locator(".tslens-title").first().innerText()).endsWith(`feature ${pick}`), {
      what: `the tokens coloured by feature ${pick}`,
      timeoutMs: 10_000,
    });
    const after = (await colours(0, ".tslens-sae-features .tslens-token")).map((p) => p[1]);
    assert.notDeepEqual(after, before, "new colours");
    assertContrast(await colours(0, ".tslens-sae-features .tslens-token"));
  });

  it("featureDashboard: the firing token coloured in each example, promoted and suppressed tokens, the histogram", async function () {
    const out = nb.output(2).locator(".tslens-dashboard");
    await out.scrollIntoViewIfNeeded();
    assert.match(
      await out.locator(".tslens-title").innerText(),
      /^feature 0 · the standard SAE at blocks\.0\.hook_resid_pre \(inline\)$/,
    );
    const firing = await out.locator(".tslens-dash-firing").allTextContents();
    assert.equal(firing[0], "·c", "feature 0 fires hardest on ' c'");
    assert.equal(firing.length, await out.locator(".tslens-dash-example").count(), "one firing token per example");
    assertContrast(await colours(2, ".tslens-dash-firing"));
    const values = await out.locator(".tslens-dash-value").allTextContents();
    assert.equal(values.length, 20);
    for (const v of values) assert.match(v, /^(-?\d+\.\d{3}|<0\.001|>-0\.001)$/);
    assert.equal(await out.locator(".tslens-dash-hist > div").count(), 20, "20 bins");
    await session?.screenshot("feature-dashboard");
  });

  it("dark theme: the tokens and the firing tokens take the dark palette, with contrast kept", async function () {
    const light = (await colours(0, ".tslens-sae-features .tslens-token")).map((p) => p[1]);
    await nb.command("apputils:change-theme", { theme: "JupyterLab Dark" });
    await eventually(() => page().evaluate<boolean>('document.body.dataset.jpThemeLight === "false"'), {
      what: "the dark theme applied",
      timeoutMs: 20_000,
    });
    const dark = await eventually(
      async () => {
        const now = await colours(0, ".tslens-sae-features .tslens-token");
        return now.some((p, i) => p[1] !== light[i]) ? now : undefined;
      },
      { what: "the tokens redrawn in the dark palette", timeoutMs: 10_000 },
    );
    assertContrast(dark);
    assertContrast(await colours(2, ".tslens-dash-firing"));
    await page().waitForTimeout(500); // the theme's stylesheet settles
    await session?.screenshot("dark");
    await nb.command("apputils:change-theme", { theme: "JupyterLab Light" });
  });
});
