/* Private to the command-line front end: the subcommand table and helpers. */
#ifndef LRSWEEP_CLI_H
#define LRSWEEP_CLI_H

#include <stdio.h>

#include "lrsweep/config.h"
#include "lrsweep/grid.h"
#include "lrsweep/result.h"
#include "lrsweep/status.h"

/* Exit codes (documented in the README and `lrsweep --help`). */
enum {
  LRS_EXIT_OK = 0,
  LRS_EXIT_FAILURE = 1, /* runtime failure */
  LRS_EXIT_USAGE = 2,   /* bad command line, sweep file or store */
};

typedef struct lrs_cli_command {
  const char *name;
  const char *summary; /* one line for `lrsweep --help` */
  const char *usage;   /* full text for `lrsweep NAME --help` */
  int (*run)(int argc, char **argv); /* argv[0] is the command name */
} lrs_cli_command;

extern const lrs_cli_command lrs_cli_plan, lrs_cli_points, lrs_cli_params, lrs_cli_run;
extern const lrs_cli_command lrs_cli_status, lrs_cli_query, lrs_cli_sweep, lrs_cli_rerun,
    lrs_cli_merge, lrs_cli_submit;

/* Prints "lrsweep: MESSAGE" for the last error and returns the exit code
 * for its status. */
int lrs_cli_fail(lrs_status status);
/* Prints prefix + text as one line: control characters escaped (\\n, \\t,
 * \\xHH), words longer than 96 bytes (paths) shortened in the middle. */
void lrs_cli_put_line(FILE *out, const char *prefix, const char *text);
/* Writes text[0..n) (up to a NUL) with control characters escaped. */
void lrs_cli_put_text(FILE *out, const char *text, size_t n);
/* A number's text (as %g or lrs_param_format write it) as a person writes it,
 * the same value: an integer below 10^6 without an exponent ("1e+02" → "100"),
 * else the exponent without '+' and leading zeros ("1e-08" → "1e-8").  Keys
 * keep their canonical text (lrsweep/grid.h); this is for reading. */
const char *lrs_cli_human_number(const char *text, char *buf, size_t cap);
/* Prints a usage error for command `cmd` and returns LRS_EXIT_USAGE. */
int lrs_cli_usage_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* The usage error for option `arg` of `cmd` that was not understood: "expects
 * a value" when it is the last argument and the usage text shows it with a
 * value ("--store PATH"), else "unknown option". */
int lrs_cli_bad_option(const lrs_cli_command *cmd, const char *arg, bool last);
/* True when argv holds -h or --help. */
bool lrs_cli_wants_help(int argc, char **argv);

/* Loads a sweep file, builds its grid and validates every point. */
lrs_status lrs_cli_open_sweep(const char *path, lrs_config **cfg, lrs_grid **grid);
/* Warns on stderr, one line each, of the axes that change no point's solve
 * (lrs_config_axis_idle): "lrsweep: FILE:LINE:COL: warning: axis ...".
 * For the commands that plan or run a whole sweep (plan, submit, the main
 * job's rank 0), once per command. */
void lrs_cli_warn_sweep(const lrs_config *cfg);

/* Prints a point summary as "name value" lines, each starting with prefix. */
void lrs_cli_print_summary(FILE *out, const char *prefix, const lrs_summary *summary);
/* Writes a point's problem data and initial weights to an HDF5 dump file. */
lrs_status lrs_cli_dump_point(const char *path, const char *key, const char *sweep_text,
                              const lrs_point *point);
/* Prints the trajectory records as TSV with a header line. */
void lrs_cli_print_trajectory(FILE *out, const lrs_result *result);

/* lrs_solve_point(point, MPI_COMM_SELF, result) for `lrsweep CMD` (run,
 * rerun) on point `index`, reporting the solve's progress on stderr unless
 * quiet, from the solver's poll (lrsweep/solver.h): "lrsweep run: point 3:
 * iteration 1200 of 200000, L − ℓ* 3.2e-07 (L(0) − ℓ* 0.213), 25.3 s;
 * max_iter in ~1 h 10 min", or for GF "t = 1280 of 100000 (step 812)".  On
 * a terminal a live line, cleared at the end; off it (pipes, SLURM logs) a
 * line on lrs_progress_interval's schedule, up to one every
 * LRS_PROGRESS_SECONDS.  Silent for a solve under 2 s (0.5 s on a terminal). */
lrs_status lrs_cli_solve_watched(const lrs_point *point, const char *cmd,
                                 unsigned long long index, bool quiet, lrs_result *result);

#endif
