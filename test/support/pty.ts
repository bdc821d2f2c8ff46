/**
 * Runs the real CLI on a pseudo-terminal without native modules: util-linux `script` allocates the pty
 * and relays our pipes to it. Output is read with ANSI sequences stripped; `expect` waits for text on
 * that screen (with a timeout that prints what was on it) and `send` types a line.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { stripVTControlCharacters } from "node:util";
import { BIN } from "./child.ts";

const SCRIPT = "/usr/bin/script";

/** Keys as a terminal sends them. */
export const KEY = { enter: "\r", up: "\x1b[A", down: "\x1b[B", clearLine: "\x15", ctrlC: "\x03" } as const;

export interface Pty {
  /** Waits until `pattern` appears after the previous match; resolves to the matched text. */
  expect(pattern: string | RegExp, timeoutMs?: number): Promise<string>;
  /** Types `text` and Enter. */
  send(text: string): void;
  /** Writes raw key bytes (see {@link KEY}). */
  keys(bytes: string): void;
  /** Everything shown so far, ANSI-stripped. */
  screen(): string;
  /** Everything shown so far, exactly as the terminal received it (escape sequences included). */
  raw(): string;
  /**
   * Sends `sig` to the command itself (the child of `script`; Linux /proc), not to `script`: on a
   * SIGTERM `script` stops relaying output and SIGKILLs the command two seconds later.
   */
  signal(sig: NodeJS.Signals): void;
  exited: Promise<number | null>;
  kill(): void;
}

/** Whether this machine can run {@link spawnPty} (util-linux `script`). */
export const ptyAvailable = existsSync(SCRIPT);

const shellQuote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/** Starts `s3beat ARGS` (the same Node as the tests) on a fresh 250x50 pseudo-terminal (wide, so answers do not wrap); stdout and stderr both show on it. */
export function spawnPty(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Pty {
  const command = [process.execPath, BIN, ...args].map(shellQuote).join(" ");
  // -q quiet, -f flush every write, -e pass the child's exit code on, -c the command; no typescript file.
  const proc = spawn(SCRIPT, ["-qfec", `stty cols 250 rows 50; exec ${command}`, "/dev/null"], {
    cwd: opts.cwd,
    // An undefined value removes the variable (e.g. credentials the test runner happens to have).
    env: Object.fromEntries(Object.entries({ ...process.env, npm_command: undefined, TERM: "xterm-256color", ...opts.env }).filter(([, v]) => v !== undefined)),
    stdio: ["pipe", "pipe", "pipe"],
  });
  let raw = "";
  let consumed = 0;
  const waiters = new Set<() => void>();
  const onData = (d: Buffer) => {
    raw += d.toString("utf8");
    for (const w of waiters) w();
  };
  proc.stdout.on("data", onData);
  proc.stderr.on("data", onData);
  const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => (waiters.forEach((w) => w()), resolve(code))));
  let done = false;
  void exited.then(() => (done = true));
  const screen = () => stripVTControlCharacters(raw);

  const find = (pattern: string | RegExp): { index: number; text: string } | undefined => {
    const rest = screen().slice(consumed);
    if (typeof pattern === "string") {
      const i = rest.indexOf(pattern);
      return i < 0 ? undefined : { index: consumed + i, text: pattern };
    }
    const m = new RegExp(pattern.source, pattern.flags.replace("g", "")).exec(rest);
    return m ? { index: consumed + m.index, text: m[0] } : undefined;
  };

  const expect = (pattern: string | RegExp, timeoutMs = 15_000) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const hit = find(pattern);
        if (hit) {
          cleanup();
          consumed = hit.index + hit.text.length;
          resolve(hit.text);
        } else if (done) {
          cleanup();
          reject(new Error(`the process exited before ${String(pattern)} appeared. Screen:\n${screen().slice(-3000)}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(`timed out after ${timeoutMs} ms waiting for ${String(pattern)}. Screen after the last match:\n${screen().slice(consumed).slice(-3000)}`),
        );
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });

  return {
    expect,
    send: (text) => proc.stdin.write(`${text}${KEY.enter}`),
    keys: (bytes) => proc.stdin.write(bytes),
    screen,
    raw: () => raw,
    signal: (sig) => {
      const pid = proc.pid;
      if (pid === undefined || done) return;
      const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").split(/\s+/).filter(Boolean);
      if (children.length === 0) throw new Error(`script (pid ${pid}) runs no command to signal`);
      for (const child of children) process.kill(Number(child), sig);
    },
    exited,
    kill: () => proc.kill("SIGKILL"),
  };
}
