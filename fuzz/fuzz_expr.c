/*
 * fuzz_expr — libFuzzer target for the query language (--where, --predicate,
 * [refine] predicate; src/query/expr.c).
 *
 * Parses the input (NUL-terminated copy) over a fixed table of a number, an
 * enum and a text column and, when it is accepted, evaluates it on every row.
 * Checks: a refused input leaves no expression and a message naming its
 * column position or the length limit; an accepted one evaluates without
 * touching anything out of bounds (the sanitizers) and deterministically.
 */
#include "lrsweep/query.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const statuses[] = {"pending", "converged", "diverged", NULL};
static const double widths[] = {8, 16, NAN, INFINITY};
static const char *const keys[] = {"a", "width=16", "", "x\"y"};

static double number(const void *ctx, size_t row, size_t col) {
  (void)ctx;
  return col == 0 ? widths[row] : col == 1 ? (double)(row % 3) : NAN;
}

static const char *text(const void *ctx, size_t row, size_t col, char *buf, size_t cap) {
  (void)ctx;
  if (col == 2)
    snprintf(buf, cap, "%s", keys[row]);
  else if (col == 1)
    snprintf(buf, cap, "%s", statuses[row % 3]);
  else
    snprintf(buf, cap, "%g", widths[row]);
  return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const lrs_field cols[] = {{.name = "width", .type = LRS_FIELD_F64},
                                   {.name = "status", .type = LRS_FIELD_ENUM, .names = statuses},
                                   {.name = "key", .type = LRS_FIELD_TEXT}};
  const lrs_query_table table = {4, 3, cols, NULL, number, text};
  char *expr_text = malloc(size + 1);
  if (!expr_text)
    return 0;
  memcpy(expr_text, data, size);
  expr_text[size] = '\0';
  lrs_query_expr *expr = NULL;
  lrs_error_clear();
  lrs_status st = lrs_query_parse(expr_text, &table, &expr);
  if (st != LRS_OK) {
    const char *msg = lrs_error_message();
    if (expr || (!strstr(msg, ": column ") && st != LRS_ERR_NOMEM))
      abort();
  } else {
    for (size_t row = 0; row < table.n_rows; row++)
      if (lrs_query_eval(expr, &table, row) != lrs_query_eval(expr, &table, row))
        abort();
    lrs_query_expr_destroy(&expr);
  }
  free(expr_text);
  return 0;
}
