/* A store's points table seen as a query table (lrsweep/query.h).  The only
 * place the query room touches the store, through its reader. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "lrsweep/query.h"
#include "lrsweep/store.h"

/* "No value" is missing (NaN) in every query: an integer column's -1 — an
 * iters_to_* never reached, a rate window not fitted, the counts of a
 * pending row (docs/store.md, "Missing values"); the real columns already
 * hold NaN.  No integer parameter can be negative, so -1 is never a value. */
static bool missing_int(const lrs_field *c, double v) {
  return (c->type == LRS_FIELD_I64 || c->type == LRS_FIELD_I32) && v == -1;
}

static double number(const void *ctx, size_t row, size_t col) {
  const lrs_store_points *p = ctx;
  size_t n;
  const lrs_field *cols = lrs_store_points_columns(p, &n);
  double v = lrs_field_number(&cols[col], lrs_store_points_row(p, row));
  return missing_int(&cols[col], v) ? NAN : v;
}

static const char *text(const void *ctx, size_t row, size_t col, char *buf, size_t cap) {
  const lrs_store_points *p = ctx;
  size_t n;
  const lrs_field *cols = lrs_store_points_columns(p, &n);
  const void *r = lrs_store_points_row(p, row);
  if (missing_int(&cols[col], lrs_field_number(&cols[col], r))) {
    snprintf(buf, cap, "nan");
    return buf;
  }
  return lrs_field_text(&cols[col], r, buf, cap);
}

void lrs_query_table_from_store(const lrs_store_points *points, lrs_query_table *table) {
  size_t n;
  const lrs_field *cols = lrs_store_points_columns(points, &n);
  *table = (lrs_query_table){lrs_store_points_count(points), n, cols, points, number, text};
}
