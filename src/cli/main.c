/* lrsweep: command-line entry point and subcommand dispatch. */
#include <cblas.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lrs_config.h"
#include "lrs_version.h"

static const lrs_cli_command *const commands[] = {&lrs_cli_plan, &lrs_cli_points,
                                                  &lrs_cli_params, &lrs_cli_run,
                                                  &lrs_cli_sweep, &lrs_cli_status,
                                                  &lrs_cli_query, &lrs_cli_rerun,
                                                  &lrs_cli_merge};
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
               "exit codes: 0 success, 1 runtime failure, 2 usage or input error\n"
               "            (bad arguments, sweep file or store), 75 the main job was\n"
               "            interrupted by a signal and can be resumed (run it again).\n");
}

int lrs_cli_fail(lrs_status status) {
  fprintf(stderr, "lrsweep: %s\n",
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
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "lrsweep %s: ", cmd);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\n(see `lrsweep %s --help`)\n", cmd);
  return LRS_EXIT_USAGE;
}

bool lrs_cli_wants_help(int argc, char **argv) {
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
      return true;
  return false;
}

lrs_status lrs_cli_open_sweep(const char *path, lrs_config **cfg, lrs_grid **grid) {
  *grid = NULL;
  LRS_TRY(lrs_config_load_file(path, cfg));
  lrs_status st = lrs_grid_create(*cfg, grid);
  if (st == LRS_OK)
    st = lrs_grid_validate(*grid);
  if (st != LRS_OK) {
    lrs_grid_destroy(grid);
    lrs_config_destroy(cfg);
  }
  return st;
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
    printf("lrsweep %s (git %s)\n", LRS_VERSION, LRS_GIT_DESCRIBE);
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
  fprintf(stderr, "lrsweep: unknown command '%s' (see `lrsweep --help`)\n", argv[1]);
  return LRS_EXIT_USAGE;
}
