// Node through require() (CommonJS, Jest's default mode, Node before 20.19): the same .wasm and
// the same glue as node.js, the glue converted to CommonJS at build time.
"use strict";
const { readFileSync } = require("node:fs");
const { join } = require("node:path");
const glue = require("./unlock_tasks.cjs");
const { extend } = require("./extras.cjs");

glue.initSync({ module: readFileSync(join(__dirname, "unlock_tasks_bg.wasm")) });
extend(glue.UnlockClient, glue);

// A plain object (the values, not api.cjs's getters and __esModule mark), as before.
module.exports = { ...require("./api.cjs") };
