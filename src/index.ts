/**
 * tslens: look inside transformer language models from TypeScript notebooks.
 *
 *   import * as lens from "tslens";
 */
export * from "./widgets";
export { MIME_BUNDLE_KEY } from "../kernel/host-api";
export type { MimeBundle } from "../kernel/host-api";
