/**
 * How the batched mode groups patched runs. A group computes positions `first`… of every run in it
 * (its earliest run's first changed position) and goes through the blocks one at a time, each run
 * joining at its layer. Small groups waste time: every block call costs about as much as
 * `CALL_ROWS` more rows. Large groups spanning several positions waste rows: a run recomputes the
 * unchanged positions between the group's first and its own. The planner weighs the two with a
 * cost estimate.
 */
import type { TransformerConfig } from "../../loading/config";
import { countFlops, FlopComponent } from "../flops";

/** One patched run: its place in the sweep's output, its layer and index tuple, the first position it changes. */
export interface PlannedRun {
  index: number;
  layer: number;
  tuple: number[];
  first: number;
}

/** Runs that go through the model together, computing positions `first`… , in the order they join (by layer). */
export interface RunGroup {
  first: number;
  runs: PlannedRun[];
}

/** How big a group may grow: rows of the residual stream (runs × batch × computed positions), and runs. */
export interface GroupLimits {
  maxRows: number;
  maxRuns: number;
}

/** Default limits: blocks run fastest around a thousand rows (measured on 2 cores), and memory stays small. */
export const GROUP_LIMITS: GroupLimits = { maxRows: 1024, maxRuns: Infinity };

/** The fixed cost of one block call, in rows: reading the block's weights takes about as long as this many rows. */
const CALL_ROWS = 128;

/** Rows per unembedding step (the logits of 1024 rows of GPT-2 take 200 MB). */
export const UNEMBED_ROWS = 1024;

/** What the cost estimate needs to know of the sweep. */
export interface SweepShape {
  batch: number;
  nPos: number;
  nLayers: number;
  /** Work of unembedding one row, relative to one block on one row. */
  unembedWeight: number;
}

/** Work of the unembedding on a row relative to a block's (projections and MLP), from the FLOP accounting at one token. */
export function unembedWeight(cfg: TransformerConfig): number {
  const { components } = countFlops(cfg, 1);
  const flops = (component: FlopComponent) => components.find((c) => c.component === component)!.flops;
  return (cfg.nLayers * flops("unembed")) / (flops("QK") + flops("OV") + flops("MLP")); // the blocks' counts are of all layers
}

/** Estimated time of a group (runs in layer order), in units of one block on one row. */
function groupCost(runs: PlannedRun[], first: number, shape: SweepShape): number {
  const rowsPerRun = shape.batch * (shape.nPos - first);
  let [cost, active] = [0, 0];
  for (let l = runs[0].layer, i = 0; l < shape.nLayers; l++) {
    while (i < runs.length && runs[i].layer === l) [active, i] = [active + 1, i + 1];
    cost += CALL_ROWS + active * rowsPerRun;
  }
  const rows = runs.length * rowsPerRun;
  return cost + shape.unembedWeight * (rows + Math.ceil(rows / UNEMBED_ROWS) * CALL_ROWS);
}

const byLayer = (a: PlannedRun, b: PlannedRun) => a.layer - b.layer || a.index - b.index;

/**
 * Splits runs into groups: the runs of each first position in chunks within the limits, then, from the
 * first position on, each chunk merged into the one before while that lowers the estimated time.
 */
export function planGroups(runs: PlannedRun[], shape: SweepShape, limits: GroupLimits): RunGroup[] {
  const ordered = [...runs].sort((a, b) => a.first - b.first || a.index - b.index);
  const chunks: RunGroup[] = [];
  for (const run of ordered) {
    const last = chunks[chunks.length - 1];
    const rowsPerRun = shape.batch * (shape.nPos - run.first);
    const fits = last && last.first === run.first && last.runs.length < limits.maxRuns;
    if (fits && (last.runs.length + 1) * rowsPerRun <= limits.maxRows) last.runs.push(run);
    else chunks.push({ first: run.first, runs: [run] });
  }
  chunks.forEach((chunk) => chunk.runs.sort(byLayer));
  const groups: RunGroup[] = [];
  for (const chunk of chunks) {
    const group = groups[groups.length - 1];
    if (group) {
      const runs = [...group.runs, ...chunk.runs].sort(byLayer);
      const rows = runs.length * shape.batch * (shape.nPos - group.first);
      const cheaper =
        groupCost(runs, group.first, shape) <=
        groupCost(group.runs, group.first, shape) + groupCost(chunk.runs, chunk.first, shape);
      if (cheaper && rows <= limits.maxRows && runs.length <= limits.maxRuns) {
        group.runs = runs;
        continue;
      }
    }
    groups.push(chunk);
  }
  return groups;
}
