// b24-vote for Node's `import`: b24_vote.cjs (wasm-bindgen's nodejs build,
// compiled and started synchronously when loaded) re-exported by name, so
// that `import` and `require` in one process share one wasm instance.
// pkg-template/assemble.mjs fills in the names from b24_vote.cjs's exports.
import lib from "./b24_vote.cjs";

export const { /* NAMES */ } = lib;
export default lib.default;
