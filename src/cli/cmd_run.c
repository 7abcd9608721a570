/* `lrsweep run SWEEP.toml --point K`: solve one point in this process. */
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lrsweep/solve.h"
#include "lrsweep/store.h"

static void print_line(FILE *out, const char *prefix, const char *label, const char *value) {
  fprintf(out, "%s%-20s %s\n", prefix, label, value);
}

/* A number `run` does not have, as what that means: an iters_to_* level the
 * run never reached (-1), else a value not recorded or not fitted (NaN: a
 * rate without a fit window, the drift of a model that does not track it);
 * the query table's "-" (lrsweep/query.h). */
static const char *no_value(const lrs_field *f) {
  const size_t at = offsetof(lrs_summary, iters_to), size = sizeof((lrs_summary *)0)->iters_to;
  const bool level = f->offset >= at && f->offset < at + size;
  return level ? "not reached" : "-";
}

/* One field's value as `run` prints it: %.10g, integers, enum names, text;
 * a number the point does not have (NaN, -1) as no_value says. */
static const char *shown(const lrs_field *f, const lrs_summary *s, char *buf, size_t cap) {
  const bool number = f->type == LRS_FIELD_F64 || f->type == LRS_FIELD_I64;
  if (number && !lrs_field_is_set(f, s))
    snprintf(buf, cap, "%s", no_value(f));
  else if (f->type == LRS_FIELD_F64)
    snprintf(buf, cap, "%.10g", lrs_field_number(f, s));
  else
    lrs_field_text(f, s, buf, cap);
  return buf;
}

/* Whether the sub-struct of field i is printed: its gate, the nearest
 * LRS_SHOW_GATE field before it in list order, is set. */
static bool gate_open(const lrs_summary *s, size_t i) {
  while (i > 0 && lrs_summary_fields[i].show.mode != LRS_SHOW_GATE)
    i--;
  return lrs_field_is_set(&lrs_summary_fields[i], s);
}

/* The printed field after field `after` in (line, list position) order, or
 * the first when after = SIZE_MAX; SIZE_MAX when none is left. */
static size_t next_line(size_t after) {
  size_t best = SIZE_MAX;
  for (size_t i = 0; i < lrs_summary_field_count; i++) {
    const lrs_field_show *sh = &lrs_summary_fields[i].show;
    if (sh->mode == LRS_SHOW_NEVER)
      continue;
    if (after != SIZE_MAX) {
      const int a = lrs_summary_fields[after].show.line;
      if (sh->line < a || (sh->line == a && i <= after))
        continue;
    }
    if (best == SIZE_MAX || sh->line < lrs_summary_fields[best].show.line)
      best = i;
  }
  return best;
}

void lrs_cli_print_summary(FILE *out, const char *prefix, const lrs_summary *s) {
  double prev = NAN;
  const char *prev_label = "";
  char buf[LRS_RESULT_MESSAGE_MAX + 32];
  for (size_t i = next_line(SIZE_MAX); i != SIZE_MAX; i = next_line(i)) {
    const lrs_field *f = &lrs_summary_fields[i];
    const bool set = lrs_field_is_set(f, s);
    if (f->show.mode == LRS_SHOW_GATE && f->type == LRS_FIELD_BOOL) {
      if (!set)
        print_line(out, prefix, f->label, "not applicable");
      continue;
    }
    if ((f->flags & LRS_FIELD_GATED) && !gate_open(s, i))
      continue;
    if ((f->show.mode == LRS_SHOW_SET || f->show.mode == LRS_SHOW_GATE) && !set)
      continue;
    print_line(out, prefix, f->label, shown(f, s, buf, sizeof buf));
    const double v = lrs_field_number(f, s);
    if (f->show.mode == LRS_SHOW_RATIO) {
      char label[64];
      snprintf(label, sizeof label, "%s/%s", prev_label, f->label);
      if (isnan(prev / v))
        snprintf(buf, sizeof buf, "-");
      else
        snprintf(buf, sizeof buf, "%.10g", prev / v);
      print_line(out, prefix, label, buf);
    }
    prev = v;
    prev_label = f->label;
  }
}

void lrs_cli_print_trajectory(FILE *out, const lrs_result *r) {
  for (size_t f = 0; f < lrs_record_field_count; f++)
    fprintf(out, "%s%s", f ? "\t" : "", lrs_record_fields[f].name);
  fputc('\n', out);
  for (size_t i = 0; i < r->n_records; i++) {
    for (size_t f = 0; f < lrs_record_field_count; f++) {
      const lrs_field *field = &lrs_record_fields[f];
      const double v = lrs_field_number(field, &r->records[i]);
      if (f)
        fputc('\t', out);
      if (field->type == LRS_FIELD_I64)
        fprintf(out, "%" PRId64, (int64_t)v);
      else
        fprintf(out, "%.17g", v);
    }
    fputc('\n', out);
  }
}

static lrs_status emit_to_dump(void *ctx, const char *name, size_t rows, size_t cols,
                               const double *colmajor, const char *doc) {
  return lrs_dump_matrix(ctx, name, rows, cols, colmajor, doc);
}

lrs_status lrs_cli_dump_point(const char *path, const char *key, const char *sweep_text,
                              const lrs_point *point) {
  lrs_dump *dump = NULL;
  LRS_TRY(lrs_dump_create(path, key, sweep_text, &dump));
  lrs_status st = lrs_solve_dump(point, emit_to_dump, dump);
  lrs_status closed = lrs_dump_close(&dump);
  return st != LRS_OK ? st : closed;
}

static int run(int argc, char **argv) {
  const char *path = NULL, *point_text = NULL, *dump = NULL;
  bool trajectory = false, quiet = false;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--point") == 0 && i + 1 < argc)
      point_text = argv[++i];
    else if (strcmp(argv[i], "--dump") == 0 && i + 1 < argc)
      dump = argv[++i];
    else if (strcmp(argv[i], "--trajectory") == 0)
      trajectory = true;
    else if (strcmp(argv[i], "--quiet") == 0)
      quiet = true;
    else if (argv[i][0] == '-')
      return lrs_cli_bad_option(&lrs_cli_run, argv[i], i + 1 == argc);
    else if (path)
      return lrs_cli_usage_error("run", "expected one sweep file, got '%s' and '%s'", path,
                                  argv[i]);
    else
      path = argv[i];
  }
  if (!path || !point_text)
    return lrs_cli_usage_error("run", "expected a sweep file and --point K");
  char *end;
  unsigned long long index = strtoull(point_text, &end, 10);
  if (*end || !*point_text || point_text[0] == '-')
    return lrs_cli_usage_error("run", "--point expects a point index, not '%s'", point_text);

  lrs_config *cfg = NULL;
  lrs_grid *grid = NULL;
  lrs_result *result = NULL;
  lrs_point point;
  char key[LRS_GRID_KEY_MAX];
  lrs_status st = lrs_cli_open_sweep(path, &cfg, &grid);
  if (st != LRS_OK)
    return lrs_cli_fail(st);
  if (index >= lrs_grid_size(grid)) {
    int code = lrs_cli_usage_error("run", "--point %llu is outside the grid: %s has %" PRIu64
                                          " points (0..%" PRIu64 ")",
                                   index, path, lrs_grid_size(grid), lrs_grid_size(grid) - 1);
    lrs_grid_destroy(&grid);
    lrs_config_destroy(&cfg);
    return code;
  }
  LRS_TRY_GOTO(st, lrs_grid_point(grid, index, &point), done);
  LRS_TRY_GOTO(st, lrs_grid_key(grid, &point, key, sizeof key), done);
  if (dump)
    LRS_TRY_GOTO(st, lrs_cli_dump_point(dump, key, lrs_config_text(cfg, NULL), &point), done);
  LRS_TRY_GOTO(st, lrs_result_create(256, &result), done);
  LRS_TRY_GOTO(st, lrs_cli_solve_watched(&point, "run", index, quiet, result), done);

  const char *prefix = trajectory ? "# " : "";
  printf("%s%-20s %llu\n%s%-20s %s\n%s%-20s %016" PRIx64 "\n", prefix, "point", index, prefix,
         "key", key, prefix, "hash", lrs_key_hash(key));
  lrs_cli_print_summary(stdout, prefix, &result->summary);
  if (trajectory)
    lrs_cli_print_trajectory(stdout, result);
done:
  lrs_result_destroy(&result);
  lrs_grid_destroy(&grid);
  lrs_config_destroy(&cfg);
  return st == LRS_OK ? LRS_EXIT_OK : lrs_cli_fail(st);
}

const lrs_cli_command lrs_cli_run = {
    "run", "solve one point in this process and print its summary",
    "usage: lrsweep run SWEEP.toml --point K [--trajectory] [--dump FILE.h5] [--quiet]\n"
    "\n"
    "Builds point K of the sweep (see `lrsweep points`), solves it in this process\n"
    "(no MPI needed), and prints its key, hash and summary: status, iterations,\n"
    "losses, the fitted rate and its R², iterations to 1e-3/1e-6/1e-10 of L0, and\n"
    "the [P1] theory constants at t = 0 (or the LoRA summary).\n"
    "\n"
    "  --trajectory   also print every recorded step as TSV (a header line, then\n"
    "                 one line per record); the summary lines then start with '# '.\n"
    "  --dump FILE    write the point's problem data and initial weights to an HDF5\n"
    "                 file (README: Point dumps), to redo the point independently.\n"
    "  --quiet        no progress lines on stderr (by default a solve longer than\n"
    "                 2 s reports its iteration, loss and time, at most every 30 s\n"
    "                 off a terminal, as a live line on one).\n",
    run};
