import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PACKAGE_ROOT } from "./packageRoot.ts";

const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as { version: string };

export const VERSION: string = pkg.version;

/** What is running: the compiled build (and when it was built) or the TypeScript sources. */
export function buildInfo(): string {
  if (!import.meta.url.includes("/dist/")) return "TypeScript sources";
  const stamp = join(PACKAGE_ROOT, "dist", ".built");
  return existsSync(stamp) ? `compiled ${readFileSync(stamp, "utf8").trim()}` : "compiled";
}
