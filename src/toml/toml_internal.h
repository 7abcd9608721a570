/*
 * toml_internal.h — layouts and helpers shared by the toml room's files.
 *
 *   toml_tree.c   nodes, tables (ordered, hashed), arrays, the public getters
 *   toml_scan.c   the cursor, UTF-8 validation, whitespace/comments, and the
 *                 scalar scanners (strings, keys, numbers, dates and times)
 *   toml_parse.c  the document grammar, table/key definition rules and the
 *                 public parse entry points
 *
 * Nothing here is part of the public API (include/lrsweep/toml.h).
 */
#ifndef LRSWEEP_TOML_INTERNAL_H
#define LRSWEEP_TOML_INTERNAL_H

#include "lrsweep/toml.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Deepest container nesting accepted (arrays, inline tables and tables, all
 * counted alike).  Parsing and every tree walk recurse at most this deep, so
 * hostile input such as 100000 '[' cannot exhaust the stack. */
#define LRS__TOML_MAX_DEPTH 512u

/* How a table or array came to exist; decides what may extend it later. */
enum {
  LRS__TOML_IMPLICIT = 1u << 0, /* table: an intermediate of a [a.b] header */
  LRS__TOML_HEADER = 1u << 1,   /* table: defined by its own [header] */
  LRS__TOML_DOTTED = 1u << 2,   /* table: created by a dotted key a.b = v */
  LRS__TOML_INLINE = 1u << 3,   /* table: { inline }, closed once written */
  LRS__TOML_AOT = 1u << 4       /* array: made by [[header]], may grow */
};

/* One key of a table.  `key` is NUL-terminated but may hold earlier NULs. */
typedef struct {
  char *key;
  size_t len;
  int line, col; /* where the key was written, for "first defined at" */
  lrs_toml_node *value;
} lrs__toml_entry;

struct lrs_toml_node {
  lrs_toml_node *next_alloc; /* the document's list of every node */
  lrs_toml_type type;
  int line, col;
  unsigned depth; /* root is 0; a child is its parent's depth + 1 */
  unsigned flags; /* LRS__TOML_* */
  union {
    struct {
      lrs__toml_entry *entries;
      size_t count, cap;
      size_t *slots; /* open-addressing index: entry number + 1, 0 = empty */
      size_t nslots; /* 0 while the table is small enough to scan */
    } table;
    struct {
      lrs_toml_node **items;
      size_t count, cap;
    } array;
    struct {
      char *ptr; /* NUL-terminated, may hold earlier NULs */
      size_t len;
    } str;
    int64_t integer;
    double real;
    bool boolean;
    struct {
      lrs_toml_datetime value;
      char *text; /* the source spelling, NUL-terminated */
      size_t len;
    } dt;
  } u;
};

struct lrs_toml_doc {
  lrs_toml_node *root;
  lrs_toml_node *nodes; /* head of the next_alloc list: freed in one pass */
  char *name;
};

/* ---- toml_tree.c ------------------------------------------------------- */

/* An empty document named `name` with an empty root table (1:1). */
lrs_status lrs__toml_doc_create(const char *name, lrs_toml_doc **doc);
/* A new node owned by `doc`; contents zeroed. */
lrs_status lrs__toml_node_new(lrs_toml_doc *doc, lrs_toml_type type, int line,
                              int col, lrs_toml_node **node);
/* The entry under key[0..len) of `table`, or NULL. */
lrs__toml_entry *lrs__toml_table_find(const lrs_toml_node *table,
                                      const char *key, size_t len);
/* Appends key → value; the caller has checked that the key is new. */
lrs_status lrs__toml_table_add(lrs_toml_node *table, const char *key,
                               size_t len, int line, int col,
                               lrs_toml_node *value);
lrs_status lrs__toml_array_push(lrs_toml_node *array, lrs_toml_node *item);

/* ---- toml_scan.c ------------------------------------------------------- */

/* A growable byte buffer (decoded strings, key parts). */
typedef struct {
  char *data;
  size_t len, cap;
} lrs__toml_buf;

lrs_status lrs__toml_buf_reserve(lrs__toml_buf *buf, size_t extra);
lrs_status lrs__toml_buf_append(lrs__toml_buf *buf, const char *bytes,
                                size_t n);
void lrs__toml_buf_free(lrs__toml_buf *buf);

/* One part of a dotted key: bytes keys.data[off .. off+len). */
typedef struct {
  size_t off, len;
  int line, col;
} lrs__toml_keypart;

/* The reading state of one parse. */
typedef struct {
  const char *src;
  size_t len, pos;
  int line, col;
  const char *name;
  lrs_toml_doc *doc;
  lrs_toml_node *current; /* table that key/value lines go into */
  lrs__toml_buf text;     /* scratch: the string value being decoded */
  lrs__toml_buf keys;     /* scratch: bytes of the key being read */
  lrs__toml_keypart *parts;
  size_t nparts, partcap;
} lrs__toml_parser;

/* Raises LRS_ERR_PARSE as "NAME:LINE:COL: message". */
lrs_status lrs__toml_fail(const lrs__toml_parser *p, int line, int col,
                          const char *file, int src_line, const char *func,
                          const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 7, 8)))
#endif
    ;
#define LRS__TOML_FAIL(p, line, col, ...)                                      \
  lrs__toml_fail((p), (line), (col), __FILE__, __LINE__, __func__, __VA_ARGS__)
/* The same, at the cursor. */
#define LRS__TOML_FAIL_HERE(p, ...)                                            \
  LRS__TOML_FAIL((p), (p)->line, (p)->col, __VA_ARGS__)

/* Writes `key` into out[0..size) as a quoted, escaped, possibly shortened
 * string for messages; returns out.  `size` is at least 16. */
const char *lrs__toml_quote_key(const char *key, size_t len, char *out,
                                size_t size);

/* Checks that the whole input is well-formed UTF-8 (no overlong forms,
 * surrogates or code points above U+10FFFF). */
lrs_status lrs__toml_check_utf8(const lrs__toml_parser *p);

/* The byte at the cursor, or -1 at the end of input. */
int lrs__toml_peek(const lrs__toml_parser *p);
/* The byte `ahead` places after the cursor, or -1 past the end. */
int lrs__toml_peek_at(const lrs__toml_parser *p, size_t ahead);
/* Moves past one byte that is not a newline. */
void lrs__toml_advance(lrs__toml_parser *p);
/* Skips spaces and tabs. */
void lrs__toml_skip_ws(lrs__toml_parser *p);
/* At "\n" or "\r\n"? */
bool lrs__toml_at_newline(const lrs__toml_parser *p);
/* Consumes "\n" or "\r\n" (the caller has checked lrs__toml_at_newline). */
void lrs__toml_take_newline(lrs__toml_parser *p);
/* Skips a comment if the cursor is at '#', checking its characters. */
lrs_status lrs__toml_skip_comment(lrs__toml_parser *p);
/* Skips whitespace, comments and newlines (inside arrays). */
lrs_status lrs__toml_skip_blank(lrs__toml_parser *p);

/* Reads a dotted key into p->parts / p->keys. */
lrs_status lrs__toml_scan_key(lrs__toml_parser *p);
/* Reads a string of any of the four kinds, appending its decoded bytes to
 * `out`; the cursor is at its opening quote.  `allow_multi` is false for
 * keys, which are single-line strings only. */
lrs_status lrs__toml_scan_string(lrs__toml_parser *p, bool allow_multi,
                                 lrs__toml_buf *out);
/* Reads a number, boolean or date/time at the cursor into a new node. */
lrs_status lrs__toml_scan_scalar(lrs__toml_parser *p, lrs_toml_node **out);

#endif
