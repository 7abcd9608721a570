/* `lrsweep query`: filter, select and pivot the points of a store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lrsweep/query.h"
#include "lrsweep/store.h"

/* index, the axes, status, final_loss, rate, iterations. */
static lrs_status default_columns(const lrs_store_points *pts, size_t **cols, size_t *n) {
  size_t nc;
  const lrs_field *c = lrs_store_points_columns(pts, &nc);
  *cols = malloc((nc + 1) * sizeof **cols);
  LRS_TRY(LRS_CHECK_ALLOC(*cols));
  *n = 0;
  static const char *const tail[] = {"status", "final_loss", "rate", "iterations"};
  for (size_t i = 0; i < nc; i++)
    if (strcmp(c[i].name, "index") == 0 || (c[i].flags & LRS_FIELD_AXIS))
      (*cols)[(*n)++] = i;
  for (size_t k = 0; k < sizeof tail / sizeof tail[0]; k++)
    for (size_t i = 0; i < nc; i++)
      if (strcmp(c[i].name, tail[k]) == 0)
        (*cols)[(*n)++] = i;
  return LRS_OK;
}

/* `--boundary AXIS`: the predicate (given, or the stored sweep's [refine]
 * one) and scale (the [refine] scale for its axis, else the axis's own). */
static lrs_status boundary_setup(lrs_store *store, size_t sweep, const lrs_store_points *pts,
                                 const char *axis, const char **predicate, bool *log_scale,
                                 lrs_config **cfg) {
  LRS_TRY(lrs_store_load_config(store, sweep, cfg));
  const lrs_field *col = lrs_store_points_column(pts, axis);
  if (!col || !(col->flags & LRS_FIELD_AXIS)) {
    size_t nc, n = 0;
    const lrs_field *c = lrs_store_points_columns(pts, &nc);
    const char *axes[64];
    for (size_t i = 0; i < nc && n < 64; i++)
      if (c[i].flags & LRS_FIELD_AXIS)
        axes[n++] = c[i].name;
    const char *pick = lrs_closest_name(axis, strlen(axis), lrs_name_in_array, axes, n);
    return LRS_RAISE(LRS_ERR_USAGE, "--boundary %s: not an axis of sweep '%s'%s%s%s", axis,
                     lrs_config_name(*cfg), pick ? "; did you mean '" : "", pick ? pick : "",
                     pick ? "'?" : "");
  }
  const lrs_refine_options *r = lrs_config_refine(*cfg);
  *log_scale = false;
  for (size_t a = 0; a < lrs_config_axis_count(*cfg); a++)
    if (strcmp(lrs_config_axis(*cfg, a)->param->name, axis) == 0)
      *log_scale = r->bisect && r->axis == a ? r->log_scale : lrs_config_axis(*cfg, a)->log_scale;
  if (!*predicate) {
    if (!r->bisect)
      return LRS_RAISE(LRS_ERR_USAGE,
                       "--boundary needs --predicate EXPR (sweep '%s' has no [refine] predicate)",
                       lrs_config_name(*cfg));
    *predicate = r->predicate;
  }
  return LRS_OK;
}

/* The cells of a boundary: every axis but `axis`. */
static lrs_status other_axes(const lrs_store_points *pts, const char *axis, size_t **cols,
                             size_t *n) {
  size_t nc;
  const lrs_field *c = lrs_store_points_columns(pts, &nc);
  *cols = malloc((nc + 1) * sizeof **cols);
  LRS_TRY(LRS_CHECK_ALLOC(*cols));
  *n = 0;
  for (size_t i = 0; i < nc; i++)
    if ((c[i].flags & LRS_FIELD_AXIS) && strcmp(c[i].name, axis) != 0)
      (*cols)[(*n)++] = i;
  return LRS_OK;
}

/* `--where 'step_size == 0.002'` that no axis value equals: said on stderr,
 * with the nearest value (the output stays what the filter gives). */
static lrs_status note_unmatched(const lrs_store_points *pts, const lrs_query_expr *expr,
                                 const lrs_query_table *table) {
  size_t nc;
  const lrs_field *c = lrs_store_points_columns(pts, &nc);
  bool *axis = calloc(nc + 1, sizeof *axis);
  LRS_TRY(LRS_CHECK_ALLOC(axis));
  for (size_t i = 0; i < nc && i < table->n_cols; i++)
    axis[i] = (c[i].flags & LRS_FIELD_AXIS) != 0;
  lrs_query_note_unmatched(stderr, expr, table, axis);
  free(axis);
  return LRS_OK;
}

static int query(int argc, char **argv) {
  const char *path = NULL, *name = NULL, *select = NULL, *where = NULL, *pivot = NULL;
  const char *boundary = NULL, *predicate = NULL;
  const char *format_text = "table", *agg_text = "mean";
  bool plot = false, all_rows = false;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--plot") == 0) {
      plot = true;
      continue;
    }
    if (strcmp(argv[i], "--all-rows") == 0) {
      all_rows = true;
      continue;
    }
    const char *opts[] = {"--sweep", "--select", "--where",    "--format",
                          "--pivot", "--agg",    "--boundary", "--predicate"};
    const char **dest[] = {&name,  &select,   &where,     &format_text,
                           &pivot, &agg_text, &boundary, &predicate};
    bool matched = false;
    for (size_t k = 0; k < sizeof opts / sizeof opts[0] && !matched; k++) {
      size_t len = strlen(opts[k]);
      if (strcmp(argv[i], opts[k]) == 0) {
        if (i + 1 >= argc)
          return lrs_cli_usage_error("query", "%s needs a value", opts[k]);
        *dest[k] = argv[++i];
        matched = true;
      } else if (strncmp(argv[i], opts[k], len) == 0 && argv[i][len] == '=') {
        *dest[k] = argv[i] + len + 1;
        matched = true;
      }
    }
    if (matched)
      continue;
    if (argv[i][0] == '-' && argv[i][1])
      return lrs_cli_bad_option(&lrs_cli_query, argv[i], i + 1 == argc);
    if (path)
      return lrs_cli_usage_error("query", "expected one store, got '%s' and '%s'", path,
                                  argv[i]);
    path = argv[i];
  }
  if (!path)
    return lrs_cli_usage_error("query", "expected a store (an .h5 file)");
  lrs_query_format format;
  lrs_status st = lrs_query_format_parse(format_text, &format);
  if (st != LRS_OK)
    return lrs_cli_usage_error("query", "%s", lrs_error_message());
  int agg = lrs_name_lookup(lrs_query_agg_names, agg_text);
  if (agg < 0)
    return lrs_cli_usage_error("query",
                               "--agg must be mean, median, min, max, count or frac, not '%s'",
                               agg_text);
  if (all_rows && !pivot)
    return lrs_cli_usage_error("query", "--all-rows goes with --pivot (other queries see "
                                        "every row)");
  if (plot && !pivot)
    return lrs_cli_usage_error("query", "--plot draws a --pivot: give --pivot X,Y,VALUE");
  if (pivot && select)
    return lrs_cli_usage_error("query", "--pivot and --select exclude each other");
  if (boundary && (pivot || select))
    return lrs_cli_usage_error("query", "--boundary excludes --pivot and --select");
  if (predicate && !boundary && !(pivot && agg == LRS_QUERY_AGG_FRAC))
    return lrs_cli_usage_error("query", "--predicate goes with --boundary AXIS or --agg frac");

  lrs_store *store = NULL;
  lrs_store_points *pts = NULL;
  lrs_query_expr *expr = NULL, *in_scope = NULL;
  lrs_query_pivot *pv = NULL;
  lrs_query_expr *holds = NULL;
  lrs_query_boundary *bd = NULL;
  lrs_config *cfg = NULL;
  size_t *rows = NULL, *cols = NULL, n_rows = 0, n_cols = 0, sweep = 0;
  lrs_query_table table;
  LRS_TRY_GOTO(st, lrs_store_open(path, &store), done);
  LRS_TRY_GOTO(st, lrs_store_find_sweep(store, name, &sweep), done);
  LRS_TRY_GOTO(st, lrs_store_read_points(store, sweep, &pts), done);
  lrs_query_table_from_store(pts, &table);
  /* The rows a boundary or a pivot is over, besides --where's: a boundary's
   * the computed points, a pivot's the grid's own rows, as the heatmaps are
   * (refinement rows sit off the grid and would add sparse columns;
   * --all-rows).  Filtered apart from --where, so that its errors name its
   * own columns and its limits are the user's. */
  const char *scope = boundary ? "status != \"pending\""
                      : pivot && !all_rows && lrs_query_column_index(&table, "origin") >= 0
                          ? "origin == \"grid\""
                          : NULL;
  if (where) {
    LRS_TRY_GOTO(st, lrs_query_parse(where, &table, &expr), done);
    LRS_TRY_GOTO(st, note_unmatched(pts, expr, &table), done);
  }
  LRS_TRY_GOTO(st, lrs_query_filter(expr, &table, &rows, &n_rows), done);
  if (scope) {
    LRS_TRY_GOTO(st, lrs_query_parse(scope, &table, &in_scope), done);
    size_t kept = 0;
    for (size_t r = 0; r < n_rows; r++)
      if (lrs_query_eval(in_scope, &table, rows[r]))
        rows[kept++] = rows[r];
    n_rows = kept;
  }
  if (boundary) {
    bool log_scale = false;
    const bool given = predicate != NULL;
    LRS_TRY_GOTO(st, boundary_setup(store, sweep, pts, boundary, &predicate, &log_scale, &cfg),
                 done);
    LRS_TRY_GOTO(st,
                 lrs_query_parse_as(given ? "--predicate" : "[refine] predicate", predicate,
                                    &table, &holds),
                 done);
    LRS_TRY_GOTO(st, other_axes(pts, boundary, &cols, &n_cols), done);
    LRS_TRY_GOTO(st, lrs_query_boundary_make(&table, rows, n_rows,
                                             (size_t)lrs_query_column_index(&table, boundary),
                                             cols, n_cols, holds, log_scale, &bd),
                 done);
    LRS_TRY_GOTO(st, lrs_query_boundary_print(stdout, &table, bd, format), done);
  } else if (pivot) {
    if (predicate)
      LRS_TRY_GOTO(st, lrs_query_parse_as("--predicate", predicate, &table, &holds), done);
    if (agg == LRS_QUERY_AGG_FRAC)
      LRS_TRY_GOTO(st, lrs_query_pivot_make_frac(&table, rows, n_rows, pivot, holds, &pv), done);
    else
      LRS_TRY_GOTO(st,
                   lrs_query_pivot_make(&table, rows, n_rows, pivot, (lrs_query_agg)agg, &pv),
                   done);
    LRS_TRY_GOTO(st, plot ? lrs_query_pivot_plot(stdout, &table, pv)
                          : lrs_query_pivot_print(stdout, &table, pv, format),
                 done);
  } else {
    if (select)
      LRS_TRY_GOTO(st, lrs_query_select(&table, select, &cols, &n_cols), done);
    else
      LRS_TRY_GOTO(st, default_columns(pts, &cols, &n_cols), done);
    LRS_TRY_GOTO(st, lrs_query_print(stdout, &table, rows, n_rows, cols, n_cols, format), done);
  }
done:
  lrs_query_boundary_destroy(&bd);
  lrs_query_expr_destroy(&holds);
  lrs_config_destroy(&cfg);
  lrs_query_pivot_destroy(&pv);
  lrs_query_expr_destroy(&expr);
  lrs_query_expr_destroy(&in_scope);
  free(rows);
  free(cols);
  lrs_store_points_destroy(&pts);
  lrs_store_close(&store);
  return st == LRS_OK ? LRS_EXIT_OK : lrs_cli_fail(st);
}

const lrs_cli_command lrs_cli_query = {
    "query", "filter, select and pivot the points of a store",
    "usage: lrsweep query STORE [--sweep NAME] [--select COLS] [--where EXPR]\n"
    "                     [--format table|csv|json]\n"
    "                     [--pivot X,Y,VALUE [--agg mean|median|min|max|count|frac]\n"
    "                      [--predicate E] [--plot] [--all-rows]]\n"
    "                     [--boundary AXIS [--predicate E]]\n"
    "\n"
    "Prints the points of a sweep (NAME may be omitted when the store holds one):\n"
    "  --select COLS   comma-separated columns (default: index, the axes, status,\n"
    "                  final_loss, rate, iterations); docs/store.md lists them all\n"
    "  --where EXPR    keep the rows where EXPR holds, e.g.\n"
    "                  'loss == \"squared\" && width >= 1000 || !(rate < 0.5)'\n"
    "                  comparisons == != < <= > >=, && || ! (or and or not),\n"
    "                  + - * /, log10 log exp sqrt abs, parentheses, numbers,\n"
    "                  quoted strings for enum and text columns (docs/store.md)\n"
    "  --format        table (default): aligned, for reading: numbers to 6\n"
    "                  significant digits (more where 6 would show two values\n"
    "                  alike), a missing value '-'; csv or json (one object per\n"
    "                  line): exact, the shortest decimals that read back to the\n"
    "                  same doubles, missing values empty (CSV) or null (JSON)\n"
    "  --pivot X,Y,V   a matrix: one row per value of Y, one column per value of X,\n"
    "                  each cell --agg (default mean) of V over the other dimensions\n"
    "                  (e.g. seeds); missing values (NaN; -1 of iters_to_*: never\n"
    "                  reached) are left out and cells say how many values they\n"
    "                  hold, '(n=K)'; a cell without values prints '-' (CSV: empty,\n"
    "                  JSON: null)\n"
    "  --agg frac      the share of a cell's rows where --predicate E holds, e.g.\n"
    "                  --pivot width,sigma2,status --agg frac\n"
    "                  --predicate 'status == \"converged\"'\n"
    "  --plot          draw the pivot as a shaded character heatmap (terminals)\n"
    "  --all-rows      pivot every row; by default a pivot takes the grid's own\n"
    "                  rows (origin == \"grid\"), not those [refine] added\n"
    "  --boundary AXIS for each combination of the other axes, where the predicate\n"
    "                  (--predicate EXPR, default the sweep's [refine] predicate)\n"
    "                  flips along AXIS: the bracket lo..hi around the first flip,\n"
    "                  its midpoint (geometric on log axes), whether the predicate\n"
    "                  holds below it, points and flips in the cell (computed\n"
    "                  points only; --where filters them first)\n",
    query};
