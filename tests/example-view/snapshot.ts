/** The PNG of the example view: one bar per value, scaled to the largest, the selected bar red. */
import { renderPng } from "../../src/views/core/canvas";

/** Where the bars sit: bar i covers x in [left + i·pitch, left + i·pitch + width), growing up from `base`. */
export const BARS = { left: 10, pitch: 40, width: 30, base: 120, tallest: 100 };

/** PNG bytes of the bars, or undefined when no canvas is available. */
export function barsPng(labels: string[], values: ArrayLike<number>, selected: number): Uint8Array | undefined {
  const largest = Math.max(1e-9, ...Array.from(values));
  return renderPng(BARS.left * 2 + labels.length * BARS.pitch, BARS.base + 24, (ctx) => {
    labels.forEach((label, i) => {
      const height = Math.round((values[i] / largest) * BARS.tallest);
      const x = BARS.left + i * BARS.pitch;
      ctx.fillStyle = i === selected ? "rgb(200, 0, 0)" : "rgb(0, 0, 200)";
      ctx.fillRect(x, BARS.base - height, BARS.width, height);
      ctx.fillStyle = "black";
      ctx.fillText(label, x, BARS.base + 6);
    });
  });
}
