/* `lrsweep run SWEEP.toml --point K`: solve one point in this process. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lrsweep/solve.h"
#include "lrsweep/store.h"

/* Prints "name value" lines; `prefix` is "# " when a TSV follows. */
typedef struct {
  FILE *out;
  const char *prefix;
} printer;

static void line_g(const printer *p, const char *name, double v) {
  fprintf(p->out, "%s%-20s %.10g\n", p->prefix, name, v);
}

static void line_i(const printer *p, const char *name, int64_t v) {
  fprintf(p->out, "%s%-20s %" PRId64 "\n", p->prefix, name, v);
}

static void line_s(const printer *p, const char *name, const char *v) {
  fprintf(p->out, "%s%-20s %s\n", p->prefix, name, v);
}

void lrs_cli_print_summary(FILE *out, const char *prefix, const lrs_summary *s) {
  printer p = {out, prefix};
  line_s(&p, "status", lrs_point_status_names[s->status]);
  if (s->message[0])
    line_s(&p, "message", s->message);
  line_i(&p, "iterations", s->iterations);
  if (!isnan(s->final_time))
    line_g(&p, "final_time", s->final_time);
  line_i(&p, "rhs_evals", s->rhs_evals);
  line_i(&p, "loss_evals", s->loss_evals);
  line_i(&p, "ls_failures", s->ls_failures);
  line_g(&p, "loss0", s->loss0);
  line_g(&p, "final_loss", s->final_loss);
  line_g(&p, "loss_star", s->loss_star);
  line_g(&p, "rate", s->rate);
  line_g(&p, "rate_r2", s->rate_r2);
  for (int i = 0; i < LRS_RESULT_LEVELS; i++) {
    char name[32];
    snprintf(name, sizeof name, "iters_to_%.0e", lrs_result_levels[i]);
    line_i(&p, name, s->iters_to[i]);
    if (!isnan(s->time_to[i])) {
      snprintf(name, sizeof name, "time_to_%.0e", lrs_result_levels[i]);
      line_g(&p, name, s->time_to[i]);
    }
  }
  line_g(&p, "max_drift", s->max_drift);
  const lrs_theory *t = &s->theory;
  if (t->applicable) {
    line_g(&p, "mu", t->mu);
    line_g(&p, "K", t->K);
    line_g(&p, "alpha1", t->alpha1);
    line_g(&p, "alpha2", t->alpha2);
    line_g(&p, "alpha1/alpha2", t->alpha1 / t->alpha2);
    line_g(&p, "beta1", t->beta1);
    line_g(&p, "beta2", t->beta2);
    line_g(&p, "eta1", t->eta1);
    line_g(&p, "eta2", t->eta2);
    line_g(&p, "eta_max", t->eta_max);
    line_s(&p, "eta_max_bound", lrs_eta_bound_names[t->eta_max_bound]);
    line_g(&p, "eta0", t->eta0);
    line_g(&p, "rho_bar0", t->rho_bar0);
    line_g(&p, "asymptotic_rate", t->asymptotic_rate);
    line_g(&p, "beta2_fro", t->beta2_fro);
    line_g(&p, "alpha2_fro", t->alpha2_fro);
    line_g(&p, "alpha1/alpha2_fro", t->alpha1 / t->alpha2_fro);
    line_g(&p, "asymptotic_rate_fro", t->asymptotic_rate_fro);
  } else {
    line_s(&p, "theory", "not applicable");
  }
  const lrs_lora_summary *l = &s->lora;
  if (!isnan(l->delta_w)) {
    line_g(&p, "delta_w", l->delta_w);
    line_g(&p, "align_end", l->align_end);
    line_g(&p, "align_plateau", l->align_plateau);
    line_g(&p, "final_floor", l->final_floor);
    line_g(&p, "local_rate", l->local_rate);
  }
  line_g(&p, "wall_seconds", s->wall_seconds);
}

void lrs_cli_print_trajectory(FILE *out, const lrs_result *r) {
  for (size_t f = 0; f < lrs_record_field_count; f++)
    fprintf(out, "%s%s", f ? "\t" : "", lrs_record_fields[f].name);
  fputc('\n', out);
  for (size_t i = 0; i < r->n_records; i++) {
    const char *rec = (const char *)&r->records[i];
    for (size_t f = 0; f < lrs_record_field_count; f++) {
      const lrs_field *field = &lrs_record_fields[f];
      if (f)
        fputc('\t', out);
      if (field->type == LRS_FIELD_INT64) {
        int64_t v;
        memcpy(&v, rec + field->offset, sizeof v);
        fprintf(out, "%" PRId64, v);
      } else {
        double v;
        memcpy(&v, rec + field->offset, sizeof v);
        fprintf(out, "%.17g", v);
      }
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
  bool trajectory = false;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--point") == 0 && i + 1 < argc)
      point_text = argv[++i];
    else if (strcmp(argv[i], "--dump") == 0 && i + 1 < argc)
      dump = argv[++i];
    else if (strcmp(argv[i], "--trajectory") == 0)
      trajectory = true;
    else if (argv[i][0] == '-')
      return lrs_cli_usage_error("run", "unknown option '%s'", argv[i]);
    else if (path)
      return lrs_cli_usage_error("run", "expected one sweep file, got '%s' too", argv[i]);
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
  LRS_TRY_GOTO(st, lrs_solve_point(&point, MPI_COMM_SELF, result), done);

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
    "usage: lrsweep run SWEEP.toml --point K [--trajectory] [--dump FILE.h5]\n"
    "\n"
    "Builds point K of the sweep (see `lrsweep points`), solves it in this process\n"
    "(no MPI needed), and prints its key, hash and summary: status, iterations,\n"
    "losses, the fitted rate and its R², iterations to 1e-3/1e-6/1e-10 of L0, and\n"
    "the [P1] theory constants at t = 0 (or the LoRA summary).\n"
    "\n"
    "  --trajectory   also print every recorded step as TSV (a header line, then\n"
    "                 one line per record); the summary lines then start with '# '.\n"
    "  --dump FILE    write the point's problem data and initial weights to an HDF5\n"
    "                 file (README: Point dumps), to redo the point independently.\n",
    run};
