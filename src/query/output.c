/* Printing rows and pivots (lrsweep/query.h). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lrsweep/query.h"
#include "query_private.h"

#define LRS__NAME(name, text) text,
const char *const lrs_query_agg_names[] = {LRS_QUERY_AGG_LIST(LRS__NAME) NULL};
#undef LRS__NAME

lrs_status lrs_query_format_parse(const char *text, lrs_query_format *format) {
  static const char *const names[] = {"table", "csv", "json"};
  for (int i = 0; i < 3; i++)
    if (strcmp(text, names[i]) == 0) {
      *format = (lrs_query_format)i;
      return LRS_OK;
    }
  return LRS_RAISE(LRS_ERR_USAGE, "--format must be table, csv or json, not '%s'", text);
}

/* A cell's text: CELL for numbers and names; a text column's (a key, a
 * message) up to TEXT bytes, and in a table escaped, up to 4 bytes each. */
enum { CELL = 320, TEXT = 4096 };

static void csv_field(FILE *out, const char *s) {
  if (!strpbrk(s, ",\"\n\r")) {
    fputs(s, out);
    return;
  }
  fputc('"', out);
  for (; *s; s++) {
    if (*s == '"')
      fputc('"', out);
    fputc(*s, out);
  }
  fputc('"', out);
}

static void json_string(FILE *out, const char *s) {
  fputc('"', out);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      fprintf(out, "\\%c", c);
    else if (c < 0x20)
      fprintf(out, "\\u%04x", c);
    else
      fputc(c, out);
  }
  fputc('"', out);
}

/* A number's text as JSON: non-finite values become null. */
static void json_number(FILE *out, const char *text) {
  if (strcmp(text, "nan") == 0 || strcmp(text, "inf") == 0 || strcmp(text, "-inf") == 0 ||
      strcmp(text, "-nan") == 0)
    fputs("null", out);
  else
    fputs(text, out);
}

/* Columns a cell takes on a terminal: its UTF-8 code points ("µs", "ℓ*"). */
static size_t text_columns(const char *s) {
  size_t n = 0;
  for (; *s; s++)
    n += ((unsigned char)*s & 0xC0) != 0x80;
  return n;
}

static int by_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* The significant digits a table prints a real column with: 6; for the
 * values of an axis, which tell points apart, more when 6 would show two
 * different values alike (a sweep over 1.0000001 and 1.0000002, a refined
 * bracket): rounding is monotone, so it is enough that neighbours in sorted
 * order read apart.  Measured values keep 6 (two rates equal to 6 digits
 * are rounded alike, as the README says).  0 for other columns. */
static lrs_status table_digits(const lrs_query_table *t, const size_t *rows, size_t n_rows,
                               size_t col, int *digits) {
  enum { READ = 6, EXACT = 17 };
  *digits = 0;
  if (t->cols[col].type != LRS_FIELD_F64)
    return LRS_OK;
  *digits = READ;
  if (!(t->cols[col].flags & LRS_FIELD_AXIS))
    return LRS_OK;
  double *v = malloc((n_rows ? n_rows : 1) * sizeof *v);
  LRS_TRY(LRS_CHECK_ALLOC(v));
  size_t n = 0;
  for (size_t r = 0; r < n_rows; r++) {
    const double x = t->number(t->ctx, rows[r], col);
    if (isfinite(x))
      v[n++] = x;
  }
  qsort(v, n, sizeof *v, by_double);
  char a[40], b[40];
  for (size_t i = 1; i < n && *digits < EXACT; i++)
    while (v[i] != v[i - 1] && *digits < EXACT &&
           strcmp(lrs_format_number(v[i - 1], *digits, a, sizeof a),
                  lrs_format_number(v[i], *digits, b, sizeof b)) == 0)
      ++*digits;
  free(v);
  return LRS_OK;
}

/* A cell of the table as it reads: a missing number (NaN, an integer's -1)
 * "-", reals with `digits` significant digits, integers and names as they
 * are, text with control characters escaped (one row stays one line). */
static const char *table_cell(const lrs_query_table *t, size_t row, size_t col, int digits,
                              char *buf, size_t cap) {
  const lrs_field *f = &t->cols[col];
  if (lrs_query_kind_of(f) == LRS_QUERY_NUMBER) {
    const double v = t->number(t->ctx, row, col);
    if (isnan(v))
      snprintf(buf, cap, "-");
    else if (f->type == LRS_FIELD_F64)
      lrs_format_number(v, digits, buf, cap);
    else
      t->text(t->ctx, row, col, buf, cap);
    return buf;
  }
  char raw[TEXT];
  lrs_escape_control(t->text(t->ctx, row, col, raw, sizeof raw), sizeof raw, buf, cap);
  return buf;
}

/* Cell c of n, padded to `width` columns (right-aligned numbers); the last
 * column of text is not padded (no trailing blanks). */
static void put_cell(FILE *out, const char *text, size_t c, size_t n, size_t width, bool right) {
  const size_t w = text_columns(text), pad = width > w ? width - w : 0;
  if (c)
    fputs("  ", out);
  if (right)
    fprintf(out, "%*s", (int)pad, "");
  fputs(text, out);
  if (!right && c + 1 < n)
    fprintf(out, "%*s", (int)pad, "");
}

lrs_status lrs_query_print(FILE *out, const lrs_query_table *t, const size_t *rows,
                           size_t n_rows, const size_t *cols, size_t n_cols,
                           lrs_query_format format) {
  char buf[4 * TEXT + 1];
  if (format == LRS_QUERY_FORMAT_JSON) {
    for (size_t r = 0; r < n_rows; r++) {
      fputc('{', out);
      for (size_t c = 0; c < n_cols; c++) {
        const lrs_field *col = &t->cols[cols[c]];
        if (c)
          fputs(", ", out);
        json_string(out, col->name);
        fputs(": ", out);
        t->text(t->ctx, rows[r], cols[c], buf, sizeof buf);
        if (lrs_query_kind_of(col) == LRS_QUERY_NUMBER)
          json_number(out, buf);
        else
          json_string(out, buf);
      }
      fputs("}\n", out);
    }
    return LRS_OK;
  }
  if (format == LRS_QUERY_FORMAT_CSV) {
    for (size_t c = 0; c < n_cols; c++) {
      if (c)
        fputc(',', out);
      csv_field(out, t->cols[cols[c]].name);
    }
    fputc('\n', out);
    for (size_t r = 0; r < n_rows; r++) {
      for (size_t c = 0; c < n_cols; c++) {
        if (c)
          fputc(',', out);
        const char *v = t->text(t->ctx, rows[r], cols[c], buf, sizeof buf);
        /* A missing number is an empty field (pandas, R and spreadsheets read NA). */
        if (lrs_query_kind_of(&t->cols[cols[c]]) == LRS_QUERY_NUMBER && strcmp(v, "nan") == 0)
          v = "";
        csv_field(out, v);
      }
      fputc('\n', out);
    }
    return LRS_OK;
  }
  /* An aligned table for reading: numbers as a person writes them
   * (table_digits), missing ones "-", text with control characters escaped;
   * widths from a first pass; numbers right-aligned. */
  size_t *width = calloc(n_cols ? n_cols : 1, sizeof *width);
  int *digits = calloc(n_cols ? n_cols : 1, sizeof *digits);
  lrs_status st = LRS_CHECK_ALLOC(width);
  if (st == LRS_OK)
    st = LRS_CHECK_ALLOC(digits);
  for (size_t c = 0; c < n_cols && st == LRS_OK; c++) {
    st = table_digits(t, rows, n_rows, cols[c], &digits[c]);
    width[c] = text_columns(t->cols[cols[c]].name);
    for (size_t r = 0; r < n_rows; r++) {
      size_t w = text_columns(table_cell(t, rows[r], cols[c], digits[c], buf, sizeof buf));
      width[c] = w > width[c] ? w : width[c];
    }
  }
  for (size_t c = 0; c < n_cols && st == LRS_OK; c++)
    put_cell(out, t->cols[cols[c]].name, c, n_cols, width[c],
             lrs_query_kind_of(&t->cols[cols[c]]) == LRS_QUERY_NUMBER);
  if (st == LRS_OK)
    fputc('\n', out);
  for (size_t r = 0; r < n_rows && st == LRS_OK; r++) {
    for (size_t c = 0; c < n_cols; c++)
      put_cell(out, table_cell(t, rows[r], cols[c], digits[c], buf, sizeof buf), c, n_cols,
               width[c], lrs_query_kind_of(&t->cols[cols[c]]) == LRS_QUERY_NUMBER);
    fputc('\n', out);
  }
  free(width);
  free(digits);
  return st;
}

/* ---- pivot -------------------------------------------------------------------------- */

typedef struct keyed {
  double key;
  size_t row;
} keyed;

static int by_key(const void *a, const void *b) {
  const keyed *x = a, *y = b;
  if (x->key != y->key)
    return x->key < y->key ? -1 : 1;
  return x->row < y->row ? -1 : x->row > y->row;
}

/* Distinct values of column `col` over rows (ascending, NaN dropped) with a
 * representative row each. */
static lrs_status distinct(const lrs_query_table *t, const size_t *rows, size_t n, size_t col,
                           double **values, size_t **reps, size_t *count) {
  keyed *k = malloc((n ? n : 1) * sizeof *k);
  *values = malloc((n ? n : 1) * sizeof **values);
  *reps = malloc((n ? n : 1) * sizeof **reps);
  if (!k || !*values || !*reps) {
    free(k);
    return LRS_RAISE(LRS_ERR_NOMEM, "out of memory for a pivot");
  }
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    double v = t->number(t->ctx, rows[i], col);
    if (!isnan(v))
      k[m++] = (keyed){v, rows[i]};
  }
  qsort(k, m, sizeof *k, by_key);
  *count = 0;
  for (size_t i = 0; i < m; i++)
    if (i == 0 || k[i].key != k[i - 1].key) {
      (*values)[*count] = k[i].key;
      (*reps)[(*count)++] = k[i].row;
    }
  free(k);
  return LRS_OK;
}

typedef struct cell_value {
  size_t cell;
  double value;
} cell_value;

static int by_cell_value(const void *a, const void *b) {
  const cell_value *x = a, *y = b;
  if (x->cell != y->cell)
    return x->cell < y->cell ? -1 : 1;
  return x->value < y->value ? -1 : x->value > y->value;
}

static size_t find_value(const double *v, size_t n, double x) {
  size_t lo = 0, hi = n;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (v[mid] < x)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < n && v[lo] == x ? lo : SIZE_MAX;
}

static lrs_status pivot_column(const lrs_query_table *t, const char *name, size_t len,
                               const char *role, size_t *col) {
  char buf[128];
  size_t n = len < sizeof buf - 1 ? len : sizeof buf - 1;
  memcpy(buf, name, n);
  buf[n] = '\0';
  long c = lrs_query_column_index(t, buf);
  if (c < 0) {
    char hint[160];
    lrs__query_suggest(t, buf, hint, sizeof hint);
    return LRS_RAISE(LRS_ERR_USAGE, "--pivot: unknown %s column '%s'%s", role, buf, hint);
  }
  *col = (size_t)c;
  return LRS_OK;
}

static lrs_status pivot_build(const lrs_query_table *t, const size_t *rows, size_t n_rows,
                              const char *spec, lrs_query_agg agg, const lrs_query_expr *pred,
                              lrs_query_pivot **out) {
  *out = NULL;
  lrs_status st = LRS_OK;
  const char *c1 = strchr(spec, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
  if (!c1 || !c2 || strchr(c2 + 1, ','))
    return LRS_RAISE(LRS_ERR_USAGE, "--pivot expects X,Y,VALUE (three column names), not '%s'",
                     spec);
  lrs_query_pivot *p = calloc(1, sizeof *p);
  cell_value *cellv = NULL;
  LRS_TRY(LRS_CHECK_ALLOC(p));
  p->agg = agg;
  LRS_TRY_GOTO(st, pivot_column(t, spec, (size_t)(c1 - spec), "X", &p->x), done);
  LRS_TRY_GOTO(st, pivot_column(t, c1 + 1, (size_t)(c2 - c1 - 1), "Y", &p->y), done);
  LRS_TRY_GOTO(st, pivot_column(t, c2 + 1, strlen(c2 + 1), "VALUE", &p->value), done);
  const bool x_text = lrs_query_kind_of(&t->cols[p->x]) == LRS_QUERY_TEXT;
  if (x_text || lrs_query_kind_of(&t->cols[p->y]) == LRS_QUERY_TEXT) {
    st = LRS_RAISE(LRS_ERR_USAGE, "--pivot: X and Y must be numeric or enum columns (%s is text)",
                   t->cols[x_text ? p->x : p->y].name);
    goto done;
  }
  if (agg != LRS_QUERY_AGG_COUNT && !(agg == LRS_QUERY_AGG_FRAC && pred) &&
      lrs_query_kind_of(&t->cols[p->value]) != LRS_QUERY_NUMBER) {
    st = LRS_RAISE(LRS_ERR_USAGE,
                   "--pivot: VALUE %s is not numeric; only --agg count, or frac with "
                   "--predicate, applies",
                   t->cols[p->value].name);
    goto done;
  }
  LRS_TRY_GOTO(st, distinct(t, rows, n_rows, p->x, &p->x_values, &p->x_rep, &p->n_x), done);
  LRS_TRY_GOTO(st, distinct(t, rows, n_rows, p->y, &p->y_values, &p->y_rep, &p->n_y), done);
  size_t n_cells = p->n_x * p->n_y;
  p->cells = malloc((n_cells ? n_cells : 1) * sizeof *p->cells);
  p->counts = calloc(n_cells ? n_cells : 1, sizeof *p->counts);
  cellv = malloc((n_rows ? n_rows : 1) * sizeof *cellv);
  if (!p->cells || !p->counts || !cellv) {
    st = LRS_RAISE(LRS_ERR_NOMEM, "out of memory for a pivot");
    goto done;
  }
  /* (cell, value) pairs sorted by cell, then value: each aggregate is one
   * pass over a cell's run, the median its middle. */
  size_t m = 0;
  for (size_t i = 0; i < n_rows; i++) {
    size_t xi = find_value(p->x_values, p->n_x, t->number(t->ctx, rows[i], p->x));
    size_t yi = find_value(p->y_values, p->n_y, t->number(t->ctx, rows[i], p->y));
    /* Count counts rows with a value (any kind: text values count). */
    double v = lrs_query_kind_of(&t->cols[p->value]) == LRS_QUERY_TEXT ? 0 : t->number(t->ctx, rows[i], p->value);
    if (agg == LRS_QUERY_AGG_FRAC) /* 1 where it holds: the mean is the share */
      v = pred ? lrs_query_eval(pred, t, rows[i]) : isnan(v) ? NAN : v != 0;
    if (xi == SIZE_MAX || yi == SIZE_MAX || isnan(v))
      continue;
    cellv[m++] = (cell_value){yi * p->n_x + xi, v};
  }
  qsort(cellv, m, sizeof *cellv, by_cell_value);
  for (size_t c = 0; c < n_cells; c++)
    p->cells[c] = agg == LRS_QUERY_AGG_COUNT ? 0 : NAN;
  for (size_t i = 0; i < m;) {
    size_t j = i;
    while (j < m && cellv[j].cell == cellv[i].cell)
      j++;
    size_t k = j - i;
    const cell_value *run = cellv + i;
    double r = 0;
    switch (agg) {
    case LRS_QUERY_AGG_COUNT:
      r = (double)k;
      break;
    case LRS_QUERY_AGG_MEAN:
    case LRS_QUERY_AGG_FRAC:
      for (size_t q = 0; q < k; q++)
        r += run[q].value;
      r /= (double)k;
      break;
    case LRS_QUERY_AGG_MIN:
      r = run[0].value;
      break;
    case LRS_QUERY_AGG_MAX:
      r = run[k - 1].value;
      break;
    case LRS_QUERY_AGG_MEDIAN:
      r = k % 2 ? run[k / 2].value : 0.5 * (run[k / 2 - 1].value + run[k / 2].value);
      break;
    case LRS_QUERY_AGG_COUNT_:
      break;
    }
    p->cells[cellv[i].cell] = r;
    p->counts[cellv[i].cell] = k;
    i = j;
  }
done:
  free(cellv);
  if (st != LRS_OK)
    lrs_query_pivot_destroy(&p);
  *out = p;
  return st;
}

lrs_status lrs_query_pivot_make(const lrs_query_table *t, const size_t *rows, size_t n_rows,
                                const char *spec, lrs_query_agg agg, lrs_query_pivot **out) {
  return pivot_build(t, rows, n_rows, spec, agg, NULL, out);
}

lrs_status lrs_query_pivot_make_frac(const lrs_query_table *t, const size_t *rows,
                                     size_t n_rows, const char *spec,
                                     const lrs_query_expr *predicate, lrs_query_pivot **out) {
  return pivot_build(t, rows, n_rows, spec, LRS_QUERY_AGG_FRAC, predicate, out);
}

void lrs_query_pivot_destroy(lrs_query_pivot **pivot) {
  if (!pivot || !*pivot)
    return;
  lrs_query_pivot *p = *pivot;
  free(p->x_values);
  free(p->y_values);
  free(p->x_rep);
  free(p->y_rep);
  free(p->cells);
  free(p->counts);
  free(p);
  *pivot = NULL;
}

void lrs__query_number_text(double v, bool table, char *buf, size_t cap) {
  if (isnan(v)) {
    snprintf(buf, cap, "%s", table ? "-" : "nan");
    return;
  }
  if (table) {
    lrs_format_number(v, 6, buf, cap);
    return;
  }
  lrs_field_format(LRS_FIELD_F64, NULL, v, buf, cap);
}

/* A pivot cell as text: a table's 6 digits (with "(n=K)" when annotated,
 * "-" when empty), or CSV's shortest round-trip decimal ("" when empty). */
static void pivot_cell_text(const lrs_query_pivot *p, size_t i, bool table, bool annotate,
                            char *buf, size_t cap) {
  double v = p->cells[i];
  if (!table && isnan(v)) {
    buf[0] = '\0';
    return;
  }
  lrs__query_number_text(v, table, buf, cap);
  if (table && annotate) {
    size_t used = strlen(buf);
    snprintf(buf + used, cap - used, " (n=%zu)", p->counts[i]);
  }
}

lrs_status lrs_query_pivot_print(FILE *out, const lrs_query_table *t, const lrs_query_pivot *p,
                                 lrs_query_format format) {
  char buf[CELL];
  const char *xn = t->cols[p->x].name, *yn = t->cols[p->y].name, *vn = t->cols[p->value].name;
  if (format == LRS_QUERY_FORMAT_JSON) {
    fputs("{\"x\": ", out);
    json_string(out, xn);
    fputs(", \"y\": ", out);
    json_string(out, yn);
    fputs(", \"value\": ", out);
    json_string(out, vn);
    fputs(", \"agg\": ", out);
    json_string(out, lrs_query_agg_names[p->agg]);
    for (int axis = 0; axis < 2; axis++) {
      size_t n = axis ? p->n_y : p->n_x, col = axis ? p->y : p->x;
      const size_t *rep = axis ? p->y_rep : p->x_rep;
      fprintf(out, ", \"%s_values\": [", axis ? "y" : "x");
      for (size_t i = 0; i < n; i++) {
        if (i)
          fputs(", ", out);
        t->text(t->ctx, rep[i], col, buf, sizeof buf);
        if (lrs_query_kind_of(&t->cols[col]) == LRS_QUERY_NUMBER)
          json_number(out, buf);
        else
          json_string(out, buf);
      }
      fputc(']', out);
    }
    fputs(", \"cells\": [", out);
    for (size_t r = 0; r < p->n_y; r++) {
      fputs(r ? ", [" : "[", out);
      for (size_t c = 0; c < p->n_x; c++) {
        lrs__query_number_text(p->cells[r * p->n_x + c], false, buf, sizeof buf);
        fputs(c ? ", " : "", out);
        json_number(out, buf);
      }
      fputc(']', out);
    }
    fputs("], \"counts\": [", out);
    for (size_t r = 0; r < p->n_y; r++) {
      fputs(r ? ", [" : "[", out);
      for (size_t c = 0; c < p->n_x; c++)
        fprintf(out, "%s%zu", c ? ", " : "", p->counts[r * p->n_x + c]);
      fputc(']', out);
    }
    fputs("]}\n", out);
    return LRS_OK;
  }
  bool table = format == LRS_QUERY_FORMAT_TABLE;
  /* Cells say how many values they hold when that differs between cells. */
  size_t n_cells = p->n_x * p->n_y;
  bool annotate = false, counted = p->agg == LRS_QUERY_AGG_COUNT; /* count: the cell is n */
  for (size_t i = 1; i < n_cells && !counted; i++)
    annotate |= p->counts[i] != p->counts[0];
  /* Header: "Y\X" then the X values; one line per Y value. */
  char corner[300];
  snprintf(corner, sizeof corner, "%s\\%s", yn, xn);
  size_t w0 = strlen(corner), wc = 1;
  for (size_t r = 0; r < p->n_y; r++) {
    size_t w = strlen(t->text(t->ctx, p->y_rep[r], p->y, buf, sizeof buf));
    w0 = w > w0 ? w : w0;
  }
  for (size_t c = 0; c < p->n_x; c++) {
    size_t w = strlen(t->text(t->ctx, p->x_rep[c], p->x, buf, sizeof buf));
    wc = w > wc ? w : wc;
  }
  for (size_t i = 0; i < n_cells; i++) {
    pivot_cell_text(p, i, table, annotate, buf, sizeof buf);
    wc = strlen(buf) > wc ? strlen(buf) : wc;
  }
  if (table) {
    fprintf(out, "# %s of %s over the other dimensions", lrs_query_agg_names[p->agg], vn);
    if (counted)
      fputc('\n', out);
    else if (annotate)
      fprintf(out, "; (n=K): the values a cell holds (missing ones left out)\n");
    else
      fprintf(out, "; n=%zu value%s per cell\n", n_cells ? p->counts[0] : 0,
              n_cells && p->counts[0] == 1 ? "" : "s");
    fprintf(out, "%-*s", (int)w0, corner);
  } else {
    csv_field(out, corner);
  }
  for (size_t c = 0; c < p->n_x; c++) {
    t->text(t->ctx, p->x_rep[c], p->x, buf, sizeof buf);
    if (table)
      fprintf(out, "  %*s", (int)wc, buf);
    else {
      fputc(',', out);
      csv_field(out, buf);
    }
  }
  fputc('\n', out);
  for (size_t r = 0; r < p->n_y; r++) {
    t->text(t->ctx, p->y_rep[r], p->y, buf, sizeof buf);
    if (table)
      fprintf(out, "%-*s", (int)w0, buf);
    else
      csv_field(out, buf);
    for (size_t c = 0; c < p->n_x; c++) {
      pivot_cell_text(p, r * p->n_x + c, table, annotate, buf, sizeof buf);
      if (table)
        fprintf(out, "  %*s", (int)wc, buf);
      else
        fprintf(out, ",%s", buf);
    }
    fputc('\n', out);
  }
  return LRS_OK;
}

lrs_status lrs_query_pivot_plot(FILE *out, const lrs_query_table *t, const lrs_query_pivot *p) {
  static const char shades[] = " .:-=+*#%@";
  const int levels = (int)sizeof shades - 1;
  double lo = INFINITY, hi = -INFINITY;
  for (size_t i = 0; i < p->n_x * p->n_y; i++)
    if (isfinite(p->cells[i])) {
      lo = fmin(lo, p->cells[i]);
      hi = fmax(hi, p->cells[i]);
    }
  const bool log_scale = lo > 0 && hi / lo > 100.0;
  char buf[CELL];
  /* Every column as wide as its widest x label (at least 3). */
  size_t width = 3, label = strlen(t->cols[p->y].name);
  for (size_t c = 0; c < p->n_x; c++) {
    t->text(t->ctx, p->x_rep[c], p->x, buf, sizeof buf);
    width = strlen(buf) > width ? strlen(buf) : width;
  }
  for (size_t r = 0; r < p->n_y; r++) {
    t->text(t->ctx, p->y_rep[r], p->y, buf, sizeof buf);
    label = strlen(buf) > label ? strlen(buf) : label;
  }
  fprintf(out, "# %s of %s: rows %s, columns %s\n", lrs_query_agg_names[p->agg],
          t->cols[p->value].name, t->cols[p->y].name, t->cols[p->x].name);
  for (size_t r = p->n_y; r-- > 0;) { /* largest y on top, as on a plot */
    t->text(t->ctx, p->y_rep[r], p->y, buf, sizeof buf);
    fprintf(out, "%*s |", (int)label, buf);
    for (size_t c = 0; c < p->n_x; c++) {
      double v = p->cells[r * p->n_x + c];
      char ch = '?';
      if (isfinite(v)) {
        double f = hi > lo ? (log_scale ? log(v / lo) / log(hi / lo) : (v - lo) / (hi - lo)) : 1.0;
        int k = (int)(f * (levels - 1) + 0.5);
        ch = shades[k < 0 ? 0 : k >= levels ? levels - 1 : k];
      }
      fputc(' ', out);
      for (size_t w = 0; w < width; w++)
        fputc(ch, out);
    }
    fputs(" |\n", out);
  }
  fprintf(out, "%*s  ", (int)label, t->cols[p->y].name[0] ? "" : "");
  for (size_t c = 0; c < p->n_x; c++) {
    t->text(t->ctx, p->x_rep[c], p->x, buf, sizeof buf);
    fprintf(out, " %*s", (int)width, buf);
  }
  fprintf(out, "   (%s)\n", t->cols[p->x].name);
  char lo_text[32], hi_text[32];
  fprintf(out, "# shade: '%c' %s ... '%c' %s%s; '?' none (no value in the cell: never "
               "reached, not fitted or not applicable)\n",
          shades[0], lrs_format_number(lo, 4, lo_text, sizeof lo_text), shades[levels - 1],
          lrs_format_number(hi, 4, hi_text, sizeof hi_text), log_scale ? " (log scale)" : "");
  return LRS_OK;
}
