/*
 * lrsweep/toml.h — a TOML 1.0 parser and its read-only document tree.
 *
 * lrs_toml_parse_file()/lrs_toml_parse_string() read a whole document into a
 * tree of nodes owned by an lrs_toml_doc; lrs_toml_destroy() frees it all.
 * Every node remembers the line and column (1-based) where its value (for
 * tables: its header or first key) starts in the source, so callers can point
 * users at the exact place of a bad value.
 *
 * Tables keep their keys in document order.  Strings are stored decoded
 * (escapes resolved, UTF-8) with an explicit length: TOML strings may hold
 * U+0000.  Date-times keep their components plus the source text.
 *
 * Errors: a document that is not valid TOML 1.0 gives LRS_ERR_PARSE with the
 * message "NAME:LINE:COL: what was expected" (see lrsweep/status.h); an
 * unreadable file gives LRS_ERR_IO.  The parser never aborts, and its memory
 * and time are linear in the input size.
 *
 * Limits and choices where the spec leaves room: nesting deeper than 512
 * levels (arrays, inline tables and tables counted alike) is refused, so that
 * walking the tree recursively is always safe; integers must fit in int64_t;
 * a float literal too large for a double (1e400) is refused rather than made
 * infinite; fractional seconds are truncated to nanoseconds; a leading UTF-8
 * byte order mark is skipped; CRLF inside multi-line strings reads as "\n";
 * columns count characters (code points), a tab being one.  Float parsing
 * does not depend on the LC_NUMERIC locale.
 */
#ifndef LRSWEEP_TOML_H
#define LRSWEEP_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lrsweep/status.h"

typedef enum {
  LRS_TOML_TABLE,
  LRS_TOML_ARRAY,
  LRS_TOML_STRING,
  LRS_TOML_INTEGER,
  LRS_TOML_FLOAT,
  LRS_TOML_BOOL,
  LRS_TOML_DATETIME,       /* offset date-time: 1979-05-27T07:32:00Z */
  LRS_TOML_DATETIME_LOCAL, /* 1979-05-27T07:32:00 */
  LRS_TOML_DATE_LOCAL,     /* 1979-05-27 */
  LRS_TOML_TIME_LOCAL      /* 07:32:00 */
} lrs_toml_type;

typedef struct lrs_toml_doc lrs_toml_doc;
typedef struct lrs_toml_node lrs_toml_node;

/* Components of the four date/time types; fields a type lacks are zero. */
typedef struct {
  int year, month, day;
  int hour, minute, second;
  int64_t nanosecond;    /* fractional seconds, truncated to ns */
  int offset_minutes;    /* UTC offset, LRS_TOML_DATETIME only ("Z" is 0) */
} lrs_toml_datetime;

/* Parses the file at `path` ("NAME" in messages is the path).  On success
 * *doc owns the tree; on failure *doc is NULL and the error record says where
 * and why.  Returns LRS_OK, LRS_ERR_IO ("path: strerror"), LRS_ERR_PARSE,
 * LRS_ERR_RANGE (document of 2 GiB or more) or LRS_ERR_NOMEM. */
lrs_status lrs_toml_parse_file(const char *path, lrs_toml_doc **doc);

/* Parses `len` bytes of `text` (need not be NUL-terminated, may be NULL when
 * len is 0); `name` is used as the file name in error messages ("<string>"
 * if NULL).  Returns LRS_OK, LRS_ERR_PARSE, LRS_ERR_RANGE or LRS_ERR_NOMEM;
 * *doc as for lrs_toml_parse_file. */
lrs_status lrs_toml_parse_string(const char *text, size_t len,
                                 const char *name, lrs_toml_doc **doc);

/* Frees the document and every node in it; sets *doc to NULL.  NULL-safe. */
void lrs_toml_destroy(lrs_toml_doc **doc);

/* The root table.  Never NULL for a parsed document. */
const lrs_toml_node *lrs_toml_root(const lrs_toml_doc *doc);
/* The `name` given at parse time (the path for files). */
const char *lrs_toml_source_name(const lrs_toml_doc *doc);

lrs_toml_type lrs_toml_type_of(const lrs_toml_node *node);
/* "table", "array", "string", "integer", "float", "bool", "datetime",
 * "datetime-local", "date-local", "time-local" (the toml-test spelling). */
const char *lrs_toml_type_name(lrs_toml_type type);
int lrs_toml_line(const lrs_toml_node *node);
int lrs_toml_column(const lrs_toml_node *node);

/* Number of keys of a table or items of an array; 0 for scalars. */
size_t lrs_toml_count(const lrs_toml_node *node);
/* The i-th key of a table (document order), its length in *len if non-NULL;
 * NULL when out of range or not a table. */
const char *lrs_toml_key_at(const lrs_toml_node *table, size_t i, size_t *len);
/* The value of the i-th key of a table, or the i-th item of an array; NULL
 * when out of range. */
const lrs_toml_node *lrs_toml_at(const lrs_toml_node *node, size_t i);
/* The value under `key` (NUL-terminated) in a table, NULL if absent. */
const lrs_toml_node *lrs_toml_get(const lrs_toml_node *table, const char *key);
/* The same for a key of `len` bytes, which may hold NULs ("a\u0000b"). */
const lrs_toml_node *lrs_toml_get_len(const lrs_toml_node *table,
                                      const char *key, size_t len);

/* Typed reads: return false (and leave *out untouched) when the node has
 * another type.  lrs_toml_as_double accepts floats only; callers that take
 * integers as floats check both. */
bool lrs_toml_as_int(const lrs_toml_node *node, int64_t *out);
bool lrs_toml_as_double(const lrs_toml_node *node, double *out);
bool lrs_toml_as_bool(const lrs_toml_node *node, bool *out);
/* The decoded string (NUL-terminated; may hold earlier NULs: see *len). */
bool lrs_toml_as_string(const lrs_toml_node *node, const char **out,
                        size_t *len);
/* Any of the four date/time types. */
bool lrs_toml_as_datetime(const lrs_toml_node *node, lrs_toml_datetime *out);
/* The source spelling of a date/time value ("1979-05-27 07:32:00z"), its
 * length in *len if non-NULL; NULL when the node is not a date/time. */
const char *lrs_toml_datetime_text(const lrs_toml_node *node, size_t *len);

#endif
