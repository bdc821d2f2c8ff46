/** s3beat's exit codes (DESIGN §1). */
export const EXIT = {
  ok: 0,
  /** Runtime failure: a queue that cannot be used, a crash, a forced shutdown. */
  failure: 1,
  /** Bad usage or an invalid config. */
  usage: 2,
} as const;
