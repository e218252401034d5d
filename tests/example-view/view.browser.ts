/** The example view in the browser: one bar per value (heights scaled to the largest); a click selects a bar. */
import { addStyle, DOMWidgetView, element, FieldAccess, fieldsOf } from "../../widgets/src/core";
import { ExampleBarsFields, exampleBarsSpec } from "./spec";

export class ExampleBarsView extends DOMWidgetView {
  private fields!: FieldAccess<ExampleBarsFields>;

  render(): void {
    this.fields = fieldsOf(exampleBarsSpec, this.model);
    addStyle(document);
    this.el.classList.add("tslens-view", "tslens-example-bars");
    this.listenTo(this.model, this.fields.changes("labels", "values", "selectedBar"), () => this.draw());
    this.draw();
  }

  private draw(): void {
    this.el.replaceChildren();
    const values = this.fields.get("values");
    if (!values) return;
    const largest = Math.max(1e-9, ...Array.from(values));
    const row = element("div", "tslens-row", this.el);
    row.style.alignItems = "flex-end";
    this.fields.get("labels").forEach((label, i) => {
      const bar = element("div", "tslens-example-bar", row);
      bar.style.cssText = `width: 30px; height: ${Math.round((values[i] / largest) * 100)}px; cursor: pointer;`;
      bar.style.background = i === this.fields.get("selectedBar") ? "rgb(200, 0, 0)" : "rgb(0, 0, 200)";
      bar.title = label;
      bar.addEventListener("click", () => this.fields.save("selectedBar", i));
    });
  }
}
