"use strict";
// b24-vote for Node's `require` (and, through node.mjs, its `import`).
// b24_vote_node.cjs is wasm-bindgen's nodejs build, copied unchanged: it
// compiles and starts the module synchronously when loaded, from the
// b24_vote_bg.wasm beside it. This file adds init() and initSync(), so that
// code written for the web build (`await init()`) runs unchanged in Node
// (under Vitest, in SSR); both return the started instance's exports, as
// they do in the browser.
const { __wasmInstance, ...api } = require("./b24_vote_node.cjs");

const instanceExports = __wasmInstance().exports;

module.exports = {
  ...api,
  initSync: function initSync() {
    return instanceExports;
  },
  default: function init() {
    return Promise.resolve(instanceExports);
  },
};
Object.defineProperty(module.exports, "__esModule", { value: true });
