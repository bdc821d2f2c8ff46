/** The beat's identity, as LogRhythm beats name themselves: configured here, carried by every event and heartbeat. */

/** The beat's name when neither FullyQualifiedBeatName nor beatIdentifier is given. */
export const BEAT_NAME = "s3beat";

/** `beatIdentifier`: what may follow `s3beat_` in the beat's name. */
export const BEAT_IDENTIFIER_RE = /^[A-Za-z0-9_-]{1,12}$/;

/**
 * The fully qualified beat name, on every event and heartbeat: the `FullyQualifiedBeatName`
 * environment variable as given when set (the LogRhythm beats' convention), else
 * `s3beat_<beatIdentifier>` when an identifier is configured, else `s3beat`.
 */
export function fullyQualifiedBeatName(beatIdentifier: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.FullyQualifiedBeatName;
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  return beatIdentifier ? `${BEAT_NAME}_${beatIdentifier}` : BEAT_NAME;
}
