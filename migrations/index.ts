/**
 * Every config migration, in order. Add a file `NNN-name.ts` exporting `version`, `description` and
 * a pure `migrate`, and list it here: its version must be the previous one plus 1.
 */
import type { Migration } from "../src/migrate/types.ts";
import * as assumeRole from "./001-assume-role.ts";

export const MIGRATIONS: readonly Migration[] = [assumeRole];

/** The configVersion of a file that has every migration applied. */
export const CURRENT_CONFIG_VERSION: number = MIGRATIONS.at(-1)?.version ?? 0;
