#!/usr/bin/env node
// Plain JavaScript so that an old Node fails with a clear message instead of a syntax error:
// s3beat's sources are TypeScript, run by Node's built-in type stripping (Node >= 22.18).
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 18) || !process.features.typescript) {
  process.stderr.write(`s3beat needs Node.js 22.18 or newer (24 recommended); this is ${process.version}.\n`);
  process.exit(2);
}
await import("../src/cli/main.ts");
