// require("unlock-tasks/init") in Node: the module is loaded synchronously from the package
// folder as soon as it is required, so init() has nothing left to do and resolves at once.
"use strict";
const api = require("./node.cjs");

module.exports = { ...api, init: async () => {} };
