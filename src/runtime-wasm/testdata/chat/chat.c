/*
 * chat: an interactive test command (wasi-libc; the preview1 adapter turns its stdio into
 * wasi:cli/stdin and stdout). Run as `chat [fail]` it reads stdin a line at a time and answers
 * each at once with `got <line>` (flushed: stdout is a pipe, not a terminal, so libc would buffer
 * it); at the end of stdin it prints `bye after N lines` to stderr and exits 0, or 1 with `fail`
 * (the preview1 adapter turns any non-zero exit into wasi:cli/exit's error, which is 1).
 * Under any other argv[0] (a container's own command) it sleeps an hour: a container that stays
 * running, for exec.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 1 || strcmp(argv[0], "chat") != 0) {
    sleep(3600);
    return 0;
  }
  char line[4096];
  unsigned long n = 0;
  while (fgets(line, sizeof line, stdin)) {
    n++;
    printf("got %s", line);
    fflush(stdout);
  }
  fprintf(stderr, "bye after %lu lines\n", n);
  return argc > 1 && strcmp(argv[1], "fail") == 0 ? 1 : 0;
}
