/*
 * memhog: a test component for memory limits. `GET /?mb=N` allocates N more MiB (1 MiB at a time,
 * touched, never freed) and answers how much it holds; an allocation that fails aborts (a trap), as
 * an out-of-memory C program would. Same hand-written canonical-ABI glue as examples/wasm-apps/hello-c.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define IMPORT(module, name) __attribute__((import_module(module), import_name(name)))
#define HTTP "wasi:http/types@0.2.12"

IMPORT(HTTP, "[method]incoming-request.path-with-query") extern void req_path(int32_t req, int32_t ret);
IMPORT(HTTP, "[resource-drop]incoming-request") extern void req_drop(int32_t req);
IMPORT(HTTP, "[constructor]fields") extern int32_t fields_new(void);
IMPORT(HTTP, "[constructor]outgoing-response") extern int32_t resp_new(int32_t fields);
IMPORT(HTTP, "[method]outgoing-response.body") extern void resp_body(int32_t resp, int32_t ret);
IMPORT(HTTP, "[static]response-outparam.set")
extern void outparam_set(int32_t param, int32_t is_err, int32_t val, int32_t p1, int64_t p2, int32_t p3, int32_t p4, int32_t p5, int32_t p6);
IMPORT(HTTP, "[method]outgoing-body.write") extern void body_write(int32_t body, int32_t ret);
IMPORT(HTTP, "[static]outgoing-body.finish") extern void body_finish(int32_t body, int32_t has_trailers, int32_t trailers, int32_t ret);
IMPORT("wasi:io/streams@0.2.12", "[method]output-stream.blocking-write-and-flush") extern void stream_write(int32_t s, int32_t ptr, int32_t len, int32_t ret);
IMPORT("wasi:io/streams@0.2.12", "[resource-drop]output-stream") extern void stream_drop(int32_t s);

__attribute__((export_name("cabi_realloc")))
void *cabi_realloc(void *ptr, size_t old_size, size_t align, size_t new_size) {
  (void)old_size;
  if (new_size == 0) return (void *)align;
  void *p = realloc(ptr, new_size);
  if (!p) abort();
  return p;
}

static _Alignas(8) uint8_t ret[64];
#define RET ((int32_t)(uintptr_t)ret)
static unsigned long held_mb;
/* The chunks escape into this table (and are read back below), so the compiler cannot drop them. */
static char *held[4096];
static volatile unsigned char sink;

__attribute__((export_name("wasi:http/incoming-handler@0.2.12#handle")))
void handle(int32_t request, int32_t outparam) {
  req_path(request, RET);
  unsigned long want = 0;
  if (ret[0] == 1) {
    char *path = (char *)(uintptr_t)*(uint32_t *)(ret + 4);
    uint32_t len = *(uint32_t *)(ret + 8);
    for (uint32_t i = 0; i + 3 <= len; i++) {
      if (memcmp(path + i, "mb=", 3) == 0) {
        for (uint32_t j = i + 3; j < len && path[j] >= '0' && path[j] <= '9'; j++) want = want * 10 + (unsigned long)(path[j] - '0');
        break;
      }
    }
    free(path);
  }
  req_drop(request);
  for (unsigned long i = 0; i < want && held_mb < 4096; i++) {
    char *chunk = malloc(1 << 20);
    if (!chunk) abort();
    memset(chunk, (int)held_mb, 1 << 20);
    held[held_mb++] = chunk;
  }
  for (unsigned long i = 0; i < held_mb; i++) sink ^= (unsigned char)held[i][(i * 4099) & ((1 << 20) - 1)];
  char body[64], *b = body + sizeof body;
  *--b = '\n';
  unsigned long v = held_mb;
  do { *--b = (char)('0' + v % 10); v /= 10; } while (v);
  int32_t resp = resp_new(fields_new());
  resp_body(resp, RET);
  int32_t out_body = *(int32_t *)(ret + 4);
  outparam_set(outparam, 0, resp, 0, 0, 0, 0, 0, 0);
  body_write(out_body, RET);
  int32_t stream = *(int32_t *)(ret + 4);
  stream_write(stream, (int32_t)(uintptr_t)b, (int32_t)(body + sizeof body - b), RET);
  stream_drop(stream);
  body_finish(out_body, 0, 0, RET);
}
