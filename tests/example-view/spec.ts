/**
 * An example view, kept as a test fixture to show that a view is one folder: this spec, the kernel
 * class (exampleBars.ts), its PNG (snapshot.ts), its browser view (view.browser.ts) and its tests.
 * It draws one bar per value; clicking a bar selects it (`selectedBar`, shared both ways).
 */
import { floatsSerializer } from "../../src/common/quantise";
import { defineView, field } from "../../src/common/spec";
import type { FieldsOf } from "../../src/common/spec";

export const exampleBarsSpec = defineView("ExampleBars", {
  /** One label per bar. */
  labels: field<string[]>("labels", []),
  /** One value per bar (≥ 0), float32. */
  values: field<Float32Array | null>("values", null, floatsSerializer),
  /** The selected bar, or −1. */
  selectedBar: field("selected_bar", -1),
});

/** The fields of the example view. */
export type ExampleBarsFields = FieldsOf<typeof exampleBarsSpec>;
