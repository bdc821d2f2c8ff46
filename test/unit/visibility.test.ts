import { describe, expect, it } from "vitest";
import { RECEIVE_VISIBILITY_MAX_SECONDS, extensionDelayMs, receiveVisibilitySeconds } from "../../src/pipeline/visibility.ts";

describe("receive visibility: short, so an aborted receive hides its messages briefly", () => {
  it.each([
    [300, 30],
    [30, 30],
    [4, 4],
    [43_200, 30],
  ])("visibilityTimeout %ss → a receive asks for %ss", (full, asked) => {
    expect(receiveVisibilitySeconds(full)).toBe(asked);
  });

  it("is capped at RECEIVE_VISIBILITY_MAX_SECONDS", () => expect(RECEIVE_VISIBILITY_MAX_SECONDS).toBe(30));
});

describe("extension schedule: the first before the receive's visibility runs out, then every half timeout", () => {
  it.each([
    [0, { visibilityTimeoutSeconds: 300, receiveVisibilitySeconds: 30 }, 15_000],
    [1, { visibilityTimeoutSeconds: 300, receiveVisibilitySeconds: 30 }, 150_000],
    [5, { visibilityTimeoutSeconds: 300, receiveVisibilitySeconds: 30 }, 150_000],
    [0, { visibilityTimeoutSeconds: 4, receiveVisibilitySeconds: 4 }, 2_000],
    [1, { visibilityTimeoutSeconds: 4, receiveVisibilitySeconds: 4 }, 2_000],
  ])("extension %i with %o after %i ms", (n, t, ms) => {
    expect(extensionDelayMs(n, t)).toBe(ms);
  });
});
