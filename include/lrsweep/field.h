/*
 * lrsweep/field.h — one descriptor for a named value at an offset of a
 * struct: the fields of the result (lrsweep/result.h), the store's columns
 * (lrsweep/store.h) and the query's columns (lrsweep/query.h) are all
 * lrs_field.  The result's descriptors are generated from the field lists of
 * result.h; the store copies them (shifted into its row) and adds its own
 * bookkeeping columns; the query reads a store's columns as they are.
 * (A sweep parameter, lrs_param of lrsweep/config.h, carries more: section,
 * range, default; the store turns each into an lrs_field column.)
 */
#ifndef LRSWEEP_FIELD_H
#define LRSWEEP_FIELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
  LRS_FIELD_U64,  /* uint64_t */
  LRS_FIELD_I64,  /* int64_t (unset: -1) */
  LRS_FIELD_I32,  /* int32_t */
  LRS_FIELD_F64,  /* double (unset: NaN) */
  LRS_FIELD_ENUM, /* a C enum (int) with a name table */
  LRS_FIELD_BOOL, /* bool */
  LRS_FIELD_TEXT  /* NUL-terminated char[size] */
} lrs_field_type;

/* lrs_field.flags */
enum {
  LRS_FIELD_AXIS = 1u << 0,          /* a grid axis of the sweep (store points) */
  LRS_FIELD_RUN_DEPENDENT = 1u << 1, /* timing or physical placement: differs
                                        between equivalent runs (wall_seconds,
                                        attempts, rank, traj_offset); `rerun`
                                        does not compare it */
  LRS_FIELD_PER_RECORD = 1u << 2,    /* computed from the recorded states, so it
                                        changes with the record schedule
                                        (`rerun --every` does not compare it) */
  LRS_FIELD_GATED = 1u << 3          /* in a sub-struct whose first field gates
                                        `run`'s printing (lrs_field_show) */
};

/* How `lrsweep run` prints a summary field: lines in increasing `line`. */
typedef enum {
  LRS_SHOW_NEVER,  /* not printed */
  LRS_SHOW_ALWAYS, /* "label value" */
  LRS_SHOW_SET,    /* only when set (not NaN / -1 / "") */
  LRS_SHOW_GATE,   /* the first field of a sub-struct: when unset, no other
                      field of it is printed; a false BOOL gate prints
                      "label not applicable", a true one nothing */
  LRS_SHOW_RATIO   /* always, then "prev/label": the previous line's value
                      divided by this one */
} lrs_show_mode;
typedef struct lrs_field_show {
  int line;
  lrs_show_mode mode;
} lrs_field_show;

typedef struct lrs_field {
  const char *name;         /* column / field name */
  lrs_field_type type;
  size_t offset;            /* in the row or struct it describes */
  size_t size;              /* TEXT: bytes incl. the NUL */
  const char *const *names; /* ENUM: NULL-terminated value names */
  const char *unit;         /* "" when dimensionless */
  const char *doc;          /* one line */
  unsigned flags;           /* LRS_FIELD_AXIS ... */
  const char *label;        /* `lrsweep run`'s name for it (summary fields) */
  lrs_field_show show;      /* whether and where `lrsweep run` prints it */
} lrs_field;

/* A value given as a double, as text into buf[cap]: the enum's name, integer
 * digits (I64, I32, U64), "true"/"false", or the shortest decimal that reads
 * back to the same double ("0.01", "1e-05", "nan", "inf"); TEXT: "".  Keys,
 * store columns, query output and sweep-file values all print this way. */
void lrs_field_format(lrs_field_type type, const char *const *names, double value, char *buf,
                      size_t cap);

/* The value at base + f->offset as a double (enums: their index, bools 0/1,
 * TEXT: NaN). */
double lrs_field_number(const lrs_field *f, const void *base);
/* The value as text into buf[cap]: enum names, integer digits, the shortest
 * decimal that reads back to the same double ("nan"), "true"/"false", the
 * string.  Returns buf. */
const char *lrs_field_text(const lrs_field *f, const void *base, char *buf, size_t cap);
/* Writes the unset value: NaN (F64), -1 (I64), zeros otherwise (the first
 * enum value, false, ""). */
void lrs_field_unset(const lrs_field *f, void *base);
/* Whether the value differs from the unset one. */
bool lrs_field_is_set(const lrs_field *f, const void *base);
/* Whether two structs hold the same value, bit for bit (TEXT: up to the NUL). */
bool lrs_field_same(const lrs_field *f, const void *a, const void *b);
/* The field named `name` among fields[0..n), or NULL. */
const lrs_field *lrs_field_find(const lrs_field *fields, size_t n, const char *name);

#endif
