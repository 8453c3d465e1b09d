/*
 * config-reader-c: the config-reader example in C, with plain wasi-libc: it answers GET / with a
 * file of a mounted volume (fopen, which wasi-libc and the preview1 adapter turn into
 * wasi:filesystem calls on the pod's volumes, its preopens), an env value (getenv) and a key of
 * wasi:config/store (the pod's envFrom ConfigMaps and Secrets), as JSON:
 *   {"file":"/etc/config/greeting","content":"...","env":"LOG_LEVEL","envValue":"...",
 *    "key":"greeting","value":"..."}
 * CONFIG_FILE, CONFIG_ENV and CONFIG_KEY (env) choose them; GET /file?path=/x reads another file. The file is
 * opened afresh on every request, so an updated ConfigMap shows up without a restart. A file that
 * cannot be read answers 404 with {"file", "error": strerror}; a path outside every mount is one.
 *
 * Built by scripts/build-examples.mjs (clang for wasm32-wasi, `jco embed` + `jco new` with the
 * reactor adapter). The wasi:http glue is written by hand as in hello-c (no wit-bindgen offline).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMPORT(module, name) __attribute__((import_module(module), import_name(name)))
#define HTTP "wasi:http/types@0.2.12"
#define STREAMS "wasi:io/streams@0.2.12"

IMPORT(HTTP, "[method]incoming-request.method") extern void req_method(int32_t req, int32_t ret);
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

/* wasi:config/store get: func(key: string) -> result<option<string>, error>
 * (ret: result case u8 @0; option case u8 @4; string ptr @8, len @12) */
IMPORT("wasi:config/store@0.2.0-draft", "get") extern void config_get(int32_t ptr, int32_t len, int32_t ret);

/* Most bytes of a file it answers with: a bigger file is cut there ("truncated": true). */
#define MAX_FILE (64 * 1024)

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

/* A growing output buffer for the JSON answer. */
struct buf { char *p; size_t n, cap; };

static void put(struct buf *b, const char *s, size_t n) {
  if (b->n + n + 1 > b->cap) {
    b->cap = (b->n + n + 1) * 2;
    b->p = realloc(b->p, b->cap);
    if (!b->p) abort();
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = 0;
}
static void puts_(struct buf *b, const char *s) { put(b, s, strlen(s)); }

/* s[0..n) as a JSON string literal (null when s is NULL). */
static void put_json(struct buf *b, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  if (!s) { puts_(b, "null"); return; }
  puts_(b, "\"");
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
    if (c == '"' || c == '\\') { char e[2] = { '\\', (char)c }; put(b, e, 2); }
    else if (c < 0x20) put(b, esc, 6);
    else put(b, (const char *)&s[i], 1);
  }
  puts_(b, "\"");
}

/* Decodes %XX escapes of a query value in place. */
static void url_decode(char *s) {
  char *o = s;
  for (char *i = s; *i; i++) {
    if (*i == '%' && i[1] && i[2]) {
      char h[3] = { i[1], i[2], 0 };
      *o++ = (char)strtol(h, NULL, 16);
      i += 2;
    } else *o++ = *i == '+' ? ' ' : *i;
  }
  *o = 0;
}

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
  /* blocking-write-and-flush takes at most 4096 bytes a call. */
  for (size_t at = 0; at < len; at += 4096) {
    size_t n = len - at < 4096 ? len - at : 4096;
    stream_write(stream, PTR(body + at), (int32_t)n, RET);
  }
  stream_drop(stream);
  body_finish(out_body, 0, 0, RET);
}

/* Appends "file", and "content" or "error", for `path`; returns 0, or 404 when it cannot be read. */
static int read_into(struct buf *b, const char *path) {
  puts_(b, "\"file\":");
  put_json(b, path, strlen(path));
  FILE *f = fopen(path, "r");
  if (!f) {
    puts_(b, ",\"error\":");
    const char *e = strerror(errno);
    put_json(b, e, strlen(e));
    return 404;
  }
  char *data = malloc(MAX_FILE);
  size_t n = fread(data, 1, MAX_FILE, f);
  int truncated = n == MAX_FILE && fgetc(f) != EOF;
  int bad = ferror(f);
  fclose(f);
  if (bad) {
    free(data);
    puts_(b, ",\"error\":\"read error\"");
    return 404;
  }
  puts_(b, ",\"content\":");
  put_json(b, data, n);
  if (truncated) puts_(b, ",\"truncated\":true");
  free(data);
  return 0;
}

__attribute__((export_name("wasi:http/incoming-handler@0.2.12#handle")))
void handle(int32_t request, int32_t outparam) {
  req_method(request, RET);
  uint8_t method = ret[0];
  if (method == 9) free((void *)(uintptr_t)*(uint32_t *)(ret + 4)); /* other(string): ours to free */
  req_path(request, RET);
  char *target = NULL;
  if (ret[0] == 1) {
    uint32_t p = *(uint32_t *)(ret + 4), n = *(uint32_t *)(ret + 8);
    target = malloc(n + 1);
    memcpy(target, (void *)(uintptr_t)p, n);
    target[n] = 0;
    free((void *)(uintptr_t)p);
  }
  req_drop(request);
  if (method != 0 && method != 1) { /* get, head */
    static const char msg[] = "{\"error\":\"method not allowed\"}\n";
    respond(outparam, 405, msg, sizeof msg - 1);
    free(target);
    return;
  }
  struct buf b = { 0 };
  int status = 200;
  puts_(&b, "{");
  if (target && strncmp(target, "/file?path=", 11) == 0) {
    url_decode(target + 11);
    if (read_into(&b, target + 11)) status = 404;
  } else if (target && strcmp(target, "/") != 0 && strncmp(target, "/?", 2) != 0) {
    puts_(&b, "\"error\":\"no route; try / or /file?path=/etc/config/greeting\"");
    status = 404;
  } else {
    const char *file = getenv("CONFIG_FILE");
    if (read_into(&b, file && *file ? file : "/etc/config/greeting")) status = 404;
    const char *name = getenv("CONFIG_ENV");
    if (!name || !*name) name = "GREETING";
    const char *value = getenv(name);
    puts_(&b, ",\"env\":");
    put_json(&b, name, strlen(name));
    puts_(&b, ",\"envValue\":");
    put_json(&b, value, value ? strlen(value) : 0);
    const char *key = getenv("CONFIG_KEY");
    if (!key || !*key) key = "greeting";
    puts_(&b, ",\"key\":");
    put_json(&b, key, strlen(key));
    config_get(PTR(key), (int32_t)strlen(key), RET);
    if (ret[0] != 0) {
      puts_(&b, ",\"error\":\"wasi:config/store get failed\"");
      status = 500;
    } else if (ret[4] == 0) puts_(&b, ",\"value\":null");
    else {
      char *v = (char *)(uintptr_t)*(uint32_t *)(ret + 8);
      puts_(&b, ",\"value\":");
      put_json(&b, v, *(uint32_t *)(ret + 12));
      free(v);
    }
  }
  puts_(&b, "}\n");
  respond(outparam, status, b.p, b.n);
  free(b.p);
  free(target);
}
