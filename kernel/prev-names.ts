/**
 * Names from earlier cells. tslab compiles each cell as its own module; what earlier cells declared lives on a
 * shared `exports` object (and, for the type checker, in a declarations file of those cells). So the JavaScript
 * emitted for a cell must reach an earlier cell's `q` as `exports.q`. This is that rewrite, run by tslab's patched
 * converter (./tslab-converter) over a cell's emitted syntax tree:
 * - an identifier that refers to an earlier cell's top-level name becomes `exports.q`;
 * - a shorthand property `{ q }` becomes `{ q: exports.q }`, and in an assignment pattern `({ q = 1 } = o)`
 *   becomes `({ q: exports.q = 1 } = o)` (tslab dropped these, leaving a reference to an undefined `q`);
 * - names that are not references (property names, labels, member and binding names) are left alone.
 */
import type * as TS from "@tslab/typescript-for-tslab";

/** What the rewrite needs from the converter: its TypeScript, checker, earlier cells' declarations, a context. */
export interface PrevNamesEnv {
  readonly ts: typeof TS;
  readonly checker: TS.TypeChecker;
  /** The declarations file that holds what earlier cells declared. */
  readonly declsFile: TS.SourceFile;
  readonly context: TS.TransformationContext;
}

/** True when `symbol` is a top-level name declared by an earlier cell (not a member of one of its types). */
function isPrevTopLevel(env: PrevNamesEnv, symbol: TS.Symbol | undefined): boolean {
  const locals = (env.declsFile as { locals?: Map<TS.__String, TS.Symbol> }).locals;
  if (!symbol || !locals) return false;
  return locals.get(symbol.escapedName) === symbol;
}

/** `exports.<name>`, a fresh node for an earlier cell's name. */
function exportsRef(env: PrevNamesEnv, name: TS.Identifier): TS.PropertyAccessExpression {
  const { factory } = env.ts;
  return factory.createPropertyAccessExpression(factory.createIdentifier("exports"), env.ts.idText(name));
}

/** The symbol a name in the emitted tree refers to, looked up on the parse-tree node it came from. */
function symbolOf(env: PrevNamesEnv, node: TS.Identifier): TS.Symbol | undefined {
  const original = env.ts.getParseTreeNode(node);
  return original ? env.checker.getSymbolAtLocation(original) : undefined;
}

/** The value a shorthand property `{ q }` reads (or, in an assignment pattern, writes). */
function shorthandValueSymbol(env: PrevNamesEnv, node: TS.ShorthandPropertyAssignment): TS.Symbol | undefined {
  const original = env.ts.getParseTreeNode(node);
  return original ? env.checker.getShorthandAssignmentValueSymbol(original) : undefined;
}

/** Rewrites references to earlier cells' names in `node` and below (see the module comment). */
export function rewritePrevNames(node: TS.Node, env: PrevNamesEnv): TS.Node {
  const { ts } = env;
  const visit = (child: TS.Node): TS.Node => rewritePrevNames(child, env);
  if (ts.isShorthandPropertyAssignment(node)) {
    if (!isPrevTopLevel(env, shorthandValueSymbol(env, node))) return ts.visitEachChild(node, visit, env.context);
    const target = exportsRef(env, node.name);
    const initializer = node.objectAssignmentInitializer;
    const value = initializer ? ts.factory.createAssignment(target, ts.visitNode(initializer, visit) as TS.Expression) : target;
    return ts.factory.createPropertyAssignment(ts.idText(node.name), value);
  }
  if (!ts.isIdentifier(node)) return ts.visitEachChild(node, visit, env.context);
  const original = ts.getParseTreeNode(node);
  const parent = original?.parent;
  if (parent && ts.isPropertyAccessExpression(parent) && parent.name === original) {
    return node;
  }
  return isPrevTopLevel(env, symbolOf(env, node)) ? exportsRef(env, node) : node;
}
