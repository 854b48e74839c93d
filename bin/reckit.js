#!/usr/bin/env node
// The `reckit` executable: runs the compiled CLI (dist/), built by `npm install` / `npm run build:ts`.
'use strict';
const { main } = require('../dist/lib/cli/main.js');

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(error && error.stack ? error.stack : error);
    process.exitCode = 1;
  },
);
