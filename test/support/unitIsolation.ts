/**
 * Setup file of the unit project, which runs its files one after another in one worker (no
 * isolation): a file that leaves fake timers behind would make the next file's real waits hang
 * until their timeout. This fails that file at once, with the likely cause, instead.
 */
import { beforeAll, vi } from "vitest";

const leftFake = () => vi.isFakeTimers() || "clock" in (globalThis.setTimeout as object);

beforeAll(() => {
  if (leftFake())
    throw new Error(
      "fake timers are installed before this file's tests ran: a unit test file run earlier left them (a vi.spyOn on a global taken under fake timers is restored again when the next file starts)",
    );
});
