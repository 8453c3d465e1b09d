/*
 * fsprobe: a test command that does one filesystem or config operation through wasi-libc (which the
 * preview1 adapter turns into wasi:filesystem calls) and prints the outcome:
 *   cat PATH | write PATH BYTES | append PATH TEXT | ls DIR | mkdir DIR | rm PATH | rmdir DIR
 *   symlink TARGET PATH | stat PATH | config KEY | config-all | sleep SECONDS
 * (`sleep` keeps the container running, so tests can exec the other operations in it).
 * A failure prints `error: <strerror>` and exits 1.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONFIG "wasi:config/store@0.2.0-draft"
__attribute__((import_module(CONFIG), import_name("get"))) extern void config_get(int32_t p, int32_t l, int32_t ret);
__attribute__((import_module(CONFIG), import_name("get-all"))) extern void config_get_all(int32_t ret);

__attribute__((export_name("cabi_realloc")))
void *cabi_realloc(void *ptr, size_t old_size, size_t align, size_t new_size) {
  (void)old_size;
  if (new_size == 0) return (void *)align;
  void *p = realloc(ptr, new_size);
  if (!p) abort();
  return p;
}

static _Alignas(8) uint8_t ret[32];
#define U32(off) (*(uint32_t *)(ret + (off)))

static int fail(void) {
  printf("error: %s\n", strerror(errno));
  return 1;
}

static int cat(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) return fail();
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, n, stdout);
  int bad = ferror(f);
  fclose(f);
  return bad ? fail() : 0;
}

static int write_bytes(const char *path, long total) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return fail();
  char buf[4096];
  memset(buf, 'x', sizeof buf);
  long done = 0;
  while (done < total) {
    long want = total - done < (long)sizeof buf ? total - done : (long)sizeof buf;
    ssize_t n = write(fd, buf, (size_t)want);
    if (n < 0) {
      int e = errno;
      close(fd);
      printf("wrote %ld\n", done);
      errno = e;
      return fail();
    }
    done += n;
  }
  close(fd);
  printf("wrote %ld\n", done);
  return 0;
}

static int append(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0) return fail();
  ssize_t n = write(fd, text, strlen(text));
  close(fd);
  return n < 0 ? fail() : 0;
}

static int ls(const char *path) {
  DIR *d = opendir(path);
  if (!d) return fail();
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    printf("%s\n", e->d_name);
  }
  closedir(d);
  return 0;
}

static int stat_path(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) return fail();
  printf("%s %lld\n", S_ISDIR(st.st_mode) ? "dir" : S_ISREG(st.st_mode) ? "file" : "other", (long long)st.st_size);
  return 0;
}

static void put_string(uint32_t ptr, uint32_t len) {
  fwrite((const char *)(uintptr_t)ptr, 1, len, stdout);
  free((void *)(uintptr_t)ptr);
}

static int config(const char *key) {
  config_get((int32_t)(uintptr_t)key, (int32_t)strlen(key), (int32_t)(uintptr_t)ret);
  if (ret[0] != 0) { printf("error: config\n"); return 1; }
  if (ret[4] == 0) { printf("(none)\n"); return 0; }
  put_string(U32(8), U32(12));
  printf("\n");
  return 0;
}

static int config_all(void) {
  config_get_all((int32_t)(uintptr_t)ret);
  if (ret[0] != 0) { printf("error: config\n"); return 1; }
  uint32_t list = U32(4), n = U32(8);
  for (uint32_t i = 0; i < n; i++) {
    uint32_t *e = (uint32_t *)(uintptr_t)(list + i * 16);
    put_string(e[0], e[1]);
    printf("=");
    put_string(e[2], e[3]);
    printf("\n");
  }
  free((void *)(uintptr_t)list);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) { printf("usage: fsprobe OP ARGS\n"); return 2; }
  const char *op = argv[1];
  const char *a = argc > 2 ? argv[2] : "";
  const char *b = argc > 3 ? argv[3] : "";
  if (strcmp(op, "cat") == 0) return cat(a);
  if (strcmp(op, "write") == 0) return write_bytes(a, atol(b));
  if (strcmp(op, "append") == 0) return append(a, b);
  if (strcmp(op, "ls") == 0) return ls(a);
  if (strcmp(op, "mkdir") == 0) return mkdir(a, 0755) == 0 ? 0 : fail();
  if (strcmp(op, "rm") == 0) return unlink(a) == 0 ? 0 : fail();
  if (strcmp(op, "rmdir") == 0) return rmdir(a) == 0 ? 0 : fail();
  if (strcmp(op, "symlink") == 0) return symlink(a, b) == 0 ? 0 : fail();
  if (strcmp(op, "stat") == 0) return stat_path(a);
  if (strcmp(op, "config") == 0) return config(a);
  if (strcmp(op, "config-all") == 0) return config_all();
  if (strcmp(op, "sleep") == 0) return sleep((unsigned)atoi(a)) == 0 ? 0 : 1;
  printf("unknown op %s\n", op);
  return 2;
}
