/** Exit code reported for a guest killed by the runtime (as for SIGKILL: 128 + 9); also OOMKilled. */
export const KILLED_EXIT_CODE = 137;
