/** The errors of parsing `edge-node`'s flags (the CLI exits 2 on the first, 0 on the second). */

/** A flag is missing or malformed. */
export class OptionsError extends Error {}

/** Help was printed (`--help`, `--version`): exit 0 without running. */
export class HelpShown extends Error {}
