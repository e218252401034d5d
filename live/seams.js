/**
 * The platform seams of the engine: the few modules that touch Node (the file system, V8, the backend choice that
 * loads native TensorFlow), each with a browser twin under live/platform that exports the same names. The browser
 * bundle (live/build.js) imports the twin wherever the engine imports the Node module, so the rest of the engine is
 * the same code in both places. Paths are relative to the repository root.
 */
"use strict";

/** Node module → its browser twin. */
const SEAMS = {
  "src/tensor/index.ts": "live/platform/tensor.ts",
  // tfjs-core itself, for modules that import it directly (the native-only kernels): the same `tf` namespace.
  "src/tensor/tf.ts": "live/platform/tensor.ts",
  "src/loading/fileSource.ts": "live/platform/fileSource.ts",
  "src/loading/collectGarbage.ts": "live/platform/collectGarbage.ts",
  "src/tokenizer/files.ts": "live/platform/tokenizerFiles.ts",
  "src/loading/save.ts": "live/platform/save.ts",
};

module.exports = { SEAMS };
