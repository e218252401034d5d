/**
 * The head-score grid: a plotly heatmap, layer 0 at the top, with the value of a cell on hover.
 * A click sets `selected = { layer, head }` (the kernel sees it); the selected head is framed.
 * The title is set as text above the chart (plotly would read tags in it).
 */
import { DOMWidgetView } from "@jupyter-widgets/base";
import { HeadScoresFields, headScoresSpec } from "../../../src/views/headScores/spec";
import { FieldAccess, fieldsOf } from "../core/model";
import { colorscale, plotly } from "../core/plotly";
import { addStyle } from "../core/style";

export class HeadScoresView extends DOMWidgetView {
  private fields!: FieldAccess<HeadScoresFields>;
  private title!: HTMLDivElement;
  private chart!: HTMLDivElement;
  private clickBound = false;

  render(): void {
    this.fields = fieldsOf(headScoresSpec, this.model);
    addStyle(document);
    this.el.classList.add("tslens-view", "tslens-head-scores");
    this.title = document.createElement("div");
    this.title.className = "tslens-title";
    this.chart = document.createElement("div");
    this.chart.className = "tslens-chart";
    this.el.append(this.title, this.chart);
    this.listenTo(this.model, "change", () => void this.draw());
    void this.draw();
  }

  private async draw(): Promise<void> {
    const field = this.fields.get;
    this.title.textContent = field("title");
    const scores = field("scores");
    const [layers, heads] = [field("nLayers"), field("nHeads")];
    const [min, max] = [field("valueMin"), field("valueMax")];
    const selected = field("selected");
    const Plotly = await plotly();
    const frame = selected
      ? [
          {
            type: "rect",
            x0: selected.head - 0.5,
            x1: selected.head + 0.5,
            y0: selected.layer - 0.5,
            y1: selected.layer + 0.5,
            line: { color: "black", width: 3 },
          },
        ]
      : [];
    const cell = Math.max(18, Math.min(40, Math.floor(440 / Math.max(layers, heads))));
    const graph = await Plotly.react(
      this.chart,
      [
        {
          type: "heatmap",
          z: scores,
          x: Array.from({ length: heads }, (_, h) => h),
          y: Array.from({ length: layers }, (_, l) => l),
          zmin: min,
          zmax: max,
          colorscale: colorscale(min, max),
          hovertemplate: "L%{y}H%{x}: %{z:.3f}<extra></extra>",
          xgap: 1,
          ygap: 1,
        },
      ],
      {
        width: 120 + heads * cell,
        height: 70 + layers * cell,
        margin: { l: 50, r: 10, t: 10, b: 40 },
        xaxis: { title: { text: "head" }, dtick: 1, constrain: "domain" },
        yaxis: { title: { text: "layer" }, dtick: 1, autorange: "reversed" },
        shapes: frame,
      },
      { displayModeBar: false, responsive: false },
    );
    if (!this.clickBound) {
      this.clickBound = true;
      graph.on("plotly_click", (event) => {
        const point = event.points[0];
        if (!point) return;
        this.fields.save("selected", { layer: Number(point.y), head: Number(point.x) });
      });
    }
  }

  remove(): void {
    void plotly().then((Plotly) => Plotly.purge(this.chart));
    super.remove();
  }
}
