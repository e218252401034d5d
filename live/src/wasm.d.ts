/** The wasm binaries the bundle embeds: esbuild's "binary" loader turns each import into its bytes. */
declare module "*.wasm" {
  const bytes: Uint8Array;
  export default bytes;
}
