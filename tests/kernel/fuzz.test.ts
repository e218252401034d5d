/**
 * Kernel fuzz test: a few thousand hostile messages (garbage frames, bad
 * signatures, replays, prototype-named msg_types and keys, malformed JSON, odd
 * and deep content, hostile comm traffic against live widgets) interleaved with
 * valid requests, drawn from a seeded PRNG. Afterwards the kernel must be alive,
 * have answered every valid request once, have run no replay, have a clean
 * Object.prototype, and have logged no handler failure.
 *
 * Reproduce a run with TSLENS_FUZZ_SEED=<seed> (and TSLENS_FUZZ_MESSAGES=<n>).
 */
import assert from "node:assert/strict";
import { randomUUID } from "crypto";
import * as fs from "fs";
import { Channel, KernelClient } from "./client";
import {
  brokenFrames,
  framesOf,
  headerJson,
  oddBufferPaths,
  oddJson,
  oddValue,
  PROTOTYPE_NAMES,
  Rng,
  Signing,
} from "./fuzz-messages";
import { Tally } from "./tally";

const SEED = Number(process.env.TSLENS_FUZZ_SEED ?? 20_514);
const MESSAGES = Number(process.env.TSLENS_FUZZ_MESSAGES ?? 3_000);
/** Valid execute_requests in one run (each compiles a cell, the slow part). */
const MAX_CELLS = 40;

/** Request types answered with a reply; shutdown and interrupt are left out (they end or disturb the run). */
const REPLYING = [
  "kernel_info_request",
  "complete_request",
  "inspect_request",
  "is_complete_request",
  "history_request",
  "comm_info_request",
];

/** Own keys of the builtin prototypes, as the kernel sees them. */
const PROTOTYPE_SNAPSHOT =
  "JSON.stringify([Object.prototype, Array.prototype, Function.prototype, String.prototype, Number.prototype].map((p) => Reflect.ownKeys(p).map(String).sort()).concat([[String(({} as Record<string, unknown>).polluted)]]))";

/** One message to send, and what the run expects of it. */
interface Planned {
  channel: Channel;
  frames: Buffer[];
  /** Set for valid requests: their reply must arrive, with status `expected`. */
  validId?: string;
  expected?: string;
  /** Set for valid execute_requests: the id the cell records when it runs. */
  cellId?: string;
  replay?: boolean;
}

describe(`kernel fuzz (seed ${SEED}, ${MESSAGES} messages; rerun with TSLENS_FUZZ_SEED=${SEED})`, function () {
  this.timeout(240_000);
  let k: KernelClient;
  let signing: Signing;
  const ids = { slider: "", raw: "", control: randomUUID() };

  before(async () => {
    k = await KernelClient.start();
    signing = { key: String(k.connection.key), session: k.clientSession };
    const setup = await k.execute(
      [
        'import { IntSlider, Widget } from "tslens";',
        "(globalThis as any).fuzzRuns = [] as string[];",
        "const fuzzSlider = new IntSlider({ value: 1 });",
        "const fuzzRaw = new Widget({ _model_name: 'RawModel', _model_module: 'tslens-test', _model_module_version: '1.0.0', _view_name: null, payload: new Uint8Array([1, 2, 3]), nested: { list: [0, 0] } });",
        "console.log(JSON.stringify([fuzzSlider.modelId, fuzzRaw.modelId]));",
      ].join("\n"),
    );
    assert.equal(setup.reply?.content.status, "ok", JSON.stringify(setup.reply?.content));
    const printed = setup.outputs.filter((m) => m.header.msg_type === "stream").map((m) => m.content.text);
    [ids.slider, ids.raw] = JSON.parse(printed.join(""));
    const control = await k.roundTrip("shell", "comm_open", {
      comm_id: ids.control,
      target_name: "jupyter.widget.control",
      data: {},
    });
    assert.deepEqual(
      control.iopub.map((m) => m.header.msg_type),
      ["status", "status"],
      "the control comm stays open",
    );
  });

  after(async () => {
    // TSLENS_FUZZ_LOG=<file> keeps the kernel's log of the run for a closer look.
    if (process.env.TSLENS_FUZZ_LOG && k) fs.writeFileSync(process.env.TSLENS_FUZZ_LOG, k.stderr);
    await k?.stop();
  });

  /** Evaluates a cell that prints one JSON line; returns the parsed value. */
  async function evaluate(code: string): Promise<unknown> {
    const { reply, outputs } = await k.execute(`console.log(${code})`);
    assert.equal(reply?.content.status, "ok", JSON.stringify(reply?.content));
    return JSON.parse(outputs.map((m) => (m.header.msg_type === "stream" ? String(m.content.text) : "")).join(""));
  }

  /** Plans the whole run from the seed. */
  function plan(rng: Rng): Planned[] {
    const planned: Planned[] = [];
    const replayable: { channel: Channel; frames: Buffer[] }[] = [];
    let cells = 0;
    const channel = (): Channel => (rng.chance(0.2) ? "control" : "shell");
    const message = (msgType: string, content: string, options: { buffers?: Buffer[]; msgId?: string } = {}) =>
      framesOf({ header: headerJson(signing, msgType, options.msgId), content }, signing.key, { buffers: options.buffers });
    const valid = (msgType: string, content: Record<string, unknown>, ch: Channel = channel()) => {
      const msgId = `valid-${planned.length}-${randomUUID()}`;
      const frames = message(msgType, JSON.stringify(content), { msgId });
      const cellId = msgType === "execute_request" ? String(content.cellId) : undefined;
      const expected = msgType === "is_complete_request" ? "incomplete" : "ok";
      planned.push({ channel: ch, frames, validId: msgId, cellId, expected });
      replayable.push({ channel: ch, frames });
    };
    const hostile = (frames: Buffer[], ch: Channel = channel()) => planned.push({ channel: ch, frames });
    const widgetId = () => rng.pick([ids.slider, ids.raw]);
    const commMsg = (commId: unknown, data: unknown, buffers: Buffer[] = []) =>
      hostile(message("comm_msg", JSON.stringify({ comm_id: commId, data }), { buffers }), "shell");

    for (let i = 0; i < MESSAGES; i++) {
      const roll = rng.next();
      if (roll < 0.16) {
        // Valid requests, a few of them cells.
        if (cells < MAX_CELLS && rng.chance(0.15)) {
          const cellId = `cell-${cells++}`;
          valid("execute_request", { code: `(globalThis as any).fuzzRuns.push("${cellId}");`, silent: false, cellId }, "shell");
        } else {
          const type = rng.pick(REPLYING);
          const content =
            type === "complete_request" || type === "inspect_request"
              ? { code: "Math.ma", cursor_pos: 7, detail_level: 0 }
              : type === "is_complete_request"
                ? { code: "for (;;) {" }
                : {};
          valid(type, content);
        }
      } else if (roll < 0.22) {
        if (replayable.length === 0) continue;
        // On the original's channel: a socket delivers in order, so the original is always the one served.
        const original = rng.pick(replayable);
        planned.push({ channel: original.channel, frames: original.frames, replay: true });
      } else if (roll < 0.34) {
        hostile(brokenFrames(rng, signing));
      } else if (roll < 0.42) {
        // msg_types named like prototype members, or random ones.
        hostile(message(rng.chance(0.7) ? rng.pick(PROTOTYPE_NAMES) : rng.text(20), oddJson(rng)));
      } else if (roll < 0.52) {
        // Known request types with odd content (deep values under the keys handlers read).
        const key = rng.pick(["code", "cursor_pos", "target_name", "detail_level", "comm_id", "data"]);
        const deep = rng.pick([10, 5_000]);
        const content = rng.chance(0.3) ? `{"${key}":${"[".repeat(deep)}${"]".repeat(deep)}}` : oddJson(rng);
        hostile(message(rng.pick(REPLYING), content));
      } else if (roll < 0.54) {
        // Cells with odd content; never stop_on_error, so no valid cell behind them is aborted.
        const content = {
          code: rng.chance(0.5) ? oddValue(rng) : rng.text(),
          silent: oddValue(rng),
          store_history: oddValue(rng),
        };
        hostile(message("execute_request", JSON.stringify({ ...content, stop_on_error: false })), "shell");
      } else if (roll < 0.6) {
        const target = rng.pick<unknown>([...PROTOTYPE_NAMES, "jupyter.widget", "jupyter.widget.control", rng.text(), 7]);
        const commId = rng.pick<unknown>([...PROTOTYPE_NAMES, ids.slider, randomUUID(), oddValue(rng)]);
        hostile(message("comm_open", JSON.stringify({ comm_id: commId, target_name: target, data: oddValue(rng) })), "shell");
      } else if (roll < 0.8) {
        const { paths, buffers } = oddBufferPaths(rng);
        const state = oddValue(rng);
        switch (rng.int(7)) {
          case 0:
          case 1:
            commMsg(widgetId(), { method: "update", state, buffer_paths: paths }, buffers);
            break;
          case 2: {
            const deep = rng.pick([101, 5_000]);
            const data = `{"method":"update","state":{"value":${"[".repeat(deep)}${"]".repeat(deep)}},"buffer_paths":[]}`;
            hostile(message("comm_msg", `{"comm_id":${JSON.stringify(widgetId())},"data":${data}}`), "shell");
            break;
          }
          case 3:
            commMsg(widgetId(), { method: rng.pick<unknown>([...PROTOTYPE_NAMES, oddValue(rng)]), state, content: state });
            break;
          case 4:
            commMsg(widgetId(), { method: rng.pick(["custom", "request_state"]), content: oddValue(rng) }, buffers);
            break;
          case 5:
            // Valid updates in between: a slider value, a binary payload, a buffer inside a list.
            commMsg(ids.slider, { method: "update", state: { value: rng.int(100) }, buffer_paths: [] });
            commMsg(
              ids.raw,
              { method: "update", state: { nested: { list: [0, 0] } }, buffer_paths: [["payload"], ["nested", "list", 1]] },
              [Buffer.from([rng.int(256)]), Buffer.from([rng.int(256)])],
            );
            break;
          default:
            commMsg(ids.control, { method: rng.pick(["request_states", ...PROTOTYPE_NAMES]) });
        }
      } else if (roll < 0.9) {
        const commId = rng.pick<unknown>([...PROTOTYPE_NAMES, randomUUID(), oddValue(rng), null]);
        if (rng.chance(0.6)) commMsg(commId, oddValue(rng));
        else hostile(message("comm_close", JSON.stringify({ comm_id: commId, data: oddValue(rng) })), "shell");
      } else if (roll < 0.91) {
        valid("kernel_info_request", { blob: "q".repeat(1 + rng.int(256 * 1024)) });
      } else {
        // Identity frames before the delimiter, and huge or binary buffers on any message.
        const frames = message(rng.pick([...REPLYING, "comm_msg"]), oddJson(rng), { buffers: [rng.bytes(rng.int(4096))] });
        hostile([...Array.from({ length: rng.int(3) }, () => rng.bytes(rng.int(8))), ...frames]);
      }
    }
    return planned;
  }

  it("stays alive, answers every valid request once, runs no replay, keeps prototypes clean, logs no failure", async () => {
    const baseline = await evaluate(PROTOTYPE_SNAPSHOT);
    const rng = new Rng(SEED);
    const planned = plan(rng);
    const tally = new Tally(k);
    const mark = k.stderr.length;
    const started = Date.now();
    for (const p of planned) await k.sendRaw(p.channel, p.frames);
    const validIds = planned.flatMap((p) => (p.validId ? [p.validId] : []));
    await tally.waitForIdle(validIds, new Set(validIds), 120_000).catch((err) => {
      const missing = planned.filter((p) => p.validId && !(tally.idle.has(p.validId) && tally.replies.has(p.validId)));
      const shown = missing
        .slice(0, 5)
        .map((p) => `${p.channel} ${p.frames[p.frames.indexOf(p.frames.find((f) => f.toString() === "<IDS|MSG>")!) + 2]}`);
      throw new Error(
        `seed ${SEED}: ${(err as Error).message}; ${missing.length} valid requests unanswered, e.g.\n${shown.join("\n")}\nkernel log:\n${k.stderr.slice(mark).slice(-3000)}`,
      );
    });
    // The comm queue is FIFO: once this comm_msg is idle, every earlier comm message was handled.
    const barrier = await k.request("shell", "comm_msg", { comm_id: ids.slider, data: { method: "request_state" } });
    await tally.waitForIdle([barrier]);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);

    const replays = planned.filter((p) => p.replay).length;
    const cells = planned.filter((p) => p.cellId).map((p) => p.cellId);
    const summary = `${planned.length} messages (${validIds.length} valid, ${cells.length} cells, ${replays} replays) in ${seconds} s`;
    console.log(`      fuzz seed ${SEED}: ${summary}`);

    assert.equal(k.exitCode(), undefined, "the kernel process is running");
    assert.deepEqual(k.undecodable, [], "everything the kernel sent decodes");
    for (const { validId, expected } of planned) {
      if (!validId) continue;
      const replies = tally.replies.get(validId) ?? [];
      assert.equal(replies.length, 1, `one reply to ${validId}`);
      assert.equal(replies[0].content.status, expected, `${validId}: ${JSON.stringify(replies[0].content).slice(0, 300)}`);
    }
    const log = k.stderr.slice(mark);
    assert.doesNotMatch(log, /handler failed/);
    assert.doesNotMatch(log, /\] ERROR /);
    assert.equal(log.match(/dropped message: replayed message/g)?.length ?? 0, replays, "every replay is logged as one");

    const ran = (await evaluate("JSON.stringify((globalThis as any).fuzzRuns)")) as string[];
    assert.deepEqual([...ran].sort(), [...cells].sort(), "each cell ran once, replays never");
    assert.deepEqual(await evaluate(PROTOTYPE_SNAPSHOT), baseline, "builtin prototypes gained or lost no key");
    const { reply } = await k.roundTrip("shell", "kernel_info_request", {});
    assert.equal(reply?.content.status, "ok");
    const beat = Buffer.from(`fuzz ${SEED}`);
    assert.deepEqual(await k.ping(beat), [beat]);
  });
});
