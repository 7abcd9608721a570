/*
 * lrsweep/query.h — filters, selections and pivots over stored points.
 *
 * The query room works on an lrs_query_table: rows × named columns read
 * through two callbacks, so that it is tested on in-memory rows and used on
 * a store's points table (lrs_query_table_from_store) alike.
 *
 * The --where language (docs/store.md, "Queries"):
 *   expr    := and ( "||" and )*
 *   and     := unary ( "&&" unary )*
 *   unary   := "!" unary | compare
 *   compare := operand [ ("==" | "!=" | "<" | "<=" | ">" | ">=") operand ]
 *   operand := NUMBER | "string" | 'string' | COLUMN | true | false | nan | inf
 *            | "(" expr ")"
 * Numeric columns compare with numbers (and each other); enum columns with
 * the quoted name of a value (== and != only); text columns with strings.
 * A comparison involving NaN is false except != (IEEE).  A column alone is
 * true when non-zero and not NaN.  Parse errors are LRS_ERR_USAGE, one line,
 * with the 1-based column of the offending token.
 */
#ifndef LRSWEEP_QUERY_H
#define LRSWEEP_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lrsweep/field.h"
#include "lrsweep/status.h"

/* A column is an lrs_field (lrsweep/field.h): its name, its type (which
 * decides how it compares, below) and for enums its value names; the offset
 * is the callbacks' business (a store's columns are used as they are). */
typedef enum {
  LRS_QUERY_NUMBER, /* a double (integers exactly up to 2^53): every numeric
                       type and BOOL (0/1) */
  LRS_QUERY_ENUM,   /* an index into `names` */
  LRS_QUERY_TEXT    /* a string */
} lrs_query_kind;
static inline lrs_query_kind lrs_query_kind_of(const lrs_field *col) {
  return col->type == LRS_FIELD_ENUM   ? LRS_QUERY_ENUM
         : col->type == LRS_FIELD_TEXT ? LRS_QUERY_TEXT
                                       : LRS_QUERY_NUMBER;
}

typedef struct lrs_query_table {
  size_t n_rows, n_cols;
  const lrs_field *cols;
  const void *ctx;
  /* NUMBER: the value; ENUM: the index; TEXT: NaN. */
  double (*number)(const void *ctx, size_t row, size_t col);
  /* Any kind as text into buf[cap] (enum names, shortest round-trip
   * decimals, "nan", "inf"); returns buf. */
  const char *(*text)(const void *ctx, size_t row, size_t col, char *buf, size_t cap);
} lrs_query_table;

/* The column named `name`, or -1. */
long lrs_query_column_index(const lrs_query_table *table, const char *name);

/* ---- --where ---------------------------------------------------------------- */

typedef struct lrs_query_expr lrs_query_expr;

/* Limits of an expression (docs/store.md): its length in bytes, and how
 * deeply '(' and '!' nest (the parser and the evaluation recurse on them;
 * chains of && and || do not nest). */
enum { LRS_QUERY_MAX_TEXT = 8192, LRS_QUERY_MAX_DEPTH = 64 };

/* Parses `text` against the table's columns (names and enum values are
 * resolved now).  On failure *expr is NULL, LRS_ERR_USAGE (also beyond the
 * limits above, naming them). */
lrs_status lrs_query_parse(const char *text, const lrs_query_table *table, lrs_query_expr **expr);
/* The same for an expression the user gave as `option` ("--predicate",
 * "[refine] predicate"), which its error messages name instead of
 * "--where": '--predicate "stauts == 1": column 1: unknown column ...'. */
lrs_status lrs_query_parse_as(const char *option, const char *text, const lrs_query_table *table,
                              lrs_query_expr **expr);
void lrs_query_expr_destroy(lrs_query_expr **expr);
/* True when row `row` satisfies the expression (NULL: every row). */
bool lrs_query_eval(const lrs_query_expr *expr, const lrs_query_table *table, size_t row);
/* The rows satisfying expr (ascending) into a malloc'd *rows, *n. */
lrs_status lrs_query_filter(const lrs_query_expr *expr, const lrs_query_table *table,
                            size_t **rows, size_t *n);

/* For each comparison `COLUMN == NUMBER` (either order) in expr whose
 * number no row of the table holds in that numeric column (columns with
 * only[col], or all when only is NULL): prints to `out` one line naming the
 * nearest value that is there, e.g. "lrsweep: --where: step_size == 0.002
 * matches no row; the nearest value is 0.001".  Returns how many lines. */
size_t lrs_query_note_unmatched(FILE *out, const lrs_query_expr *expr,
                                const lrs_query_table *table, const bool *only);

/* ---- --select and output ---------------------------------------------------------- */

typedef enum { LRS_QUERY_FORMAT_TABLE, LRS_QUERY_FORMAT_CSV, LRS_QUERY_FORMAT_JSON } lrs_query_format;

/* Parses "table", "csv", "json". */
lrs_status lrs_query_format_parse(const char *text, lrs_query_format *format);

/* Resolves a comma-separated list of column names into malloc'd indices;
 * an unknown name is LRS_ERR_USAGE with a "did you mean". */
lrs_status lrs_query_select(const lrs_query_table *table, const char *list, size_t **cols,
                            size_t *n);

/* Prints rows × cols: an aligned table with a header, CSV (RFC 4180, header
 * line), or JSON Lines (one object per row; NaN and inf as null). */
lrs_status lrs_query_print(FILE *out, const lrs_query_table *table, const size_t *rows,
                           size_t n_rows, const size_t *cols, size_t n_cols,
                           lrs_query_format format);

/* ---- --pivot ------------------------------------------------------------------------ */

#define LRS_QUERY_AGG_LIST(X)                                                  \
  X(LRS_QUERY_AGG_MEAN, "mean")                                                \
  X(LRS_QUERY_AGG_MEDIAN, "median")                                            \
  X(LRS_QUERY_AGG_MIN, "min")                                                  \
  X(LRS_QUERY_AGG_MAX, "max")                                                  \
  X(LRS_QUERY_AGG_COUNT, "count")                                              \
  X(LRS_QUERY_AGG_FRAC, "frac")
#define LRS__ENUM_MEMBER(name, text) name,
typedef enum { LRS_QUERY_AGG_LIST(LRS__ENUM_MEMBER) LRS_QUERY_AGG_COUNT_ } lrs_query_agg;
#undef LRS__ENUM_MEMBER
extern const char *const lrs_query_agg_names[];

/* A matrix: rows are the distinct values of column y, columns those of x
 * (both ascending), each cell the aggregate of column `value` over the rows
 * having that (x, y) — i.e. over every other dimension, e.g. seeds.  NaN
 * values are skipped (count counts the rows with a value); a cell without
 * values is NaN. */
typedef struct lrs_query_pivot {
  size_t x, y, value;          /* column indices */
  lrs_query_agg agg;
  size_t n_x, n_y;
  double *x_values, *y_values; /* ascending */
  size_t *x_rep, *y_rep;       /* a row holding each value (for its text) */
  double *cells;               /* n_y × n_x, row-major */
  size_t *counts;              /* n_y × n_x: the values each cell aggregates
                                  (missing ones — NaN, an integer's -1 — left
                                  out; frac: the rows it shares out) */
} lrs_query_pivot;

/* Parses "X,Y,VALUE" and builds the pivot over `rows`.  x and y must be
 * numeric or enum columns, value numeric (or anything for count). */
lrs_status lrs_query_pivot_make(const lrs_query_table *table, const size_t *rows, size_t n_rows,
                                const char *spec, lrs_query_agg agg, lrs_query_pivot **pivot);
/* The same with --agg frac: each cell the share of its rows where
 * `predicate` holds (e.g. status == "converged"); without a predicate, of
 * its rows with a VALUE, those where VALUE is non-zero. */
lrs_status lrs_query_pivot_make_frac(const lrs_query_table *table, const size_t *rows,
                                     size_t n_rows, const char *spec,
                                     const lrs_query_expr *predicate, lrs_query_pivot **pivot);
void lrs_query_pivot_destroy(lrs_query_pivot **pivot);
/* Prints it: table (Y\X header; when cells hold different numbers of
 * values, each cell says how many: "0.52 (n=3)", else a comment line does),
 * CSV (same shape; an empty field for a cell without values), or one JSON
 * object {"x", "y", "value", "agg", "x_values", "y_values", "cells",
 * "counts"} (null for a cell without values). */
lrs_status lrs_query_pivot_print(FILE *out, const lrs_query_table *table,
                                 const lrs_query_pivot *pivot, lrs_query_format format);

/* Prints it as a shaded character heatmap (for terminals without X): one
 * character per level of " .:-=+*#%@" from the smallest to the largest
 * finite cell (a log scale when all cells are positive and span more than
 * two decades), '?' for a cell without values ("none": every value missing),
 * with axis labels and a legend. */
lrs_status lrs_query_pivot_plot(FILE *out, const lrs_query_table *table,
                                const lrs_query_pivot *pivot);

/* ---- --boundary ------------------------------------------------------------------ */
/*
 * Where a predicate flips along one axis (a phase boundary), for every cell:
 * every combination of the values of the other axes.  Within a cell the
 * points are ordered by the axis value; the bracket is the FIRST adjacent
 * pair whose outcomes differ (a cell may have several flips: `flips` counts
 * them, 1 for a clean boundary).  The boundary estimate is the bracket's
 * midpoint in the axis's scale (geometric for log axes).  The refinement
 * engine (lrsweep/refine.h) bisects exactly these brackets.
 */
/* The first flip among n outcomes (ordered by axis value): *lo receives the
 * position before it; returns the number of flips (0: none, *lo unset). */
size_t lrs_query_first_flip(const bool *holds, size_t n, size_t *lo);
/* The midpoint of [lo, hi] in the axis's scale. */
double lrs_query_bracket_mid(double lo, double hi, bool log_scale);
/* Whether [lo, hi] is within the relative tolerance rtol: hi/lo − 1 ≤ rtol
 * (log scale), or hi − lo ≤ rtol · max(|lo|, |hi|) (linear). */
bool lrs_query_bracket_narrow(double lo, double hi, bool log_scale, double rtol);

typedef struct lrs_query_boundary_cell {
  size_t rep;      /* a row of the cell (its other axes' values) */
  size_t points;   /* rows of the cell */
  size_t flips;    /* adjacent pairs with different outcomes */
  double lo, hi;   /* the bracket (NaN when there is no flip) */
  bool lo_holds;   /* the predicate at lo (or at every point without a flip) */
  double value;    /* the boundary estimate (NaN without a flip) */
  int32_t generation; /* largest generation among the cell's rows, when the
                         table has that column (else 0) */
} lrs_query_boundary_cell;

typedef struct lrs_query_boundary {
  size_t axis;           /* column of the axis */
  size_t *cell_cols;     /* the other axes' columns */
  size_t n_cell_cols;
  bool log_scale;
  lrs_query_boundary_cell *cells; /* in order of their first row */
  size_t n_cells;
} lrs_query_boundary;

/* Boundaries of `predicate` along column `axis` over `rows` (rows of one
 * cell with equal axis values are a usage error: add the column that tells
 * them apart to cell_cols). */
lrs_status lrs_query_boundary_make(const lrs_query_table *table, const size_t *rows,
                                   size_t n_rows, size_t axis, const size_t *cell_cols,
                                   size_t n_cell_cols, const lrs_query_expr *predicate,
                                   bool log_scale, lrs_query_boundary **boundary);
void lrs_query_boundary_destroy(lrs_query_boundary **boundary);
/* One line per cell: the other axes, then lo, hi, boundary, below (the
 * predicate below the boundary), points, flips, generation; table, CSV or
 * JSON Lines. */
lrs_status lrs_query_boundary_print(FILE *out, const lrs_query_table *table,
                                    const lrs_query_boundary *boundary, lrs_query_format format);

/* ---- the store's points as a table ------------------------------------------------ */

struct lrs_store_points;
/* A table over a points table read from a store (which must outlive it):
 * its columns are the store's. */
void lrs_query_table_from_store(const struct lrs_store_points *points, lrs_query_table *table);

#endif
