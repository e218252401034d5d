/**
 * src/common/spec.ts: a view spec is the one declaration of its synced fields. Names in code and on
 * the wire must agree, defaults are copied per instance, states are built by wire name from values
 * by name in code, binary fields carry their serialisers, and the kernel class and the browser
 * model of every view take their state keys and defaults from it.
 */
import { strict as assert } from "assert";
import { MODULE_NAME, MODULE_VERSION_RANGE } from "../../src/common/module";
import { floatsSerializer } from "../../src/common/quantise";
import {
  changeEvents,
  defineView,
  field,
  fieldReader,
  identityState,
  wireDefaults,
  wireSerializers,
  wireState,
  wireValues,
} from "../../src/common/spec";
import { headScores } from "../../src";
import { headScoresSpec } from "../../src/views/headScores/spec";
import { installFakeHost, removeFakeHost } from "../widgets/fake-host";

const bars = defineView("Bars", {
  label: field("label", "none"),
  values: field<Float32Array | null>("values", null, floatsSerializer),
  selectedBar: field("selected_bar", -1),
  marks: field<number[]>("marks", []),
});

describe("common/spec", function () {
  it("names models and views after the view, in the one module", () => {
    assert.deepEqual([bars.name, bars.modelName, bars.viewName], ["Bars", "BarsModel", "BarsView"]);
    assert.deepEqual(identityState(bars, MODULE_VERSION_RANGE), {
      _model_name: "BarsModel",
      _model_module: MODULE_NAME,
      _model_module_version: MODULE_VERSION_RANGE,
      _view_name: "BarsView",
      _view_module: MODULE_NAME,
      _view_module_version: MODULE_VERSION_RANGE,
    });
  });

  it("refuses fields whose code and wire names differ and keys the DOM widget owns", () => {
    assert.throws(
      () => defineView("X", { selected: field("selected_head", 0) }),
      /field "selected" has wire name "selected_head"/,
    );
    assert.throws(() => defineView("X", { layout: field("layout", 0) }), /field "layout" takes a DOM widget's own key/);
    assert.throws(() => defineView("X", { _private: field("_private", 0) }), /takes a DOM widget's own key/);
    assert.throws(() => defineView("lower", {}), /view name must be PascalCase, got "lower"/);
  });

  it("states by wire name: given values, else defaults, each default a fresh copy", () => {
    const a = wireState(bars, { label: "loss", selectedBar: 2 });
    assert.deepEqual(a, { label: "loss", values: null, selected_bar: 2, marks: [] });
    (a.marks as number[]).push(1);
    assert.deepEqual(wireState(bars, {}).marks, [], "instances do not share a default list");
    assert.deepEqual(wireDefaults(bars), { label: "none", values: null, selected_bar: -1, marks: [] });
    assert.deepEqual(wireValues(bars, { selectedBar: 4 }), { selected_bar: 4 });
    assert.throws(() => wireState(bars, { nope: 1 } as never), /Bars has no field "nope"/);
    assert.throws(() => wireValues(bars, { nope: 1 } as never), /Bars has no field "nope"/);
  });

  it("binary fields bring their serialisers; reads go by name in code; change events by wire name", () => {
    assert.deepEqual(Object.keys(wireSerializers(bars)), ["values"]);
    assert.equal(wireSerializers(bars).values, floatsSerializer);
    const store: Record<string, unknown> = { label: "x", selected_bar: 3 };
    const read = fieldReader(bars, (wire) => store[wire]);
    assert.equal(read("selectedBar"), 3);
    assert.equal(read("label"), "x");
    assert.equal(changeEvents(bars, ["values", "selectedBar"]), "change:values change:selected_bar");
  });

  it("a kernel view opens with exactly its spec's fields besides the DOM widget's keys, and exposes each as a property", () => {
    const host = installFakeHost();
    try {
      const view = headScores({ scores: [[1, 2]] });
      const state = host.sent.find((m) => m.kind === "open" && m.commId === view.modelId)!.data.state as Record<string, unknown>;
      const own = Object.keys(state).filter((k) => !k.startsWith("_") && !["layout", "tabbable", "tooltip"].includes(k));
      assert.deepEqual(own.sort(), Object.keys(wireDefaults(headScoresSpec)).sort());
      assert.equal(state._model_module_version, MODULE_VERSION_RANGE);
      for (const name of Object.keys(headScoresSpec.fields)) assert.ok(name in view, `property ${name}`);
    } finally {
      removeFakeHost();
    }
  });
});
