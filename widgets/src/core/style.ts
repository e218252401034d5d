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

/** Adds the stylesheet to `doc` unless it is there already. */
export function addStyle(doc: Document): void {
  if (doc.getElementById("tslens-widgets-style")) return;
  const style = doc.createElement("style");
  style.id = "tslens-widgets-style";
  style.textContent = CSS;
  doc.head.appendChild(style);
}
