/**
 * Checks that this package's name and version are the module name and version the kernel writes
 * into view state (src/common/module.ts, read from the root build in dist/). Run first by `npm run build`.
 */
const fs = require("fs");
const path = require("path");

const built = path.join(__dirname, "..", "dist", "src", "common", "module.js");
if (!fs.existsSync(built)) {
  console.error(`check-module: ${built} is missing; build the root package first (npx tsc -p tsconfig.json)`);
  process.exit(1);
}
const { MODULE_NAME, MODULE_VERSION } = require(built);
const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, "package.json"), "utf8"));
if (pkg.name !== MODULE_NAME || pkg.version !== MODULE_VERSION) {
  console.error(
    `check-module: widgets/package.json is ${pkg.name}@${pkg.version} but src/common/module.ts says ` +
      `${MODULE_NAME}@${MODULE_VERSION}; change both together`,
  );
  process.exit(1);
}
