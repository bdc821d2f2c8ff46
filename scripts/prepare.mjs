// npm's prepare step: compile to dist/ when the compiler is installed (a development install).
// A production install (`npm ci --omit=dev`) has no compiler: it runs the TypeScript sources with
// Node's type stripping instead, so the missing compiler is not an error there.
import { execSync } from "node:child_process";
import { createRequire } from "node:module";

try {
  createRequire(import.meta.url).resolve("typescript/package.json");
} catch {
  console.log("s3beat: production install (no TypeScript compiler): skipping the build; the sources run as they are");
  process.exit(0);
}
execSync("npm run build", { stdio: "inherit" });
