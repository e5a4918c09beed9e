// Run as `node requireTimer.js <module>`: requires <module> with a stub `vscode` and prints the
// milliseconds the require took. The stub has every top-level name @types/vscode declares (bundlers copy
// a module's own properties), each a callable, constructible stub whose properties are stubs too.
const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const deep = new Proxy(function vscodeStub() {}, {
  get: (target, key) => (key === 'then' ? undefined : key === Symbol.toPrimitive ? () => '' : deep),
  apply: () => deep,
  construct: () => deep,
});
const dts = fs.readFileSync(path.join(__dirname, '..', '..', 'node_modules', '@types', 'vscode', 'index.d.ts'), 'utf8');
const stub = {};
for (const m of dts.matchAll(/^\s*export (?:namespace|class|enum|const|function|let) (\w+)/gm)) stub[m[1]] = deep;
const load = Module._load;
Module._load = function (request, ...rest) {
  return request === 'vscode' ? stub : load.call(this, request, ...rest);
};
const t0 = performance.now();
require(process.argv[2]);
process.stdout.write(String(performance.now() - t0));
