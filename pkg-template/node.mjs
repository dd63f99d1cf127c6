// b24-vote for Node's `import`: the CommonJS build (b24_vote.cjs, compiled
// and started synchronously when loaded) re-exported by name, so that
// `import` and `require` in one process share one wasm instance.
// pkg-template/assemble.mjs fills in the names from the build's exports.
import lib from "./b24_vote.cjs";

export const { /* NAMES */ } = lib;
export default lib.default;
