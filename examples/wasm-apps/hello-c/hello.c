/*
 * hello-c: the `hello` example in C, to measure the host's cost apart from the JavaScript engine's.
 * Answers GET (and HEAD) with {"message":"hello from Edgeplane","pod":POD_NAME,"node":NODE_NAME},
 * anything else with 405; logs its first request and every 1000th to stdout, as hello does.
 *
 * Built by scripts/build-examples.mjs with clang (wasm32-wasi, wasi-libc for malloc and strings) and
 * `jco embed` + `jco new`. There is no wit-bindgen offline, so the canonical-ABI glue is written by
 * hand below: each import is the flat core signature of its WIT function (results that do not fit
 * in one value are written at a return pointer), and handles are plain i32s.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define IMPORT(module, name) __attribute__((import_module(module), import_name(name)))
#define HTTP "wasi:http/types@0.2.12"
#define STREAMS "wasi:io/streams@0.2.12"

/* get-environment: func() -> list<tuple<string, string>>  (ret: ptr, len) */
IMPORT("wasi:cli/environment@0.2.12", "get-environment") extern void env_get(int32_t ret);
/* incoming-request.method: func() -> method  (ret: case u8 @0, other's string @4) */
IMPORT(HTTP, "[method]incoming-request.method") extern void req_method(int32_t req, int32_t ret);
IMPORT(HTTP, "[resource-drop]incoming-request") extern void req_drop(int32_t req);
/* fields.from-list: static func(list<tuple<string, list<u8>>>) -> result<fields, header-error> */
IMPORT(HTTP, "[static]fields.from-list") extern void fields_from_list(int32_t ptr, int32_t len, int32_t ret);
IMPORT(HTTP, "[constructor]outgoing-response") extern int32_t resp_new(int32_t fields);
IMPORT(HTTP, "[method]outgoing-response.set-status-code") extern int32_t resp_set_status(int32_t resp, int32_t status);
/* outgoing-response.body: func() -> result<outgoing-body>  (ret: case @0, handle @4) */
IMPORT(HTTP, "[method]outgoing-response.body") extern void resp_body(int32_t resp, int32_t ret);
/* response-outparam.set: static func(param, result<outgoing-response, error-code>): the result is
 * flattened to a case and the joined error-code payload (i32 i32 i64 i32 i32 i32 i32). */
IMPORT(HTTP, "[static]response-outparam.set")
extern void outparam_set(int32_t param, int32_t is_err, int32_t val, int32_t p1, int64_t p2, int32_t p3, int32_t p4, int32_t p5, int32_t p6);
IMPORT(HTTP, "[method]outgoing-body.write") extern void body_write(int32_t body, int32_t ret);
/* outgoing-body.finish: static func(this, option<trailers>) -> result<_, error-code> */
IMPORT(HTTP, "[static]outgoing-body.finish") extern void body_finish(int32_t body, int32_t has_trailers, int32_t trailers, int32_t ret);
/* output-stream.blocking-write-and-flush: func(list<u8>) -> result<_, stream-error> */
IMPORT(STREAMS, "[method]output-stream.blocking-write-and-flush") extern void stream_write(int32_t s, int32_t ptr, int32_t len, int32_t ret);
IMPORT(STREAMS, "[resource-drop]output-stream") extern void stream_drop(int32_t s);
IMPORT("wasi:cli/stdout@0.2.12", "get-stdout") extern int32_t get_stdout(void);

/* The host allocates returned lists and strings in our memory through this export. */
__attribute__((export_name("cabi_realloc")))
void *cabi_realloc(void *ptr, size_t old_size, size_t align, size_t new_size) {
  (void)old_size;
  if (new_size == 0) return (void *)align;
  void *p = realloc(ptr, new_size);
  if (!p) abort();
  return p;
}

/* Return area shared by every import call (the component is single-threaded). */
static _Alignas(8) uint8_t ret[64];
#define RET ((int32_t)(uintptr_t)ret)
#define PTR(p) ((int32_t)(uintptr_t)(p))

static char *pod_json, *node_json, *pod_raw, *node_raw;
static unsigned long served;

/* A NUL-terminated copy of s[0..n), or "null" when the variable is unset (as hello logs it). */
static char *copy_of(const char *s, size_t n) {
  if (!s) return strdup("null");
  char *out = malloc(n + 1);
  memcpy(out, s, n);
  out[n] = 0;
  return out;
}

/* A JSON string literal for s[0..n), or null when the variable is unset. */
static char *json_string(const char *s, size_t n) {
  if (!s) return strdup("null");
  static const char hex[] = "0123456789abcdef";
  char *out = malloc(n * 6 + 3), *o = out;
  *o++ = '"';
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') { *o++ = '\\'; *o++ = (char)c; }
    else if (c < 0x20) { *o++ = '\\'; *o++ = 'u'; *o++ = '0'; *o++ = '0'; *o++ = hex[c >> 4]; *o++ = hex[c & 15]; }
    else *o++ = (char)c;
  }
  *o++ = '"';
  *o = 0;
  return out;
}

/* POD_NAME and NODE_NAME, read once: an instance's environment does not change. */
static void load_env(void) {
  env_get(RET);
  uint32_t *list = (uint32_t *)(uintptr_t)*(uint32_t *)ret, n = *(uint32_t *)(ret + 4);
  const char *pod = 0, *node = 0;
  size_t pod_n = 0, node_n = 0;
  for (uint32_t i = 0; i < n; i++) {
    const char *k = (const char *)(uintptr_t)list[i * 4], *v = (const char *)(uintptr_t)list[i * 4 + 2];
    uint32_t kn = list[i * 4 + 1], vn = list[i * 4 + 3];
    if (kn == 8 && !memcmp(k, "POD_NAME", 8)) { pod = v; pod_n = vn; }
    if (kn == 9 && !memcmp(k, "NODE_NAME", 9)) { node = v; node_n = vn; }
  }
  pod_json = json_string(pod, pod_n);
  node_json = json_string(node, node_n);
  pod_raw = copy_of(pod, pod_n);
  node_raw = copy_of(node, node_n);
  for (uint32_t i = 0; i < n; i++) { free((void *)(uintptr_t)list[i * 4]); free((void *)(uintptr_t)list[i * 4 + 2]); }
  free(list);
}

static void log_line(const char *text, size_t len) {
  int32_t out = get_stdout();
  stream_write(out, PTR(text), (int32_t)len, RET);
  stream_drop(out);
}

static void respond(int32_t outparam, int status, const char *type, const char *body, size_t len) {
  uint32_t header[4] = { (uint32_t)PTR("content-type"), 12, (uint32_t)PTR(type), (uint32_t)strlen(type) };
  fields_from_list(PTR(header), 1, RET);
  int32_t fields = *(int32_t *)(ret + 4);
  int32_t resp = resp_new(fields);
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

__attribute__((export_name("wasi:http/incoming-handler@0.2.12#handle")))
void handle(int32_t request, int32_t outparam) {
  req_method(request, RET);
  uint8_t method = ret[0];
  if (method == 9) free((void *)(uintptr_t)*(uint32_t *)(ret + 4)); /* other(string): ours to free */
  req_drop(request);
  if (method != 0 && method != 1) { /* get, head */
    static const char msg[] = "method not allowed\n";
    respond(outparam, 405, "text/plain", msg, sizeof msg - 1);
    return;
  }
  if (!pod_json) load_env();
  served++;
  static char fixed[1024];
  size_t need = strlen(pod_json) + strlen(node_json) + 64;
  char *doc = need <= sizeof fixed ? fixed : malloc(need), *d = doc;
  d = stpcpy(d, "{\"message\":\"hello from Edgeplane\",\"pod\":");
  d = stpcpy(d, pod_json);
  d = stpcpy(d, ",\"node\":");
  d = stpcpy(d, node_json);
  d = stpcpy(d, "}\n");
  respond(outparam, 200, "application/json", doc, (size_t)(d - doc));
  if (served == 1 || served % 1000 == 0) {
    char line[1200];
    char *l = stpcpy(line, "hello-c: ");
    if (strlen(pod_raw) + strlen(node_raw) < 1000) {
      l = stpcpy(l, pod_raw); l = stpcpy(l, " on "); l = stpcpy(l, node_raw);
      l = stpcpy(l, " has served ");
      char num[24], *p = num + sizeof num;
      *--p = 0;
      unsigned long v = served;
      do { *--p = (char)('0' + v % 10); v /= 10; } while (v);
      l = stpcpy(l, p);
      l = stpcpy(l, " request(s)\n");
      log_line(line, (size_t)(l - line));
    }
  }
  if (doc != fixed) free(doc);
}
