/** The parts of plotly.js (cartesian bundle) the views use. */
declare module "plotly.js-cartesian-dist-min" {
  export interface PlotlyPoint {
    x: number;
    y: number;
    z?: number;
  }
  export interface PlotlyDiv extends HTMLElement {
    on(event: "plotly_click" | "plotly_hover", handler: (event: { points: PlotlyPoint[] }) => void): void;
  }
  const Plotly: {
    react(el: HTMLElement, data: object[], layout?: object, config?: object): Promise<PlotlyDiv>;
    purge(el: HTMLElement): void;
  };
  export default Plotly;
}
