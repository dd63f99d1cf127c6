
// Added by b24-vote's package assembly (pkg-template/node-init.cjs).
// In Node this module is compiled and started synchronously on load. init()
// and initSync() exist so that code written for the web build (`await init()`)
// runs unchanged, e.g. under Vitest or in SSR; both return the started
// instance's exports, as they do in the browser.
exports.initSync = function initSync() {
    return wasm;
};
exports.default = function __wbg_init() {
    return Promise.resolve(wasm);
};
Object.defineProperty(exports, "__esModule", { value: true });
