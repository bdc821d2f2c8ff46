#!/usr/bin/env node
// Plain JavaScript so that an old Node fails with a clear message instead of a syntax error.
import { existsSync, readdirSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  // An older Node (a machine's own, as `npx s3beat` or `node bin/s3beat.js` find it): run the same
  // command under the Node 24 that `npm start` / scripts/with-node24.sh fetched into .cache/node24,
  // fetching it the same way when it is not there yet.
  const { spawn } = await import("node:child_process");
  const { fileURLToPath: toPath } = await import("node:url");
  const { existsSync: exists } = await import("node:fs");
  const home = toPath(new URL("..", import.meta.url));
  const wrapper = `${home}scripts/with-node24.sh`;
  if (process.platform !== "linux" || process.arch !== "x64" || !exists(wrapper)) {
    process.stderr.write(`s3beat needs Node.js 22.18 or newer (24 recommended); this is ${process.version}. Install Node 24 and run the command again.\n`);
    process.exit(2);
  }
  const child = spawn("sh", [wrapper, "node", toPath(import.meta.url), ...process.argv.slice(2)], { stdio: "inherit" });
  // Signals reach the real s3beat, so SIGTERM still means a graceful stop.
  for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"]) process.on(sig, () => child.kill(sig));
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 128 + 15 : 1)));
  child.on("error", (err) => {
    process.stderr.write(
      `s3beat needs Node.js 22.18 or newer; this is ${process.version}, and running it under Node 24 failed (${err.message}). Run: sh ${wrapper} node ${toPath(import.meta.url)} ${process.argv.slice(2).join(" ")}\n`,
    );
    process.exit(2);
  });
  await new Promise(() => {}); // the child's exit ends this process
}

// A long-running daemon that allocates many short-lived objects lets V8 grow its young generation
// to 64 MB+ per semi-space; 8 MB keeps peak RSS bounded (npm run bench) at no cost in throughput.
// The flag only works at startup, so the process re-executes itself in place (same pid: signals
// and stdio are unchanged). An explicit --max-semi-space-size or S3BEAT_NO_REEXEC=1 skips this.
const hasFlag = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/)].some((a) => a.startsWith("--max-semi-space-size"));
if (!hasFlag && process.env.S3BEAT_NO_REEXEC !== "1" && typeof process.execve === "function" && process.platform !== "win32") {
  // glibc's malloc keeps freed large buffers (decompressed chunks, big events) in its heap unless
  // they were mmap'ed: a 128 KiB mmap threshold returns them to the OS (about 27 MB less peak RSS
  // with long lines), and two arenas are plenty for one JavaScript thread plus libuv's.
  const env = { MALLOC_MMAP_THRESHOLD_: "131072", MALLOC_ARENA_MAX: "2", ...process.env };
  process.execve(process.execPath, [process.execPath, "--max-semi-space-size=8", ...process.execArgv, ...process.argv.slice(1)], env);
}

// Loading the CLI takes a moment. A SIGTERM/SIGINT in that moment (an orchestrator stopping a
// container that just started) is remembered instead of killing the process: `run` stops
// gracefully on it, other commands re-raise it (src/cli/earlySignals.ts).
const earlySignals = [];
const rememberSignal = (signal) => earlySignals.push(signal);
process.on("SIGTERM", rememberSignal);
process.on("SIGINT", rememberSignal);
globalThis.s3beatEarlySignals = {
  take() {
    process.off("SIGTERM", rememberSignal);
    process.off("SIGINT", rememberSignal);
    return earlySignals.splice(0);
  },
};

// The compiled build (npm run build, run by npm ci) saves the ~20 MB that type stripping costs. It
// is used only while it is newer than every source file, so an edit is never shadowed by a stale
// build; S3BEAT_FROM_SOURCE=1 forces the TypeScript sources (Node's type stripping).
const root = fileURLToPath(new URL("..", import.meta.url));
const stamp = `${root}/dist/.built`;

function newestSourceMtime(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    newest = Math.max(newest, e.isDirectory() ? newestSourceMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

function useBuild() {
  if (process.env.S3BEAT_FROM_SOURCE === "1" || !existsSync(stamp)) return false;
  const sources = ["src", "migrations"].map((d) => `${root}/${d}`).filter((d) => existsSync(d));
  if (sources.length === 0) return true;
  const built = statSync(stamp).mtimeMs;
  return sources.every((d) => built >= newestSourceMtime(d));
}

if (useBuild()) {
  await import("../dist/src/cli/main.js");
} else {
  if (!process.features.typescript) {
    process.stderr.write("s3beat: this Node.js cannot run TypeScript sources (type stripping is off); run `npm run build` first.\n");
    process.exit(2);
  }
  await import("../src/cli/main.ts");
}
