// Stands in for the `bindings` package inside dist/nimbus.cjs (scripts/build.mjs). better-sqlite3
// loads its native addon through `bindings`, which finds it by capturing a stack trace and
// trying a dozen paths; bundled, better-sqlite3's JavaScript is in the code cache and the addon
// is loaded from where npm installs it. Any other layout goes to the real `bindings`.
"use strict";
const { dirname, join } = require("node:path");

module.exports = function bindings(name) {
  const root = dirname(require.resolve("better-sqlite3/package.json"));
  try {
    return require(join(root, "build", "Release", name));
  } catch (e) {
    if (e.code !== "MODULE_NOT_FOUND") throw e;
    return require("bindings")({ bindings: name, module_root: root });
  }
};
