#!/usr/bin/env node
"use strict";
require("../dist/kernel/cli.js").main(process.argv.slice(2));
