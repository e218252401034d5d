/**
 * The views' stylesheet, added once per document (no external CSS, nothing fetched at run time).
 * Colours follow JupyterLab's theme variables where they exist.
 */
const CSS = `
.tslens-view { display: block; font: 12px var(--jp-ui-font-family, sans-serif); color: var(--jp-ui-font-color1, #222); }
.tslens-row { display: flex; flex-wrap: wrap; gap: 6px; align-items: flex-start; }
.tslens-thumb { display: flex; flex-direction: column; align-items: center; cursor: pointer; }
.tslens-thumb canvas { width: 64px; height: 64px; image-rendering: pixelated; border: 2px solid transparent; }
.tslens-thumb.tslens-selected canvas { outline: 2px solid var(--jp-brand-color1, #1976d2); }
.tslens-zoom { position: relative; margin-top: 8px; display: flex; gap: 8px; align-items: flex-start; }
.tslens-zoom canvas.tslens-main { width: min(420px, 90vw); image-rendering: pixelated; border: 1px solid var(--jp-border-color1, #bdbdbd); }
.tslens-legend { display: flex; flex-direction: column; align-items: flex-start; gap: 2px; }
.tslens-legend canvas { width: 14px; height: 180px; image-rendering: pixelated; border: 1px solid var(--jp-border-color1, #bdbdbd); }
.tslens-tokens { margin-top: 8px; display: flex; flex-wrap: wrap; gap: 2px; max-width: 100%; max-height: 16em; overflow-y: auto; }
.tslens-token { padding: 1px 3px; margin: 1px; border-radius: 3px; border: 1px solid var(--jp-border-color2, #e0e0e0); cursor: pointer; white-space: pre; }
.tslens-token.tslens-locked { outline: 2px solid var(--jp-brand-color1, #1976d2); }
.tslens-tooltip { min-height: 1.4em; margin-top: 4px; color: var(--jp-ui-font-color2, #555); }
.tslens-ramp { width: 128px; height: 12px; image-rendering: pixelated; border: 1px solid var(--jp-border-color1, #bdbdbd); }
.tslens-scroll { overflow-x: auto; max-width: 100%; }
.tslens-lens-table { border-collapse: collapse; font-size: 11px; }
.tslens-lens-table td { border: 1px solid var(--jp-border-color2, #e0e0e0); padding: 1px 4px; white-space: pre; }
.tslens-lens-token { font-weight: 600; }
.tslens-title { font-weight: 600; margin: 2px 0 4px; }
.tslens-controls { margin: 4px 0; display: flex; gap: 8px; align-items: center; }
.tslens-view select { background: var(--jp-layout-color1, #fff); color: var(--jp-ui-font-color1, #222); border: 1px solid var(--jp-border-color1, #bdbdbd); border-radius: 2px; }
.tslens-scale { display: inline-flex; flex-direction: column; gap: 1px; }
.tslens-scale-ticks { position: relative; height: 1.3em; color: var(--jp-ui-font-color2, #555); font-size: 11px; }
.tslens-scale-tick { position: absolute; top: 0; transform: translateX(-50%); white-space: pre; }
.tslens-scale-tick:first-child { transform: none; }
.tslens-scale-tick:last-child { transform: translateX(-100%); }
.tslens-scale-tick::before { content: ""; position: absolute; top: -3px; left: 50%; height: 3px; border-left: 1px solid var(--jp-ui-font-color2, #555); }
.tslens-scale-tick:first-child::before { left: 0; }
.tslens-scale-tick:last-child::before { left: auto; right: 0; }
`;

/** The attention view's rules (widgets/src/attentionPatterns/): grid of heads, large pattern with axes, strip. */
const ATTENTION_CSS = `
.tslens-attention .tslens-attn-hint { color: var(--jp-ui-font-color2, #555); font-style: italic; }
.tslens-attn-chip { font: inherit; padding: 1px 8px; border-radius: 10px; cursor: pointer; border: 1px solid var(--jp-brand-color1, #1976d2); background: var(--jp-layout-color2, #eee); color: var(--jp-ui-font-color1, #222); }
.tslens-attn-chip[hidden] { display: none; }
.tslens-attn-body { display: flex; flex-wrap: wrap; gap: 12px 24px; align-items: flex-start; }
.tslens-attn-grid { display: grid; gap: 4px 6px; align-items: center; justify-items: center; }
.tslens-attn-col-label { color: var(--jp-ui-font-color2, #555); font-size: 11px; }
.tslens-attn-row-label { font-weight: 600; padding-right: 4px; justify-self: end; }
.tslens-attention .tslens-thumb { display: flex; flex-direction: column; align-items: center; cursor: pointer; width: var(--tslens-thumb, 56px); }
.tslens-attention .tslens-thumb canvas { width: var(--tslens-thumb, 56px); height: var(--tslens-thumb, 56px); box-sizing: border-box; image-rendering: pixelated; border: 1px solid var(--jp-border-color2, #e0e0e0); }
.tslens-attention .tslens-thumb.tslens-selected canvas { outline: 3px solid var(--jp-brand-color1, #1976d2); outline-offset: 1px; }
.tslens-attention .tslens-thumb.tslens-previewed canvas { outline: 2px dashed var(--jp-brand-color1, #1976d2); outline-offset: 1px; }
.tslens-attn-badges { display: flex; gap: 2px; min-height: 13px; font-size: 10px; line-height: 12px; }
.tslens-badge { padding: 0 2px; border-radius: 3px; background: var(--jp-layout-color3, #e0e0e0); color: var(--jp-ui-font-color0, #000); font-variant-numeric: tabular-nums; }
.tslens-attn-badge-legend { max-width: 300px; margin-top: 6px; font-size: 11px; color: var(--jp-ui-font-color2, #555); }
.tslens-attn-title { font-weight: 600; margin: 0 0 4px; min-height: 1.3em; }
.tslens-attn-plot-row { display: flex; gap: 8px; align-items: flex-start; }
.tslens-attn-plot { position: relative; }
.tslens-attn-plot canvas.tslens-main { position: absolute; top: 0; image-rendering: pixelated; outline: 1px solid var(--jp-border-color1, #bdbdbd); }
.tslens-attn-axis { position: absolute; top: 0; overflow: visible; font-size: 11px; line-height: 14px; color: var(--jp-ui-font-color1, #222); }
.tslens-attn-query-axis { left: 18px; }
.tslens-attn-query-axis .tslens-attn-label { position: absolute; right: 2px; max-width: 100%; overflow: hidden; text-overflow: ellipsis; white-space: pre; text-align: right; }
.tslens-attn-key-axis .tslens-attn-label { position: absolute; top: 0; max-height: 100%; overflow: hidden; text-overflow: ellipsis; white-space: pre; writing-mode: vertical-rl; transform: rotate(180deg); text-align: left; }
.tslens-attn-label-focus { font-weight: 700; background: var(--jp-brand-color1, #1976d2); color: var(--jp-ui-inverse-font-color0, #fff); border-radius: 2px; z-index: 1; }
.tslens-attn-axis-title { position: absolute; font-size: 11px; color: var(--jp-ui-font-color2, #555); white-space: nowrap; }
.tslens-attn-query-title { left: 0; top: 0; writing-mode: vertical-rl; transform: rotate(180deg); text-align: center; }
.tslens-attn-key-title { bottom: 0; right: 4px; }
.tslens-attention .tslens-legend { display: flex; flex-direction: column; align-items: flex-start; gap: 2px; font-size: 11px; }
.tslens-attention .tslens-legend canvas { width: 14px; image-rendering: pixelated; border: 1px solid var(--jp-border-color1, #bdbdbd); }
.tslens-legend-title { color: var(--jp-ui-font-color2, #555); }
.tslens-attn-window { font-size: 11px; color: var(--jp-ui-font-color2, #555); min-height: 1.3em; }
.tslens-attn-top { min-height: 1.4em; font-weight: 600; }
.tslens-attn-strip-legend { margin-top: 6px; font-size: 11px; color: var(--jp-ui-font-color2, #555); }
.tslens-attention .tslens-tokens { margin-top: 2px; }
.tslens-token.tslens-hovered { outline: 2px dashed var(--jp-brand-color1, #1976d2); outline-offset: 1px; }
`;

/** Adds the stylesheet to `doc` unless it is there already. */
export function addStyle(doc: Document): void {
  if (doc.getElementById("tslens-widgets-style")) return;
  const style = doc.createElement("style");
  style.id = "tslens-widgets-style";
  style.textContent = CSS + ATTENTION_CSS;
  doc.head.appendChild(style);
}
