/*
 * echo: a test component that answers 201 with what it received, one line each (method, path,
 * scheme, authority, every header, the body), plus `x-echo-method` and two `set-cookie` headers.
 * It exercises the host's request side of wasi:http (fields.entries, consume, streams) with the
 * same hand-written canonical-ABI glue as examples/wasm-apps/hello-c.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define IMPORT(module, name) __attribute__((import_module(module), import_name(name)))
#define HTTP "wasi:http/types@0.2.12"
#define STREAMS "wasi:io/streams@0.2.12"

IMPORT(HTTP, "[method]incoming-request.method") extern void req_method(int32_t req, int32_t ret);
IMPORT(HTTP, "[method]incoming-request.path-with-query") extern void req_path(int32_t req, int32_t ret);
IMPORT(HTTP, "[method]incoming-request.scheme") extern void req_scheme(int32_t req, int32_t ret);
IMPORT(HTTP, "[method]incoming-request.authority") extern void req_authority(int32_t req, int32_t ret);
IMPORT(HTTP, "[method]incoming-request.headers") extern int32_t req_headers(int32_t req);
IMPORT(HTTP, "[method]incoming-request.consume") extern void req_consume(int32_t req, int32_t ret);
IMPORT(HTTP, "[resource-drop]incoming-request") extern void req_drop(int32_t req);
IMPORT(HTTP, "[method]fields.entries") extern void fields_entries(int32_t f, int32_t ret);
IMPORT(HTTP, "[resource-drop]fields") extern void fields_drop(int32_t f);
IMPORT(HTTP, "[constructor]fields") extern int32_t fields_new(void);
IMPORT(HTTP, "[method]fields.append") extern void fields_append(int32_t f, int32_t np, int32_t nl, int32_t vp, int32_t vl, int32_t ret);
IMPORT(HTTP, "[method]incoming-body.stream") extern void body_stream(int32_t body, int32_t ret);
IMPORT(HTTP, "[static]incoming-body.finish") extern int32_t body_finish_in(int32_t body);
IMPORT(HTTP, "[resource-drop]future-trailers") extern void trailers_drop(int32_t t);
IMPORT(STREAMS, "[method]input-stream.blocking-read") extern void stream_read(int32_t s, int64_t len, int32_t ret);
IMPORT(STREAMS, "[resource-drop]input-stream") extern void in_drop(int32_t s);
IMPORT(HTTP, "[constructor]outgoing-response") extern int32_t resp_new(int32_t fields);
IMPORT(HTTP, "[method]outgoing-response.set-status-code") extern int32_t resp_set_status(int32_t resp, int32_t status);
IMPORT(HTTP, "[method]outgoing-response.body") extern void resp_body(int32_t resp, int32_t ret);
IMPORT(HTTP, "[static]response-outparam.set")
extern void outparam_set(int32_t param, int32_t is_err, int32_t val, int32_t p1, int64_t p2, int32_t p3, int32_t p4, int32_t p5, int32_t p6);
IMPORT(HTTP, "[method]outgoing-body.write") extern void body_write(int32_t body, int32_t ret);
IMPORT(HTTP, "[static]outgoing-body.finish") extern void body_finish(int32_t body, int32_t has_trailers, int32_t trailers, int32_t ret);
IMPORT(STREAMS, "[method]output-stream.blocking-write-and-flush") extern void stream_write(int32_t s, int32_t ptr, int32_t len, int32_t ret);
IMPORT(STREAMS, "[resource-drop]output-stream") extern void out_drop(int32_t s);

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
#define U32(off) (*(uint32_t *)(ret + (off)))

static char *out;
static size_t out_len, out_cap;

static void put(const char *s, size_t n) {
  if (out_len + n > out_cap) { out_cap = (out_len + n) * 2 + 256; out = realloc(out, out_cap); }
  memcpy(out + out_len, s, n);
  out_len += n;
}
static void puts_(const char *s) { put(s, strlen(s)); }
static void put_owned(uint32_t ptr, uint32_t len) { put((const char *)(uintptr_t)ptr, len); free((void *)(uintptr_t)ptr); }

static const char *METHODS[] = { "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH" };

static void append_header(int32_t fields, const char *name, const char *value) {
  fields_append(fields, (int32_t)(uintptr_t)name, (int32_t)strlen(name), (int32_t)(uintptr_t)value, (int32_t)strlen(value), RET);
}

__attribute__((export_name("wasi:http/incoming-handler@0.2.12#handle")))
void handle(int32_t request, int32_t outparam) {
  out_len = 0;
  char method[32] = "";
  req_method(request, RET);
  puts_("method: ");
  if (ret[0] == 9) {
    uint32_t p = U32(4), n = U32(8);
    memcpy(method, (void *)(uintptr_t)p, n < 31 ? n : 31);
    put_owned(p, n);
  } else {
    strcpy(method, METHODS[ret[0]]);
    puts_(method);
  }
  puts_("\npath: ");
  req_path(request, RET);
  if (ret[0]) put_owned(U32(4), U32(8)); else puts_("(none)");
  puts_("\nscheme: ");
  req_scheme(request, RET);
  if (!ret[0]) puts_("(none)");
  else if (ret[4] == 0) puts_("http");
  else if (ret[4] == 1) puts_("https");
  else put_owned(U32(8), U32(12));
  puts_("\nauthority: ");
  req_authority(request, RET);
  if (ret[0]) put_owned(U32(4), U32(8)); else puts_("(none)");
  puts_("\n");
  int32_t headers = req_headers(request);
  fields_entries(headers, RET);
  uint32_t *list = (uint32_t *)(uintptr_t)U32(0), count = U32(4);
  for (uint32_t i = 0; i < count; i++) {
    puts_("h: ");
    put_owned(list[i * 4], list[i * 4 + 1]);
    puts_("=");
    put_owned(list[i * 4 + 2], list[i * 4 + 3]);
    puts_("\n");
  }
  free(list);
  fields_drop(headers);
  puts_("body: ");
  req_consume(request, RET);
  if (ret[0] == 0) {
    int32_t body = (int32_t)U32(4);
    body_stream(body, RET);
    int32_t in = (int32_t)U32(4);
    for (;;) {
      stream_read(in, 4096, RET);
      if (ret[0] != 0) break; /* closed */
      put_owned(U32(4), U32(8));
    }
    in_drop(in);
    trailers_drop(body_finish_in(body));
  }
  req_drop(request);
  puts_("\n");

  int32_t fields = fields_new();
  append_header(fields, "content-type", "text/plain");
  append_header(fields, "x-echo-method", method);
  append_header(fields, "set-cookie", "a=1");
  append_header(fields, "set-cookie", "b=2");
  int32_t resp = resp_new(fields);
  resp_set_status(resp, 201);
  resp_body(resp, RET);
  int32_t out_body = (int32_t)U32(4);
  outparam_set(outparam, 0, resp, 0, 0, 0, 0, 0, 0);
  body_write(out_body, RET);
  int32_t stream = (int32_t)U32(4);
  /* Two writes: the host must join them. */
  size_t half = out_len / 2;
  stream_write(stream, (int32_t)(uintptr_t)out, (int32_t)half, RET);
  stream_write(stream, (int32_t)(uintptr_t)(out + half), (int32_t)(out_len - half), RET);
  out_drop(stream);
  body_finish(out_body, 0, 0, RET);
}
