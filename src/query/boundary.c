/* Phase boundaries: where a predicate flips along one axis (lrsweep/query.h). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lrsweep/query.h"
#include "query_private.h"

size_t lrs_query_first_flip(const bool *holds, size_t n, size_t *lo) {
  size_t flips = 0;
  for (size_t i = 0; i + 1 < n; i++)
    if (holds[i] != holds[i + 1] && flips++ == 0)
      *lo = i;
  return flips;
}

double lrs_query_bracket_mid(double lo, double hi, bool log_scale) {
  return log_scale ? sqrt(lo) * sqrt(hi) : lo + 0.5 * (hi - lo);
}

bool lrs_query_bracket_narrow(double lo, double hi, bool log_scale, double rtol) {
  if (log_scale)
    return hi / lo - 1 <= rtol;
  return hi - lo <= rtol * fmax(fabs(lo), fabs(hi));
}

/* ---- cells ------------------------------------------------------------------------- */

typedef struct {
  const lrs_query_table *t;
  const size_t *cell_cols;
  size_t n_cell_cols, axis;
} cell_order;

/* A row with its sort key: the other axes' values, then the axis value. */
typedef struct {
  const double *key;
  size_t n_key, row;
} keyed_row;

static int by_key(const void *a, const void *b) {
  const keyed_row *x = a, *y = b;
  for (size_t k = 0; k < x->n_key; k++)
    if (x->key[k] != y->key[k])
      return x->key[k] < y->key[k] ? -1 : 1;
  return (x->row > y->row) - (x->row < y->row);
}

/* Sorts rows by cell, then by axis value. */
static lrs_status sort_rows(const cell_order *o, size_t *rows, size_t n) {
  size_t n_key = o->n_cell_cols + 1;
  double *keys = malloc((n ? n : 1) * n_key * sizeof *keys);
  keyed_row *kr = malloc((n ? n : 1) * sizeof *kr);
  if (!keys || !kr) {
    free(keys);
    free(kr);
    return LRS_RAISE(LRS_ERR_NOMEM, "out of memory sorting %zu rows", n);
  }
  for (size_t i = 0; i < n; i++) {
    double *key = keys + i * n_key;
    for (size_t k = 0; k < o->n_cell_cols; k++)
      key[k] = o->t->number(o->t->ctx, rows[i], o->cell_cols[k]);
    key[o->n_cell_cols] = o->t->number(o->t->ctx, rows[i], o->axis);
    kr[i] = (keyed_row){key, n_key, rows[i]};
  }
  qsort(kr, n, sizeof *kr, by_key);
  for (size_t i = 0; i < n; i++)
    rows[i] = kr[i].row;
  free(keys);
  free(kr);
  return LRS_OK;
}

static bool same_cell(const cell_order *o, size_t x, size_t y) {
  for (size_t k = 0; k < o->n_cell_cols; k++)
    if (o->t->number(o->t->ctx, x, o->cell_cols[k]) !=
        o->t->number(o->t->ctx, y, o->cell_cols[k]))
      return false;
  return true;
}

static int by_first_row(const void *a, const void *b) {
  const lrs_query_boundary_cell *x = a, *y = b;
  return (x->rep > y->rep) - (x->rep < y->rep);
}

/* The outcomes of one cell's rows (sorted) into a boundary cell. */
static lrs_status measure_cell(const lrs_query_table *t, const cell_order *o,
                               const lrs_query_expr *predicate, const size_t *rows, size_t n,
                               long generation_col, bool log_scale, bool *holds,
                               lrs_query_boundary_cell *cell) {
  *cell = (lrs_query_boundary_cell){.rep = rows[0], .points = n, .lo = NAN, .hi = NAN,
                                    .value = NAN};
  for (size_t i = 0; i < n; i++) {
    if (i > 0 && t->number(t->ctx, rows[i], o->axis) == t->number(t->ctx, rows[i - 1], o->axis)) {
      char buf[64];
      return LRS_RAISE(LRS_ERR_USAGE,
                       "two points of one cell share %s = %s: the cell needs another axis "
                       "(rows %zu and %zu)",
                       t->cols[o->axis].name, t->text(t->ctx, rows[i], o->axis, buf, sizeof buf),
                       rows[i - 1], rows[i]);
    }
    holds[i] = lrs_query_eval(predicate, t, rows[i]);
    cell->rep = rows[i] < cell->rep ? rows[i] : cell->rep;
    if (generation_col >= 0) {
      double g = t->number(t->ctx, rows[i], (size_t)generation_col);
      if (g > cell->generation)
        cell->generation = (int32_t)g;
    }
  }
  size_t lo = 0;
  cell->flips = lrs_query_first_flip(holds, n, &lo);
  cell->lo_holds = holds[lo];
  if (cell->flips) {
    cell->lo = t->number(t->ctx, rows[lo], o->axis);
    cell->hi = t->number(t->ctx, rows[lo + 1], o->axis);
    cell->value = lrs_query_bracket_mid(cell->lo, cell->hi, log_scale);
  }
  return LRS_OK;
}

lrs_status lrs_query_boundary_make(const lrs_query_table *t, const size_t *rows_in,
                                   size_t n_rows, size_t axis, const size_t *cell_cols,
                                   size_t n_cell_cols, const lrs_query_expr *predicate,
                                   bool log_scale, lrs_query_boundary **out) {
  *out = NULL;
  if (lrs_query_kind_of(&t->cols[axis]) != LRS_QUERY_NUMBER)
    return LRS_RAISE(LRS_ERR_USAGE, "--boundary %s: expected a numeric axis",
                     t->cols[axis].name);
  lrs_status st = LRS_OK;
  lrs_query_boundary *b = calloc(1, sizeof *b);
  size_t *rows = malloc((n_rows ? n_rows : 1) * sizeof *rows);
  bool *holds = malloc((n_rows ? n_rows : 1) * sizeof *holds);
  if (b) {
    b->cell_cols = malloc((n_cell_cols ? n_cell_cols : 1) * sizeof *b->cell_cols);
    b->cells = malloc((n_rows ? n_rows : 1) * sizeof *b->cells);
  }
  if (!b || !rows || !holds || !b->cell_cols || !b->cells) {
    st = LRS_RAISE(LRS_ERR_NOMEM, "out of memory for the boundaries of %zu rows", n_rows);
    goto done;
  }
  b->axis = axis;
  b->log_scale = log_scale;
  b->n_cell_cols = n_cell_cols;
  memcpy(b->cell_cols, cell_cols, n_cell_cols * sizeof *cell_cols);
  memcpy(rows, rows_in, n_rows * sizeof *rows);
  cell_order o = {t, cell_cols, n_cell_cols, axis};
  LRS_TRY_GOTO(st, sort_rows(&o, rows, n_rows), done);
  long generation_col = lrs_query_column_index(t, "generation");
  for (size_t first = 0; first < n_rows;) {
    size_t end = first + 1;
    while (end < n_rows && same_cell(&o, rows[first], rows[end]))
      end++;
    LRS_TRY_GOTO(st, measure_cell(t, &o, predicate, rows + first, end - first, generation_col,
                                  log_scale, holds, &b->cells[b->n_cells++]),
                 done);
    first = end;
  }
  qsort(b->cells, b->n_cells, sizeof *b->cells, by_first_row);
done:
  free(rows);
  free(holds);
  if (st != LRS_OK)
    lrs_query_boundary_destroy(&b);
  *out = b;
  return st;
}

void lrs_query_boundary_destroy(lrs_query_boundary **boundary) {
  if (!boundary || !*boundary)
    return;
  free((*boundary)->cell_cols);
  free((*boundary)->cells);
  free(*boundary);
  *boundary = NULL;
}

/* ---- printing: the cells as a query table --------------------------------------------- */

enum { OUT_LO, OUT_HI, OUT_VALUE, OUT_BELOW, OUT_POINTS, OUT_FLIPS, OUT_GENERATION, OUT_COUNT };
static const char *const out_names[OUT_COUNT] = {"lo",     "hi",    "boundary",  "below",
                                                 "points", "flips", "generation"};
static const char *const below_names[] = {"false", "true", NULL};

typedef struct {
  const lrs_query_table *t;
  const lrs_query_boundary *b;
} cells_view;

static double cell_number(const void *ctx, size_t row, size_t col) {
  const cells_view *v = ctx;
  const lrs_query_boundary_cell *c = &v->b->cells[row];
  if (col < v->b->n_cell_cols)
    return v->t->number(v->t->ctx, c->rep, v->b->cell_cols[col]);
  switch (col - v->b->n_cell_cols) {
  case OUT_LO:
    return c->lo;
  case OUT_HI:
    return c->hi;
  case OUT_VALUE:
    return c->value;
  case OUT_BELOW:
    return c->lo_holds;
  case OUT_POINTS:
    return (double)c->points;
  case OUT_FLIPS:
    return (double)c->flips;
  default:
    return c->generation;
  }
}

static const char *cell_text(const void *ctx, size_t row, size_t col, char *buf, size_t cap) {
  const cells_view *v = ctx;
  if (col < v->b->n_cell_cols)
    return v->t->text(v->t->ctx, v->b->cells[row].rep, v->b->cell_cols[col], buf, cap);
  double x = cell_number(ctx, row, col);
  if (col - v->b->n_cell_cols == OUT_BELOW)
    snprintf(buf, cap, "%s", x != 0 ? "true" : "false");
  else if (col - v->b->n_cell_cols >= OUT_POINTS)
    snprintf(buf, cap, "%.0f", x);
  else
    lrs__query_number_text(x, false, buf, cap);
  return buf;
}

lrs_status lrs_query_boundary_print(FILE *out, const lrs_query_table *t,
                                    const lrs_query_boundary *b, lrs_query_format format) {
  size_t n_cols = b->n_cell_cols + OUT_COUNT;
  lrs_field *cols = calloc(n_cols, sizeof *cols);
  size_t *idx = malloc(n_cols * sizeof *idx), *rows = malloc((b->n_cells + 1) * sizeof *rows);
  lrs_status st = LRS_OK;
  if (!cols || !idx || !rows) {
    st = LRS_RAISE(LRS_ERR_NOMEM, "out of memory printing %zu boundaries", b->n_cells);
    goto done;
  }
  for (size_t k = 0; k < b->n_cell_cols; k++)
    cols[k] = t->cols[b->cell_cols[k]];
  /* lo, hi and boundary are values of the axis (a table tells them apart as
   * it does an axis's values: lrs_query_print); counts after them. */
  for (size_t k = 0; k < OUT_COUNT; k++)
    cols[b->n_cell_cols + k] =
        k >= OUT_POINTS ? (lrs_field){.name = out_names[k], .type = LRS_FIELD_I64}
                        : (lrs_field){.name = out_names[k], .type = LRS_FIELD_F64,
                                      .flags = LRS_FIELD_AXIS};
  cols[b->n_cell_cols + OUT_BELOW] =
      (lrs_field){.name = out_names[OUT_BELOW], .type = LRS_FIELD_ENUM, .names = below_names};
  for (size_t k = 0; k < n_cols; k++)
    idx[k] = k;
  for (size_t r = 0; r < b->n_cells; r++)
    rows[r] = r;
  cells_view view = {t, b};
  lrs_query_table cells = {b->n_cells, n_cols, cols, &view, cell_number, cell_text};
  st = lrs_query_print(out, &cells, rows, b->n_cells, idx, n_cols, format);
done:
  free(cols);
  free(idx);
  free(rows);
  return st;
}
