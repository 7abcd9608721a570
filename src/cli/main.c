/* lrsweep: command-line entry point and subcommand dispatch. */
#include <cblas.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lrsweep/datafile.h"
#include "lrsweep/linalg.h"
#include "lrsweep/query.h"
#include "lrsweep/store.h"
#include "lrs_config.h"
#include "lrs_version.h"

static const lrs_cli_command *const commands[] = {&lrs_cli_plan, &lrs_cli_points,
                                                  &lrs_cli_params, &lrs_cli_run,
                                                  &lrs_cli_sweep, &lrs_cli_status,
                                                  &lrs_cli_query, &lrs_cli_rerun,
                                                  &lrs_cli_merge, &lrs_cli_submit};
static const size_t n_commands = sizeof commands / sizeof commands[0];

static void print_help(FILE *out) {
  fprintf(out,
          "usage: [mpirun -np P] lrsweep SWEEP.toml [OPTIONS]   (the main job: see `sweep`)\n"
          "       lrsweep COMMAND [ARGS...]\n"
          "       lrsweep --help | --version\n"
          "\n"
          "Maps by simulation how gradient descent and gradient flow train two-layer\n"
          "linear networks and LoRA factorizations (see README.md).\n"
          "\n"
          "commands:\n");
  for (size_t i = 0; i < n_commands; i++)
    fprintf(out, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
  fprintf(out, "\n"
               "`lrsweep COMMAND --help` describes a command.\n"
               "exit codes: 0 success, 1 runtime failure (also: the store cannot be\n"
               "            written), 2 usage or input error (bad arguments, sweep file or\n"
               "            store), 75 the main job was interrupted by a signal or held\n"
               "            back by the time limit and can be resumed (run it again).\n");
}

/* Words longer than this are shortened in the middle (paths: both ends say
 * which file). */
enum { LONG_WORD = 96, WORD_END = 44 };

void lrs_cli_put_line(FILE *out, const char *prefix, const char *text) {
  fputs(prefix, out);
  for (const char *p = text; *p;) {
    size_t word = strcspn(p, " \t\n\r");
    if (word > LONG_WORD) { /* a word, not a line: skip the middle */
      size_t head = WORD_END; /* cut between UTF-8 characters, not inside one */
      while (head > 0 && ((unsigned char)p[head] & 0xC0) == 0x80)
        head--;
      const char *tail = p + word - WORD_END, *end = p + word;
      while (tail < end && ((unsigned char)*tail & 0xC0) == 0x80)
        tail++;
      lrs_cli_put_text(out, p, head);
      fputs("…", out);
      lrs_cli_put_text(out, tail, (size_t)(end - tail));
      p = end;
      continue;
    }
    lrs_cli_put_text(out, p, word ? word : 1);
    p += word ? word : 1;
  }
  fputc('\n', out);
}

void lrs_cli_put_text(FILE *out, const char *text, size_t n) {
  char buf[256];
  for (size_t done = 0; done < n && text[done];) {
    done += lrs_escape_control(text + done, n - done, buf, sizeof buf);
    fputs(buf, out);
  }
}

const char *lrs_cli_human_number(const char *text, char *buf, size_t cap) {
  char *end;
  double v = strtod(text, &end);
  snprintf(buf, cap, "%s", text);
  if (!strpbrk(text, "eE") || end == text || *end || !isfinite(v))
    return buf; /* not a number with an exponent */
  if (v == rint(v) && fabs(v) < 1e6) /* 1e+02 → 100, 2.5e+02 → 250 */
    snprintf(buf, cap, "%.0f", v);
  return lrs_format_exponent(buf); /* 1e-08 → 1e-8, 1e+10 → 1e10 */
}

int lrs_cli_fail(lrs_status status) {
  lrs_cli_put_line(stderr, "lrsweep: ",
                   lrs_error_message()[0] ? lrs_error_message() : lrs_strerror(status));
  switch (status) {
  case LRS_ERR_PARSE:
  case LRS_ERR_CONFIG:
  case LRS_ERR_USAGE:
  case LRS_ERR_IO:
  case LRS_ERR_STORE:
  case LRS_ERR_NOT_FOUND:
    return LRS_EXIT_USAGE;
  default:
    return LRS_EXIT_FAILURE;
  }
}

int lrs_cli_usage_error(const char *cmd, const char *fmt, ...) {
  char text[1024], prefix[64];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  size_t used = strlen(text);
  snprintf(text + used, sizeof text - used, " (see `lrsweep %s --help`)", cmd);
  snprintf(prefix, sizeof prefix, "lrsweep %s: ", cmd);
  lrs_cli_put_line(stderr, prefix, text);
  return LRS_EXIT_USAGE;
}

/* Whether the usage text after "--opt " is a value: a placeholder ("PATH",
 * "NAME") or a list of choices ("tsv|json"), not the next word of a sentence. */
static bool shows_value(const char *v) {
  if (*v >= 'A' && *v <= 'Z')
    return true;
  size_t word = strcspn(v, " ]\n");
  return *v >= 'a' && *v <= 'z' && memchr(v, '|', word) != NULL;
}

/* The options a usage text names ("--sweep", "--format", ...), each once,
 * as NUL-terminated copies in store[cap] pointed to by names[max]. */
static size_t usage_options(const char *usage, const char **names, size_t max, char *store,
                            size_t cap) {
  size_t n = 0, used = 0;
  for (const char *u = strstr(usage, "--"); u && n < max; u = strstr(u + 2, "--")) {
    size_t len = 2 + strspn(u + 2, "abcdefghijklmnopqrstuvwxyz0123456789-");
    if (len == 2 || (u > usage && u[-1] != ' ' && u[-1] != '[' && u[-1] != '|') ||
        used + len + 1 > cap)
      continue;
    memcpy(store + used, u, len);
    store[used + len] = '\0';
    bool seen = false;
    for (size_t k = 0; k < n && !seen; k++)
      seen = strcmp(names[k], store + used) == 0;
    if (!seen) {
      names[n++] = store + used;
      used += len + 1;
    }
  }
  return n;
}

int lrs_cli_bad_option(const lrs_cli_command *cmd, const char *arg, bool last) {
  /* An option that takes a value shows it in the usage text: "--store PATH",
   * "[--sweep NAME]", "[--format text|json]". */
  size_t len = strlen(arg);
  for (const char *u = strstr(cmd->usage, arg); u && last; u = strstr(u + 1, arg))
    if (u > cmd->usage && (u[-1] == ' ' || u[-1] == '[') && u[len] == ' ' &&
        shows_value(u + len + 1))
      return lrs_cli_usage_error(cmd->name, "option '%s' expects a value", arg);
  /* A misspelt option: the one rule of every "did you mean" (lrsweep/status.h),
   * over the options the usage text names; "--opt=value" by its name. */
  const char *names[64];
  char store[1024];
  size_t n = usage_options(cmd->usage, names, 64, store, sizeof store);
  const char *pick = lrs_closest_name(arg, strcspn(arg, "="), lrs_name_in_array, names, n);
  if (pick)
    return lrs_cli_usage_error(cmd->name, "unknown option '%.*s'; did you mean '%s'?",
                               (int)strcspn(arg, "="), arg, pick);
  return lrs_cli_usage_error(cmd->name, "unknown option '%s'", arg);
}

bool lrs_cli_wants_help(int argc, char **argv) {
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
      return true;
  return false;
}

/* Parses the [refine] predicate over the store's columns, as the main job
 * will: a bad one is refused now, before any store exists. */
static lrs_status check_refine_predicate(const lrs_config *cfg) {
  const lrs_refine_options *r = lrs_config_refine(cfg);
  if (!r->bisect || !r->predicate)
    return LRS_OK;
  lrs_field *cols = NULL;
  size_t n = 0;
  LRS_TRY(lrs_store_columns_copy(&cols, &n));
  lrs_status st = LRS_OK;
  lrs_query_table table = {0, n, cols, NULL, NULL, NULL};
  lrs_query_expr *expr = NULL;
  if (st == LRS_OK &&
      lrs_query_parse_as("[refine] predicate", r->predicate, &table, &expr) != LRS_OK) {
    char why[768];
    snprintf(why, sizeof why, "%s", lrs_error_message());
    st = LRS_RAISE(LRS_ERR_CONFIG, "%s:%d:%d: %s", lrs_config_source(cfg), r->predicate_line,
                   r->predicate_column, why);
  }
  lrs_query_expr_destroy(&expr);
  free(cols);
  return st;
}

/* data = "file": the file is read and checked here, once, before any point
 * runs (lrsweep/datafile.h), and every point's sizes matched against it. */
static lrs_status check_data_file(const lrs_grid *grid) {
  const lrs_point *base = lrs_config_base(lrs_grid_config(grid));
  if (base->data != LRS_DATA_FILE)
    return LRS_OK;
  lrs_datafile *d = NULL;
  LRS_TRY(lrs_config_check_data_file(lrs_grid_config(grid)));
  LRS_TRY(lrs_datafile_load(base->data_file, &d));
  lrs_status st = LRS_OK;
  lrs_point p;
  for (uint64_t i = 0; st == LRS_OK && i < lrs_grid_size(grid); i++) {
    st = lrs_grid_point(grid, i, &p);
    if (st == LRS_OK)
      st = lrs_datafile_match(d, &p);
  }
  lrs_datafile_destroy(&d);
  return st;
}

lrs_status lrs_cli_open_sweep(const char *path, lrs_config **cfg, lrs_grid **grid) {
  *grid = NULL;
  LRS_TRY(lrs_config_load_file(path, cfg));
  lrs_status st = lrs_grid_create(*cfg, grid);
  if (st == LRS_OK)
    st = lrs_grid_validate(*grid);
  if (st == LRS_OK)
    st = check_refine_predicate(*cfg);
  if (st == LRS_OK)
    st = check_data_file(*grid);
  if (st != LRS_OK) {
    lrs_grid_destroy(grid);
    lrs_config_destroy(cfg);
  }
  return st;
}

void lrs_cli_warn_sweep(const lrs_config *cfg) {
  char why[512], line[640];
  for (size_t i = 0; i < lrs_config_axis_count(cfg); i++)
    if (lrs_config_axis_idle(cfg, i, why, sizeof why)) {
      const lrs_axis *a = lrs_config_axis(cfg, i);
      snprintf(line, sizeof line, "%s:%d:%d: warning: %s", lrs_config_source(cfg), a->line,
               a->column, why);
      lrs_cli_put_line(stderr, "lrsweep: ", line);
    }
}

int main(int argc, char **argv) {
  /* One core per rank: OpenBLAS's own threads make the thin products of these
   * models several times slower and fight the other ranks for cores.  An
   * explicit OPENBLAS_NUM_THREADS still wins. */
  if (!getenv("OPENBLAS_NUM_THREADS"))
    openblas_set_num_threads(1);
  if (argc < 2) {
    print_help(stderr);
    return LRS_EXIT_USAGE;
  }
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    print_help(stdout);
    return LRS_EXIT_OK;
  }
  if (strcmp(argv[1], "--version") == 0) {
    printf("lrsweep %s (git %s)\nBLAS %s\n", LRS_VERSION, LRS_GIT_DESCRIBE, lrs_linalg_blas());
    return LRS_EXIT_OK;
  }
  for (size_t i = 0; i < n_commands; i++)
    if (strcmp(argv[1], commands[i]->name) == 0) {
      if (lrs_cli_wants_help(argc - 1, argv + 1)) {
        fputs(commands[i]->usage, stdout);
        return LRS_EXIT_OK;
      }
      return commands[i]->run(argc - 1, argv + 1);
    }
  /* `lrsweep SWEEP.toml ...` is the main job: `lrsweep sweep SWEEP.toml ...`. */
  size_t len = strlen(argv[1]);
  if (len > 5 && strcmp(argv[1] + len - 5, ".toml") == 0) {
    if (lrs_cli_wants_help(argc, argv)) {
      fputs(lrs_cli_sweep.usage, stdout);
      return LRS_EXIT_OK;
    }
    return lrs_cli_sweep.run(argc, argv);
  }
  fputs("lrsweep: unknown command '", stderr);
  lrs_cli_put_text(stderr, argv[1], strlen(argv[1]));
  if (len > 3 && strcmp(argv[1] + len - 3, ".h5") == 0) /* a store where a command goes */
    fputs("' (a store? `lrsweep status STORE` or `lrsweep query STORE`)\n", stderr);
  else
    fputs("' (see `lrsweep --help`)\n", stderr);
  return LRS_EXIT_USAGE;
}
