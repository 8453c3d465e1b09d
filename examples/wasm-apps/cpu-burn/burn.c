/*
 * cpu-burn: an HTTP component that burns CPU per request, for CPU-based autoscaling (issue 16).
 *   GET /?work=N   runs N million rounds of an xorshift loop (N at most 1000; default 1), then answers
 *                  200 {"work":N,"result":X}; X depends on every round, so nothing is optimised away.
 * Built as hello-c is (clang wasm32-wasi + jco embed/new); the canonical-ABI glue is written by hand
 * (see hello-c/hello.c for how the flat signatures are derived).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define IMPORT(module, name) __attribute__((import_module(module), import_name(name)))
#define HTTP "wasi:http/types@0.2.12"
#define STREAMS "wasi:io/streams@0.2.12"

/* incoming-request.path-with-query: func() -> option<string>  (ret: case u8 @0, ptr @4, len @8) */
IMPORT(HTTP, "[method]incoming-request.path-with-query") extern void req_path(int32_t req, int32_t ret);
IMPORT(HTTP, "[resource-drop]incoming-request") extern void req_drop(int32_t req);
IMPORT(HTTP, "[static]fields.from-list") extern void fields_from_list(int32_t ptr, int32_t len, int32_t ret);
IMPORT(HTTP, "[constructor]outgoing-response") extern int32_t resp_new(int32_t fields);
IMPORT(HTTP, "[method]outgoing-response.set-status-code") extern int32_t resp_set_status(int32_t resp, int32_t status);
IMPORT(HTTP, "[method]outgoing-response.body") extern void resp_body(int32_t resp, int32_t ret);
IMPORT(HTTP, "[static]response-outparam.set")
extern void outparam_set(int32_t param, int32_t is_err, int32_t val, int32_t p1, int64_t p2, int32_t p3, int32_t p4, int32_t p5, int32_t p6);
IMPORT(HTTP, "[method]outgoing-body.write") extern void body_write(int32_t body, int32_t ret);
IMPORT(HTTP, "[static]outgoing-body.finish") extern void body_finish(int32_t body, int32_t has_trailers, int32_t trailers, int32_t ret);
IMPORT(STREAMS, "[method]output-stream.blocking-write-and-flush") extern void stream_write(int32_t s, int32_t ptr, int32_t len, int32_t ret);
IMPORT(STREAMS, "[resource-drop]output-stream") extern void stream_drop(int32_t s);

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
#define PTR(p) ((int32_t)(uintptr_t)(p))

static void respond(int32_t outparam, int status, const char *body, size_t len) {
  static const char type[] = "application/json";
  uint32_t header[4] = { (uint32_t)PTR("content-type"), 12, (uint32_t)PTR(type), sizeof type - 1 };
  fields_from_list(PTR(header), 1, RET);
  int32_t resp = resp_new(*(int32_t *)(ret + 4));
  resp_set_status(resp, status);
  resp_body(resp, RET);
  int32_t out_body = *(int32_t *)(ret + 4);
  outparam_set(outparam, 0, resp, 0, 0, 0, 0, 0, 0);
  body_write(out_body, RET);
  int32_t stream = *(int32_t *)(ret + 4);
  stream_write(stream, PTR(body), (int32_t)len, RET);
  stream_drop(stream);
  body_finish(out_body, 0, 0, RET);
}

/* N of `work=N` in the query of s[0..n), clamped to [0, 1000]; 1 when absent. */
static unsigned work_of(const char *s, size_t n) {
  for (size_t i = 0; i + 5 <= n; i++) {
    if (memcmp(s + i, "work=", 5) != 0 || (i > 0 && s[i - 1] != '?' && s[i - 1] != '&')) continue;
    unsigned v = 0;
    for (size_t j = i + 5; j < n && s[j] >= '0' && s[j] <= '9' && v <= 1000; j++) v = v * 10 + (unsigned)(s[j] - '0');
    return v > 1000 ? 1000 : v;
  }
  return 1;
}

static char *put_u64(char *o, uint64_t v) {
  char num[24], *p = num + sizeof num;
  *--p = 0;
  do { *--p = (char)('0' + v % 10); v /= 10; } while (v);
  return stpcpy(o, p);
}

__attribute__((export_name("wasi:http/incoming-handler@0.2.12#handle")))
void handle(int32_t request, int32_t outparam) {
  req_path(request, RET);
  unsigned work = 1;
  if (ret[0] == 1) {
    char *path = (char *)(uintptr_t)*(uint32_t *)(ret + 4);
    work = work_of(path, *(uint32_t *)(ret + 8));
    free(path);
  }
  req_drop(request);
  uint64_t x = 88172645463325252ull;
  for (uint64_t i = 0; i < (uint64_t)work * 1000000u; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
  }
  char doc[96], *d = stpcpy(doc, "{\"work\":");
  d = put_u64(d, work);
  d = stpcpy(d, ",\"result\":");
  d = put_u64(d, x);
  d = stpcpy(d, "}\n");
  respond(outparam, 200, doc, (size_t)(d - doc));
}
