/* The query room on in-memory rows, without HDF5: the --where language,
 * --select, output formats and pivots (lrsweep/query.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lrs_test.h"
#include "lrsweep/query.h"

/* 3 widths × 3 losses × 3 seeds; column order: width, loss, seed, rate, key. */
static const char *const losses[] = {"squared", "logistic", "huber", NULL};
static const lrs_field cols[] = {{.name = "width", .type = LRS_FIELD_I64},
                                 {.name = "loss", .type = LRS_FIELD_ENUM, .names = losses},
                                 {.name = "seed", .type = LRS_FIELD_I64},
                                 {.name = "rate", .type = LRS_FIELD_F64},
                                 {.name = "key", .type = LRS_FIELD_TEXT}};
enum { N_ROWS = 27 };
static const double widths[] = {100, 1000, 4000};

typedef struct row {
  double width, loss, seed, rate;
  char key[64];
} row;
static row rows[N_ROWS];

static void make_rows(void) {
  for (int i = 0; i < N_ROWS; i++) {
    row *r = &rows[i];
    r->width = widths[i / 9];
    r->loss = (i / 3) % 3;
    r->seed = i % 3;
    /* Dyadic rates (exact sums and means); Huber at width 100 has none. */
    r->rate = r->width == 100 && r->loss == 2 ? NAN
                                              : 0.25 * r->loss + 0.5 * (i / 9) + 0.125 * r->seed;
    snprintf(r->key, sizeof r->key, "loss=%s,seed=%g,width=%g", losses[(int)r->loss], r->seed,
             r->width);
  }
}

static double number(const void *ctx, size_t i, size_t c) {
  (void)ctx;
  const row *r = &rows[i];
  const double v[] = {r->width, r->loss, r->seed, r->rate, NAN};
  return v[c];
}

static const char *text(const void *ctx, size_t i, size_t c, char *buf, size_t cap) {
  (void)ctx;
  const row *r = &rows[i];
  if (c == 1)
    snprintf(buf, cap, "%s", losses[(int)r->loss]);
  else if (c == 4)
    snprintf(buf, cap, "%s", r->key);
  else if (isnan(number(ctx, i, c)))
    snprintf(buf, cap, "nan");
  else
    snprintf(buf, cap, "%.17g", number(ctx, i, c));
  if (c == 3 && !isnan(r->rate)) /* shortest round trip, as the store prints */
    for (int prec = 1; prec <= 17; prec++) {
      snprintf(buf, cap, "%.*g", prec, r->rate);
      if (strtod(buf, NULL) == r->rate)
        break;
    }
  return buf;
}

static const lrs_query_table table = {N_ROWS, 5, cols, NULL, number, text};

/* Which rows `where` selects, as a bit mask. */
static unsigned long long selected(const char *where) {
  lrs_query_expr *e = NULL;
  if (lrs_query_parse(where, &table, &e) != LRS_OK) {
    printf("# parse failed: %s\n", lrs_error_message());
    return ~0ULL;
  }
  unsigned long long mask = 0;
  for (size_t i = 0; i < N_ROWS; i++)
    if (lrs_query_eval(e, &table, i))
      mask |= 1ULL << i;
  lrs_query_expr_destroy(&e);
  return mask;
}

static unsigned long long mask_of(bool (*pred)(const row *)) {
  unsigned long long m = 0;
  for (int i = 0; i < N_ROWS; i++)
    if (pred(&rows[i]))
      m |= 1ULL << i;
  return m;
}

static bool p_issue(const row *r) {
  return (r->loss == 0 && r->width >= 1000) || !(r->rate < 0.5);
}
static bool p_prec(const row *r) { return r->seed == 0 || (r->seed == 1 && r->width == 100); }
static bool p_paren(const row *r) { return (r->seed == 0 || r->seed == 1) && r->width == 100; }
static bool p_lt(const row *r) { return r->rate < 10; }
static bool p_ne(const row *r) { return !(r->rate == 0.5); }
static bool p_key(const row *r) { return strcmp(r->key, "loss=huber,seed=2,width=4000") == 0; }
static bool p_not_enum(const row *r) { return r->loss != 1 && r->seed <= 1.5; }
static bool p_wide(const row *r) { return r->width >= 2500; }
static bool p_bare(const row *r) { return r->seed != 0; }
static bool p_arith(const row *r) { return r->width / 100 + 1 >= 11 - r->seed * 2; }
static bool p_neg(const row *r) { return -r->rate < -1; }
static bool p_thousand(const row *r) { return r->width == 1000; }
static bool p_words(const row *r) {
  return (!(r->seed == 0) && r->loss == 0) || r->width == 4000;
}
static bool p_abs(const row *r) { return r->seed != 1; }
static bool p_all(const row *r) {
  (void)r;
  return true;
}

static void test_where(void) {
  LRS_CHECK(selected("loss == \"squared\" && width >= 1000 || !(rate < 0.5)") == mask_of(p_issue),
            "the issue's example: && binds tighter than ||, ! negates a parenthesis");
  LRS_CHECK(selected("seed == 0 || seed == 1 && width == 100") == mask_of(p_prec),
            "a || b && c is a || (b && c)");
  LRS_CHECK(selected("(seed == 0 || seed == 1) && width == 100") == mask_of(p_paren),
            "parentheses group");
  LRS_CHECK(selected("rate < 10") == mask_of(p_lt), "NaN fails <");
  LRS_CHECK(selected("rate != 0.5") == mask_of(p_ne), "NaN passes !=");
  LRS_CHECK(selected("key == 'loss=huber,seed=2,width=4000'") == mask_of(p_key),
            "text columns compare with strings (single quotes too)");
  LRS_CHECK(selected("loss != \"logistic\" && !(seed > 1.5)") == mask_of(p_not_enum),
            "enum != name, fractional numbers");
  LRS_CHECK(selected("seed") == mask_of(p_bare), "a bare column is true when non-zero");
  LRS_CHECK(selected("true || rate == nan") == mask_of(p_all), "true, nan literals");
  LRS_CHECK(selected("  2.5e3 <= width  ") == mask_of(p_wide),
            "a number on the left, exponent notation, spaces");
  /* Arithmetic: * and / bind tighter than + and -, both left-associative. */
  LRS_CHECK(selected("width / 100 + 1 >= 11 - seed * 2") == mask_of(p_arith),
            "arithmetic: * / before + -");
  LRS_CHECK(selected("width - 100 - 900 == 0") == mask_of(p_thousand) &&
                selected("width / 10 / 10 == 10") == mask_of(p_thousand),
            "- and / associate to the left");
  LRS_CHECK(selected("-rate < -1") == mask_of(p_neg) && selected("- -width == 1000") ==
                mask_of(p_thousand), "unary minus, on columns and literals");
  LRS_CHECK(selected("log10(width) == 3") == mask_of(p_thousand) &&
                selected("abs(seed - 1) == 1") == mask_of(p_abs),
            "log10 and abs");
  LRS_CHECK(selected("not (seed == 0) and loss == 'squared' or width == 4000") ==
                    mask_of(p_words) &&
                selected("!(seed == 0) && loss == 'squared' || width == 4000") == mask_of(p_words),
            "and/or/not spell &&/||/! with the same precedence");
}

/* Parses `where`, expects failure with a message containing `want`. */
static bool fails_with(const char *where, const char *want) {
  lrs_query_expr *e = NULL;
  lrs_status st = lrs_query_parse(where, &table, &e);
  bool ok = st == LRS_ERR_USAGE && e == NULL && strstr(lrs_error_message(), want) != NULL &&
            strchr(lrs_error_message(), '\n') == NULL;
  if (!ok)
    printf("# %s -> %s\n", where, lrs_error_message());
  return ok;
}

static void test_errors(void) {
  LRS_CHECK(fails_with("widht > 3", "column 1: unknown column 'widht'; did you mean 'width'?"),
            "unknown column, with position and suggestion");
  LRS_CHECK(fails_with("width >= ", "column 10: expected a value after '>=', found the end"),
            "missing right operand points past the end");
  LRS_CHECK(fails_with("loss == \"sqared\"",
                       "column 9: 'sqared' is not a value of loss; did you mean 'squared'? "
                       "(values: squared, logistic, huber)"),
            "unknown enum value lists the values");
  LRS_CHECK(fails_with("loss < \"squared\"", "column 6: loss is an enum column: compare it with == or !="),
            "enums do not order");
  LRS_CHECK(fails_with("loss == 1", "loss is an enum column: compare it with a quoted name"),
            "enum against a number");
  LRS_CHECK(fails_with("seed < loss", "loss is an enum column"), "a number against an enum column");
  LRS_CHECK(fails_with("width == \"x\"", "column 10: cannot compare width with a string"),
            "number column against a string");
  LRS_CHECK(fails_with("(width > 3", "column 11: expected ')' to close the '(' at column 1"),
            "unclosed parenthesis");
  LRS_CHECK(fails_with("width = 3", "column 7: '=' alone is not an operator; use '=='"),
            "single =");
  LRS_CHECK(fails_with("width > 3 3", "column 11: unexpected a number"), "trailing token");
  LRS_CHECK(fails_with("width > 1 < 2", "column 11: comparisons do not chain"), "chained comparison");
  LRS_CHECK(fails_with("width > 1 && ", "column 14: expected a number, string, column or '('"),
            "dangling &&");
  LRS_CHECK(fails_with("(width > 1) < 2", "compares values, not conditions"),
            "comparing a condition");
  LRS_CHECK(fails_with("width # 3", "column 7: unexpected character '#'"), "bad character");
  LRS_CHECK(fails_with("\"open", "column 1: unterminated string"), "unterminated string");
  LRS_CHECK(fails_with("", "empty expression"), "empty");
  LRS_CHECK(fails_with("loss + 1 > 0", "column 1: '+' takes numbers; loss is an enum column"),
            "arithmetic on an enum");
  LRS_CHECK(fails_with("(width > 1) * 2 > 0", "column 8: '*' takes numbers, not a condition"),
            "arithmetic on a condition");
  LRS_CHECK(fails_with("key", "column 1: --where takes conditions, not text"), "text alone");
  LRS_CHECK(fails_with("logg(width) > 1", "column 1: unknown function 'logg'"), "unknown function");
  LRS_CHECK(fails_with("width > 1 and", "column 14: expected a number, string, column or '('"),
            "dangling and");
  LRS_CHECK(fails_with("width * ", "column 9: expected a value after '*', found the end"),
            "dangling *");
  char deep[200];
  snprintf(deep, sizeof deep, "%s1 > 0", "----------------------------------------------------"
                                        "-------------");
  LRS_CHECK(fails_with(deep, "column 65: more than 64 nested"), "65 unary '-' refused");
}

static char *capture(lrs_query_format fmt, const size_t *sel, size_t n_sel, const char *cols_list) {
  char *out = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&out, &len);
  size_t *c = NULL, nc = 0;
  if (lrs_query_select(&table, cols_list, &c, &nc) == LRS_OK)
    lrs_query_print(f, &table, sel, n_sel, c, nc, fmt);
  free(c);
  fclose(f);
  return out;
}

static void test_output(void) {
  size_t sel[] = {0, 8, 26};
  char *csv = capture(LRS_QUERY_FORMAT_CSV, sel, 3, "width, loss,key,rate");
  LRS_CHECK(strcmp(csv, "width,loss,key,rate\n"
                        "100,squared,\"loss=squared,seed=0,width=100\",0\n"
                        "100,huber,\"loss=huber,seed=2,width=100\",\n"
                        "4000,huber,\"loss=huber,seed=2,width=4000\",1.75\n") == 0,
            "csv: header, quoted fields with commas, a missing number empty");
  free(csv);
  char *json = capture(LRS_QUERY_FORMAT_JSON, sel + 1, 2, "loss,rate,seed");
  LRS_CHECK(strcmp(json, "{\"loss\": \"huber\", \"rate\": null, \"seed\": 2}\n"
                         "{\"loss\": \"huber\", \"rate\": 1.75, \"seed\": 2}\n") == 0,
            "json lines: enums as strings, NaN as null");
  free(json);
  char *tab = capture(LRS_QUERY_FORMAT_TABLE, sel, 3, "width,loss,rate");
  LRS_CHECK(strcmp(tab, "width  loss     rate\n"
                        "  100  squared     0\n"
                        "  100  huber       -\n"
                        " 4000  huber    1.75\n") == 0,
            "table: aligned, numbers to the right, a missing one '-'");
  free(tab);
  size_t *c = NULL, nc = 0;
  LRS_CHECK(lrs_query_select(&table, "width,lost", &c, &nc) == LRS_ERR_USAGE &&
                strstr(lrs_error_message(), "unknown column 'lost'; did you mean 'loss'?"),
            "--select: unknown column suggests: %s", lrs_error_message());
  lrs_query_format f;
  LRS_CHECK(lrs_query_format_parse("xml", &f) == LRS_ERR_USAGE &&
                lrs_query_format_parse("csv", &f) == LRS_OK && f == LRS_QUERY_FORMAT_CSV,
            "formats");
}

static void test_pivot(void) {
  size_t all[N_ROWS];
  for (size_t i = 0; i < N_ROWS; i++)
    all[i] = i;
  lrs_query_pivot *p = NULL;
  bool built = lrs_query_pivot_make(&table, all, N_ROWS, "width,loss,rate", LRS_QUERY_AGG_MEAN,
                                    &p) == LRS_OK;
  if (!LRS_CHECK(built && p->n_x == 3 && p->n_y == 3, "pivot width × loss builds: %s",
                 lrs_error_message()))
    return;
  bool mean_ok = true;
  for (int l = 0; l < 3; l++)
    for (int w = 0; w < 3; w++) {
      double sum = 0;
      int n = 0;
      for (int s = 0; s < 3; s++) {
        double r = rows[w * 9 + l * 3 + s].rate;
        if (!isnan(r)) {
          sum += r;
          n++;
        }
      }
      double want = n ? sum / n : NAN, got = p->cells[l * 3 + w];
      mean_ok &= (isnan(want) && isnan(got)) || got == want;
    }
  LRS_CHECK(mean_ok && p->x_values[2] == 4000 && p->y_values[1] == 1,
            "mean over seeds matches, axes ascending, an all-NaN cell is NaN");
  char *out = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&out, &len);
  lrs_query_pivot_print(f, &table, p, LRS_QUERY_FORMAT_CSV);
  fclose(f);
  LRS_CHECK(strcmp(out, "loss\\width,100,1000,4000\n"
                        "squared,0.125,0.625,1.125\n"
                        "logistic,0.375,0.875,1.375\n"
                        "huber,,1.125,1.625\n") == 0,
            "pivot csv: rows Y, columns X, an empty cell empty");
  free(out);
  f = open_memstream(&out, &len);
  lrs_query_pivot_print(f, &table, p, LRS_QUERY_FORMAT_JSON);
  fclose(f);
  LRS_CHECK(strstr(out, "\"x_values\": [100, 1000, 4000], \"y_values\": [\"squared\", \"logistic\", \"huber\"]") &&
                strstr(out, "[null, 1.125, 1.625]"),
            "pivot json: values and null cells");
  LRS_CHECK(strstr(out, "\"counts\": [[3, 3, 3], [3, 3, 3], [0, 3, 3]]"),
            "pivot json: the values of each cell (huber at width 100 has none)");
  free(out);
  f = open_memstream(&out, &len);
  lrs_query_pivot_print(f, &table, p, LRS_QUERY_FORMAT_TABLE);
  fclose(f);
  LRS_CHECK(strstr(out, "loss\\width          100         1000         4000") &&
                strstr(out, "huber           - (n=0)  1.125 (n=3)  1.625 (n=3)") &&
                strstr(out, "(n=K): the values a cell holds"),
            "pivot table: header, '-' for empty cells, each cell's count when they differ:\n%s",
            out);
  free(out);
  lrs_query_pivot_destroy(&p);
  /* frac: the share of a cell's rows where rate > 0.6, counted here by hand;
   * a NaN rate does not satisfy it but counts as a row. */
  lrs_query_expr *pred = NULL;
  bool frac_ok = lrs_query_parse("rate > 0.6", &table, &pred) == LRS_OK &&
                 lrs_query_pivot_make_frac(&table, all, N_ROWS, "width,loss,seed", pred, &p) ==
                     LRS_OK;
  for (int l = 0; frac_ok && l < 3; l++)
    for (int w = 0; w < 3; w++) {
      int hold = 0;
      for (int s = 0; s < 3; s++)
        hold += rows[w * 9 + l * 3 + s].rate > 0.6;
      frac_ok &= p->cells[l * 3 + w] == hold / 3.0 && p->counts[l * 3 + w] == 3;
    }
  LRS_CHECK(frac_ok, "frac: the share of each cell's rows where the predicate holds");
  lrs_query_pivot_destroy(&p);
  lrs_query_expr_destroy(&pred);
  const lrs_query_agg aggs[] = {LRS_QUERY_AGG_MEDIAN, LRS_QUERY_AGG_MIN, LRS_QUERY_AGG_MAX,
                                LRS_QUERY_AGG_COUNT};
  /* Cell (width 1000, logistic): rates 0.75, 0.875, 1. */
  const double want[] = {0.875, 0.75, 1.0, 3};
  bool aggs_ok = true;
  for (int a = 0; a < 4; a++) {
    aggs_ok &= lrs_query_pivot_make(&table, all, N_ROWS, "width,loss,rate", aggs[a], &p) == LRS_OK &&
               p->cells[1 * 3 + 1] == want[a];
    if (a == 3)
      aggs_ok &= p->cells[2 * 3 + 0] == 0; /* huber at 100: no rates */
    lrs_query_pivot_destroy(&p);
  }
  LRS_CHECK(aggs_ok, "median, min, max, count of a cell");
  size_t some[] = {0, 1, 3, 4};
  LRS_CHECK(lrs_query_pivot_make(&table, some, 4, "seed,loss,rate", LRS_QUERY_AGG_MEDIAN, &p) == LRS_OK &&
                p->n_x == 2 && p->n_y == 2 && p->cells[1 * 2 + 1] == 0.375,
            "a pivot over filtered rows only");
  lrs_query_pivot_destroy(&p);
  LRS_CHECK(lrs_query_pivot_make(&table, all, N_ROWS, "width,loss", LRS_QUERY_AGG_MEAN, &p) ==
                    LRS_ERR_USAGE &&
                strstr(lrs_error_message(), "X,Y,VALUE"),
            "a pivot needs three columns");
  LRS_CHECK(lrs_query_pivot_make(&table, all, N_ROWS, "key,loss,rate", LRS_QUERY_AGG_MEAN, &p) ==
                    LRS_ERR_USAGE &&
                strstr(lrs_error_message(), "key is text"),
            "text columns cannot be pivot axes");
  LRS_CHECK(lrs_query_pivot_make(&table, all, N_ROWS, "width,lost,rate", LRS_QUERY_AGG_MEAN, &p) ==
                    LRS_ERR_USAGE &&
                strstr(lrs_error_message(), "unknown Y column 'lost'"),
            "unknown pivot column");
}

int main(void) {
  make_rows();
  test_where();
  test_errors();
  test_output();
  test_pivot();
  return lrs_test_done();
}
