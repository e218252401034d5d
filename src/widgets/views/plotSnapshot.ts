/**
 * A plain PNG of a plotly figure for places without the view: heatmaps as coloured cells, bars,
 * and lines/markers on linear axes, with the title. Other trace types are listed by name only.
 */
import { colorOf, cssColor, headColor } from "../../../widgets/src/draw/colors";
import { formatValue } from "../../../widgets/src/draw/tokens";
import type { Figure } from "./plot";
import { renderPng } from "./canvas";

const [W, H, LEFT, TOP, RIGHT, BOTTOM] = [560, 360, 56, 36, 16, 36];

const numbers = (v: unknown): number[] => (Array.isArray(v) ? v.map(Number) : []);

/** PNG bytes of the figure, or undefined when no canvas is available. */
export function plotPng(figure: Figure): Uint8Array | undefined {
  const layout = figure.layout ?? {};
  const title = layout.title;
  const titleText =
    typeof title === "string"
      ? title
      : typeof (title as { text?: unknown })?.text === "string"
        ? String((title as { text: string }).text)
        : "";
  return renderPng(W, H, (ctx) => {
    ctx.fillStyle = "black";
    if (titleText) ctx.fillText(titleText.slice(0, 80), LEFT, 10);
    const [pw, ph] = [W - LEFT - RIGHT, H - TOP - BOTTOM];
    const heatmap = figure.data.find((t) => t.type === "heatmap");
    if (heatmap) {
      const z = (heatmap.z as unknown[][] | undefined)?.map(numbers) ?? [];
      const flat = z.flat().filter(Number.isFinite);
      const [min, max] = [Math.min(0, ...flat), Math.max(0, ...flat, 1e-9)];
      const [rows, cols] = [z.length, Math.max(0, ...z.map((r) => r.length))];
      z.forEach((row, r) =>
        row.forEach((v, c) => {
          ctx.fillStyle = cssColor(colorOf(v, min, max));
          ctx.fillRect(LEFT + (c * pw) / cols, TOP + (r * ph) / rows, pw / cols + 0.5, ph / rows + 0.5);
        }),
      );
      ctx.fillStyle = "black";
      ctx.fillText(`${formatValue(min)} … ${formatValue(max)}`, LEFT, H - 20);
      return;
    }
    const series = figure.data
      .filter((t) => t.type === undefined || t.type === "scatter" || t.type === "bar")
      .map((t) => {
        const y = numbers(t.y);
        const x = t.x === undefined ? y.map((_, i) => i) : numbers(t.x);
        return { x, y, bar: t.type === "bar" };
      });
    const xs = series.flatMap((s) => s.x).filter(Number.isFinite);
    const ys = series.flatMap((s) => s.y).filter(Number.isFinite);
    if (xs.length === 0 || ys.length === 0) {
      ctx.fillText(`traces: ${figure.data.map((t) => String(t.type ?? "scatter")).join(", ")}`, LEFT, TOP);
      return;
    }
    const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
    const [y0, y1] = [Math.min(0, ...ys), Math.max(...ys)];
    const px = (x: number) => LEFT + (x1 > x0 ? ((x - x0) / (x1 - x0)) * pw : pw / 2);
    const py = (y: number) => TOP + ph - (y1 > y0 ? ((y - y0) / (y1 - y0)) * ph : ph / 2);
    ctx.strokeStyle = "#888";
    ctx.strokeRect(LEFT, TOP, pw, ph);
    ctx.fillText(formatValue(y1), 4, TOP);
    ctx.fillText(formatValue(y0), 4, TOP + ph - 12);
    ctx.fillText(formatValue(x0), LEFT, TOP + ph + 6);
    ctx.fillText(formatValue(x1), LEFT + pw - 40, TOP + ph + 6);
    series.forEach((s, i) => {
      const colour = headColor(i, series.length);
      ctx.strokeStyle = ctx.fillStyle = colour;
      if (s.bar) {
        const width = Math.max(2, (pw / Math.max(1, s.x.length)) * 0.8);
        s.x.forEach((x, j) => ctx.fillRect(px(x) - width / 2, py(Math.max(0, s.y[j])), width, Math.abs(py(s.y[j]) - py(0))));
      } else {
        ctx.beginPath();
        s.x.forEach((x, j) => (j === 0 ? ctx.moveTo(px(x), py(s.y[j])) : ctx.lineTo(px(x), py(s.y[j]))));
        ctx.stroke();
      }
    });
  });
}
