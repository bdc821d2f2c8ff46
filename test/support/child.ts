import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

export const BIN = fileURLToPath(new URL("../../bin/s3beat.js", import.meta.url));

export interface Child {
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs the real CLI as a child process (the same Node as the tests). */
export function spawnS3beat(args: string[], env: NodeJS.ProcessEnv = {}): Child {
  // npm_command: the CLI spells its hints after it (`npx s3beat` under `npx vitest`); the tests expect
  // the plain clone spelling, `node bin/s3beat.js`, however the suite was started.
  const { npm_command: _ignored, ...inherited } = process.env;
  const proc = spawn(process.execPath, [BIN, ...args], { env: { ...inherited, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  proc.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on("exit", (code, signal) => resolve({ code, signal })));
  return { proc, stdout: () => out, stderr: () => err, exited };
}

/** The JSON log lines a child wrote to stderr. */
export function logLines(stderr: string): Record<string, unknown>[] {
  return stderr.split("\n").flatMap((l) => {
    try {
      return l.startsWith("{") ? [JSON.parse(l) as Record<string, unknown>] : [];
    } catch {
      return [];
    }
  });
}
