/* A store's points table seen as a query table (lrsweep/query.h).  The only
 * place the query room touches the store, through its reader. */
#include "lrsweep/query.h"
#include "lrsweep/store.h"

static double number(const void *ctx, size_t row, size_t col) {
  const lrs_store_points *p = ctx;
  size_t n;
  const lrs_field *cols = lrs_store_points_columns(p, &n);
  return lrs_field_number(&cols[col], lrs_store_points_row(p, row));
}

static const char *text(const void *ctx, size_t row, size_t col, char *buf, size_t cap) {
  const lrs_store_points *p = ctx;
  size_t n;
  const lrs_field *cols = lrs_store_points_columns(p, &n);
  return lrs_field_text(&cols[col], lrs_store_points_row(p, row), buf, cap);
}

void lrs_query_table_from_store(const lrs_store_points *points, lrs_query_table *table) {
  size_t n;
  const lrs_field *cols = lrs_store_points_columns(points, &n);
  *table = (lrs_query_table){lrs_store_points_count(points), n, cols, points, number, text};
}
