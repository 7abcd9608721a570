/* `lrsweep submit`: runs a sweep on SLURM without editing a job script.  It
 * writes the command line of the job scripts in jobs/ (sweep.sbatch, which
 * requeues itself until the sweep is complete; chain.sh; submit_array.sh),
 * with a --time suggested by the cost model, prints it and runs it. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "lrs_config.h"
#include "lrsweep/kind.h"
#include "lrsweep/store.h"

enum {
  DEFAULT_NTASKS = 3,      /* jobs/sweep.sbatch's own default */
  MIN_SUGGESTED = 600,     /* s: below this, queueing and startup dominate */
  MAX_SUGGESTED = 86400,   /* s: a common partition limit; the job requeues to go on */
  STARTUP_SECONDS = 120,   /* s: mpirun, the store's open, the queue */
  MIN_LEAD = 60,           /* s: SLURM sends the warning up to 60 s early anyway */
  MAX_LEAD = 300,          /* s: jobs/sweep.sbatch's --signal lead */
  MAX_TIME_FIELD = 1000000 /* largest number in one field of a --time */
};
/* Per core, without a measurement: the rate `lrsweep plan` assumes. */
static const double ASSUMED_FLOP_RATE = 5e9;
/* The suggested --time is this times the predicted run, plus lead and startup. */
static const double SAFETY = 1.25;

typedef struct submit_args {
  const char *sweep, *time, *hours, *account, *partition, *store;
  long ntasks, array, chain;
  bool dry_run;
  int n_extra;
  char **extra; /* sbatch options after `--` */
} submit_args;

/* ---- sbatch's time format ------------------------------------------------- */

/* Reads a decimal field of at most MAX_TIME_FIELD; advances *s. */
static bool time_field(const char **s, long *v) {
  const char *p = *s;
  long x = 0;
  if (*p < '0' || *p > '9')
    return false;
  for (; *p >= '0' && *p <= '9'; p++) {
    x = 10 * x + (*p - '0');
    if (x > MAX_TIME_FIELD)
      return false;
  }
  *s = p;
  *v = x;
  return true;
}

/* Seconds of an sbatch --time (sbatch(1): M, M:S, H:M:S, D-H, D-H:M, D-H:M:S);
 * false for any other text and for 0 (no limit: nothing to plan for). */
static bool parse_time(const char *text, long *seconds) {
  const char *s = text;
  long days = 0, f[3] = {0, 0, 0};
  bool has_days = strchr(text, '-') != NULL;
  if (has_days && (!time_field(&s, &days) || *s++ != '-'))
    return false;
  int n = 0;
  while (n < 3) {
    if (!time_field(&s, &f[n++]))
      return false;
    if (*s != ':')
      break;
    s++;
  }
  if (*s)
    return false;
  long t;
  if (has_days) /* D-H, D-H:M, D-H:M:S */
    t = days * 86400 + f[0] * 3600 + f[1] * 60 + f[2];
  else if (n == 1) /* M */
    t = f[0] * 60;
  else if (n == 2) /* M:S */
    t = f[0] * 60 + f[1];
  else /* H:M:S */
    t = f[0] * 3600 + f[1] * 60 + f[2];
  *seconds = t;
  return t > 0;
}

/* [D-]HH:MM:SS */
static void format_time(long s, char *buf, size_t cap) {
  long d = s / 86400, h = s % 86400 / 3600, m = s % 3600 / 60, sec = s % 60;
  if (d > 0)
    snprintf(buf, cap, "%ld-%02ld:%02ld:%02ld", d, h, m, sec);
  else
    snprintf(buf, cap, "%02ld:%02ld:%02ld", h, m, sec);
}

/* The warning's lead before the limit: a tenth of the limit, within
 * [MIN_LEAD, MAX_LEAD], and at most half the limit (a warning at the start
 * would leave no time to work); running points may drain for 4/5 of it. */
static long warning_lead(long limit) {
  long lead = limit / 10;
  lead = lead < MIN_LEAD ? MIN_LEAD : lead > MAX_LEAD ? MAX_LEAD : lead;
  return lead > limit / 2 ? limit / 2 : lead;
}

/* ---- the estimate --------------------------------------------------------- */

typedef struct estimate {
  uint64_t points, todo;   /* grid points; those the store does not hold */
  uint64_t measured;       /* finished points with a wall time */
  double todo_cost;        /* cost (lrs_point_cost) of the points to run */
  double max_cost;         /* of the costliest point */
  double seconds_per_cost; /* measured, or 1 / ASSUMED_FLOP_RATE */
  bool store_exists;
} estimate;

/* Adds what the store knows: finished grid points leave the to-do list, and
 * every finished point with a wall time measures seconds per unit of cost. */
static lrs_status scan_store(const char *path, const char *name, estimate *e,
                             double *done_cost) {
  lrs_store *store = NULL;
  lrs_store_points *pts = NULL;
  size_t sweep = 0;
  LRS_TRY(lrs_store_open(path, &store));
  lrs_status st = lrs_store_find_sweep(store, name, &sweep);
  if (st == LRS_ERR_NOT_FOUND) { /* the store holds other sweeps only */
    lrs_error_clear();
    lrs_store_close(&store);
    return LRS_OK;
  }
  if (st != LRS_OK)
    goto done;
  LRS_TRY_GOTO(st, lrs_store_read_points(store, sweep, &pts), done);
  double cost = 0, seconds = 0;
  for (size_t i = 0; i < lrs_store_points_count(pts); i++) {
    const lrs_store_row *r = lrs_store_points_row(pts, i);
    if (r->summary.status == LRS_POINT_PENDING)
      continue;
    const double c = lrs_point_cost(&r->point);
    if (r->origin == LRS_ORIGIN_GRID) {
      *done_cost += c;
      if (e->todo > 0)
        e->todo--;
    }
    const double w = r->summary.wall_seconds;
    if (isfinite(w) && w > 0 && c > 0) {
      cost += c;
      seconds += w;
      e->measured++;
    }
  }
  if (e->measured > 0)
    e->seconds_per_cost = seconds / cost;
done:
  lrs_store_points_destroy(&pts);
  lrs_store_close(&store);
  return st;
}

static lrs_status make_estimate(const lrs_grid *grid, const char *store, const char *name,
                                estimate *e) {
  *e = (estimate){.seconds_per_cost = 1.0 / ASSUMED_FLOP_RATE};
  e->points = e->todo = lrs_grid_size(grid);
  double total = 0, done_cost = 0;
  lrs_point p;
  for (uint64_t i = 0; i < e->points; i++) {
    LRS_TRY(lrs_grid_point(grid, i, &p));
    const double c = lrs_point_cost(&p);
    total += c;
    e->max_cost = c > e->max_cost ? c : e->max_cost;
  }
  e->store_exists = access(store, F_OK) == 0;
  if (e->store_exists)
    LRS_TRY(scan_store(store, name, e, &done_cost));
  e->todo_cost = total > done_cost ? total - done_cost : 0;
  return LRS_OK;
}

/* ---- the command line ----------------------------------------------------- */

typedef struct arg_list {
  char **v;
  size_t n, cap;
} arg_list;

static lrs_status push(arg_list *a, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static lrs_status push(arg_list *a, const char *fmt, ...) {
  LRS_TRY(LRS_GROW(a->v, a->cap, a->n + 2)); /* and the terminating NULL */
  va_list ap;
  va_start(ap, fmt);
  int len = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *s = len >= 0 ? malloc((size_t)len + 1) : NULL;
  LRS_TRY(LRS_CHECK_ALLOC(s));
  va_start(ap, fmt);
  vsnprintf(s, (size_t)len + 1, fmt, ap);
  va_end(ap);
  a->v[a->n++] = s;
  a->v[a->n] = NULL;
  return LRS_OK;
}

static void arg_list_free(arg_list *a) {
  for (size_t i = 0; i < a->n; i++)
    free(a->v[i]);
  free(a->v);
  *a = (arg_list){0};
}

/* Prints s as one shell word (single-quoted unless it is plainly safe). */
static void print_word(const char *s) {
  if (*s && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                     "_@%+=:,./-") == strlen(s)) {
    fputs(s, stdout);
    return;
  }
  putchar('\'');
  for (; *s; s++)
    if (*s == '\'')
      fputs("'\\''", stdout);
    else
      putchar(*s);
  putchar('\'');
}

/* The lrsweep program the job runs: $LRS_BIN, else this very binary. */
static lrs_status find_binary(char *buf, size_t cap) {
  const char *env = getenv("LRS_BIN");
  if (env && *env) {
    snprintf(buf, cap, "%s", env);
    return LRS_OK;
  }
  ssize_t n = readlink("/proc/self/exe", buf, cap - 1);
  if (n < 0 || (size_t)n >= cap - 1)
    return LRS_RAISE(LRS_ERR_IO, "cannot find this lrsweep's own path (/proc/self/exe: %s); "
                                 "set LRS_BIN to the lrsweep the job should run",
                     n < 0 ? strerror(errno) : "too long");
  buf[n] = '\0';
  return LRS_OK;
}

/* A job script: $LRS_JOBS/NAME, else jobs/NAME of the source tree this binary
 * was built from. */
static lrs_status find_script(const char *name, char *buf, size_t cap) {
  const char *env = getenv("LRS_JOBS");
  const bool from_env = env && *env;
  snprintf(buf, cap, "%s/%s", from_env ? env : LRS_SOURCE_ROOT "/jobs", name);
  if (access(buf, R_OK) != 0)
    return LRS_RAISE(LRS_ERR_USAGE, "%s: %s; set LRS_JOBS to a directory holding lrsweep's jobs/ scripts",
                     buf, strerror(errno));
  return LRS_OK;
}

static bool parse_count(const char *text, long *v) {
  char *end;
  errno = 0;
  long x = strtol(text, &end, 10);
  if (errno || end == text || *end || x < 1 || x > 1000000)
    return false;
  *v = x;
  return true;
}

/* Parses argv into *a; returns -1 when fine, else the exit code. */
static int parse_args(int argc, char **argv, submit_args *a) {
  *a = (submit_args){.ntasks = DEFAULT_NTASKS};
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    if (strcmp(arg, "--") == 0) {
      a->extra = argv + i + 1;
      a->n_extra = argc - i - 1;
      break;
    }
    if (strcmp(arg, "--dry-run") == 0) {
      a->dry_run = true;
      continue;
    }
    if (arg[0] != '-') {
      if (a->sweep)
        return lrs_cli_usage_error("submit", "expected one sweep file, got '%s' and '%s'",
                                   a->sweep, arg);
      a->sweep = arg;
      continue;
    }
    /* --name VALUE or --name=VALUE */
    static const char *const names[] = {"--ntasks", "--time",  "--hours", "--account",
                                        "--partition", "--store", "--array", "--chain"};
    const char *value = NULL;
    size_t k = 0, n_names = sizeof names / sizeof names[0];
    for (; k < n_names; k++) {
      size_t len = strlen(names[k]);
      if (strncmp(arg, names[k], len) == 0 && (arg[len] == '=' || arg[len] == '\0')) {
        if (arg[len] == '=')
          value = arg + len + 1;
        else if (i + 1 < argc)
          value = argv[++i];
        else
          return lrs_cli_usage_error("submit", "%s expects a value", names[k]);
        break;
      }
    }
    switch (k) {
    case 0:
      if (!parse_count(value, &a->ntasks))
        return lrs_cli_usage_error("submit", "--ntasks expects an integer ≥ 1, not '%s'", value);
      break;
    case 1:
      a->time = value;
      break;
    case 2:
      a->hours = value;
      break;
    case 3:
      a->account = value;
      break;
    case 4:
      a->partition = value;
      break;
    case 5:
      a->store = value;
      break;
    case 6:
    case 7:
      if (!parse_count(value, k == 6 ? &a->array : &a->chain))
        return lrs_cli_usage_error("submit", "%s expects an integer ≥ 1, not '%s'", names[k],
                                   value);
      break;
    default:
      return lrs_cli_usage_error("submit",
                                 "unknown option '%s' (sbatch options go after `--`)", arg);
    }
  }
  if (!a->sweep)
    return lrs_cli_usage_error("submit", "expected a sweep file");
  if (a->time && a->hours)
    return lrs_cli_usage_error("submit", "give --time or --hours, not both");
  if (a->array && a->chain)
    return lrs_cli_usage_error("submit", "give --array or --chain, not both");
  return -1;
}

/* Limit in seconds from --time/--hours, or 0 when neither is given. */
static int given_limit(const submit_args *a, long *limit) {
  *limit = 0;
  if (a->time && !parse_time(a->time, limit))
    return lrs_cli_usage_error("submit",
                               "--time expects sbatch's format (MM, MM:SS, HH:MM:SS, D-HH, "
                               "D-HH:MM, D-HH:MM:SS) and a non-zero limit, not '%s'",
                               a->time);
  if (a->hours) {
    char *end;
    double h = strtod(a->hours, &end);
    if (end == a->hours || *end || !(h > 0) || h > 365 * 24)
      return lrs_cli_usage_error("submit", "--hours expects a number of hours > 0, not '%s'",
                                 a->hours);
    *limit = (long)ceil(h * 3600.0);
  }
  return -1;
}

static lrs_status build_command(const submit_args *a, const char *store, long limit,
                                arg_list *env, arg_list *cmd) {
  char bin[4096], script[4096], t[32];
  const long lead = warning_lead(limit);
  format_time(limit, t, sizeof t);
  LRS_TRY(find_binary(bin, sizeof bin));
  LRS_TRY(push(env, "LRS_BIN=%s", bin));
  LRS_TRY(push(env, "LRS_DRAIN=%ld", lead * 4 / 5));
  if (a->chain) {
    LRS_TRY(find_script("chain.sh", script, sizeof script));
    if (a->store)
      LRS_TRY(push(env, "LRS_STORE=%s", a->store));
    LRS_TRY(push(cmd, "%s", script));
    LRS_TRY(push(cmd, "%ld", a->chain));
    LRS_TRY(push(cmd, "%s", a->sweep));
  } else if (a->array) {
    LRS_TRY(find_script("submit_array.sh", script, sizeof script));
    LRS_TRY(push(cmd, "%s", script));
    LRS_TRY(push(cmd, "%ld", a->array));
    LRS_TRY(push(cmd, "%s", a->sweep));
    LRS_TRY(push(cmd, "%s", store));
  } else {
    LRS_TRY(find_script("sweep.sbatch", script, sizeof script));
    LRS_TRY(push(cmd, "sbatch"));
  }
  LRS_TRY(push(cmd, "--ntasks=%ld", a->ntasks));
  LRS_TRY(push(cmd, "--time=%s", a->time ? a->time : t));
  LRS_TRY(push(cmd, "--signal=B:USR1@%ld", lead));
  if (a->account)
    LRS_TRY(push(cmd, "--account=%s", a->account));
  if (a->partition)
    LRS_TRY(push(cmd, "--partition=%s", a->partition));
  if (!a->chain && !a->array)
    LRS_TRY(push(cmd, "--export=ALL"));
  for (int i = 0; i < a->n_extra; i++) /* later on the line: the user's win */
    LRS_TRY(push(cmd, "%s", a->extra[i]));
  if (!a->chain && !a->array) {
    LRS_TRY(push(cmd, "%s", script));
    LRS_TRY(push(cmd, "%s", a->sweep));
    if (a->store) {
      LRS_TRY(push(cmd, "--store"));
      LRS_TRY(push(cmd, "%s", a->store));
    }
  }
  return LRS_OK;
}

static void print_estimate(const submit_args *a, const estimate *e, const char *name,
                           const char *store, bool refines, long limit, bool given,
                           double job_seconds) {
  const long workers = a->ntasks > 1 ? a->ntasks - 1 : 1;
  char t[32];
  printf("# sweep %s: %" PRIu64 " points, %" PRIu64 " to run, store %s\n", name, e->points,
         e->todo, store);
  if (e->measured > 0)
    printf("# speed: %.4g s per Gflop, measured on %" PRIu64 " finished points of %s\n",
           e->seconds_per_cost * 1e9, e->measured, store);
  else
    printf("# speed: %.4g s per Gflop assumed (%g GFLOP/s per core; %s)\n",
           e->seconds_per_cost * 1e9, ASSUMED_FLOP_RATE / 1e9,
           e->store_exists ? "no finished point in the store to measure"
                           : "no store yet to measure");
  char core[32], job[32], costliest[32];
  printf("# predicted: %s of core time to run; %s per %s on %ld worker%s; costliest point %s\n",
         lrs_format_seconds(e->todo_cost * e->seconds_per_cost, core, sizeof core),
         lrs_format_seconds(job_seconds, job, sizeof job),
         a->array ? "shard" : a->chain ? "job of the chain" : "job", workers,
         workers == 1 ? "" : "s", lrs_format_seconds(e->max_cost * e->seconds_per_cost, costliest,
                                                     sizeof costliest));
  format_time(limit, t, sizeof t);
  if (given)
    printf("# time: %s given\n", a->time ? a->time : t);
  else
    printf("# time: %s suggested (%.2f × predicted + %d s warning + %d s startup, "
           "at least %d min, at most %d h)\n",
           t, SAFETY, MAX_LEAD, STARTUP_SECONDS, MIN_SUGGESTED / 60, MAX_SUGGESTED / 3600);
  if (refines)
    printf("# refine: the [refine] rounds add points this estimate does not count\n");
  if (given && SAFETY * job_seconds + warning_lead(limit) > (double)limit)
    printf("# note: the predicted work exceeds one job of %s: it takes several runs (the job "
           "requeues itself; a chain's or the merge job's runs go on)\n",
           t);
}

static int submit(int argc, char **argv) {
  submit_args a;
  int rc = parse_args(argc, argv, &a);
  long limit = 0;
  if (rc < 0)
    rc = given_limit(&a, &limit);
  if (rc >= 0)
    return rc;

  lrs_config *cfg = NULL;
  lrs_grid *grid = NULL;
  arg_list env = {0}, cmd = {0};
  estimate e;
  lrs_status st = lrs_cli_open_sweep(a.sweep, &cfg, &grid);
  if (st != LRS_OK)
    return lrs_cli_fail(st);
  lrs_cli_warn_sweep(cfg);
  const char *store = a.store ? a.store : lrs_config_store(cfg);
  LRS_TRY_GOTO(st, make_estimate(grid, store, lrs_config_name(cfg), &e), done);

  /* Points run on P − 1 workers (one process does both when P = 1); a chain
   * runs its jobs one after the other, an array its shards side by side. */
  const double workers = a.ntasks > 1 ? (double)(a.ntasks - 1) : 1.0;
  const double parts = (double)(a.array ? a.array : a.chain ? a.chain : 1);
  const double job_seconds = e.todo_cost * e.seconds_per_cost / workers / parts;
  const double longest = e.max_cost * e.seconds_per_cost;
  const bool given = limit > 0;
  if (!given) {
    double need = SAFETY * fmax(job_seconds, longest) + MAX_LEAD + STARTUP_SECONDS;
    need = fmin(fmax(need, MIN_SUGGESTED), MAX_SUGGESTED);
    limit = 60 * (long)ceil(need / 60.0);
  }
  print_estimate(&a, &e, lrs_config_name(cfg), store, lrs_config_refine(cfg)->bisect ||
                                                          lrs_config_refine(cfg)->rate_ci > 0,
                 limit, given, job_seconds);
  if (given && longest > (double)(limit - warning_lead(limit))) {
    char costliest[32], before[32], job[32];
    fprintf(stderr,
            "lrsweep submit: warning: the costliest point is predicted to take %s, more "
            "than the %s a job of %s has before its warning; it may never finish\n",
            lrs_format_seconds(longest, costliest, sizeof costliest),
            lrs_format_seconds((double)(limit - warning_lead(limit)), before, sizeof before),
            lrs_format_seconds((double)limit, job, sizeof job));
  }
  LRS_TRY_GOTO(st, build_command(&a, store, limit, &env, &cmd), done);

  for (size_t i = 0; i < env.n; i++) {
    print_word(env.v[i]);
    putchar(' ');
  }
  for (size_t i = 0; i < cmd.n; i++) {
    print_word(cmd.v[i]);
    putchar(i + 1 < cmd.n ? ' ' : '\n');
  }
  if (a.dry_run)
    goto done;
  fflush(stdout);
  for (size_t i = 0; i < env.n; i++) {
    char *eq = strchr(env.v[i], '=');
    *eq = '\0';
    if (setenv(env.v[i], eq + 1, 1) != 0) {
      st = LRS_RAISE(LRS_ERR_IO, "setenv %s: %s", env.v[i], strerror(errno));
      goto done;
    }
  }
  execvp(cmd.v[0], cmd.v);
  /* Still here: the command could not be started (a runtime failure, 1). */
  fprintf(stderr, "lrsweep submit: cannot run %s: %s (is this a SLURM login node?)\n",
          cmd.v[0], strerror(errno));
  rc = LRS_EXIT_FAILURE;
done:
  arg_list_free(&env);
  arg_list_free(&cmd);
  lrs_grid_destroy(&grid);
  lrs_config_destroy(&cfg);
  if (st != LRS_OK)
    return lrs_cli_fail(st);
  return rc >= 0 ? rc : LRS_EXIT_OK;
}

const lrs_cli_command lrs_cli_submit = {
    "submit", "submit a sweep to SLURM (writes and runs the sbatch command)",
    "usage: lrsweep submit SWEEP.toml [--ntasks P] [--time T | --hours H] [--account A]\n"
    "                      [--partition Q] [--store PATH] [--array N | --chain N]\n"
    "                      [--dry-run] [-- SBATCH OPTIONS...]\n"
    "\n"
    "Runs the sweep on SLURM without editing a job script: writes the command line\n"
    "of lrsweep's job scripts, prints it after a time estimate, and runs it (not\n"
    "with --dry-run).  By default one job of jobs/sweep.sbatch, which requeues itself\n"
    "(same job, same options) until the sweep is complete.\n"
    "\n"
    "  --ntasks P     MPI ranks per job: 1 coordinator + P − 1 workers (3)\n"
    "  --time T       each job's limit in sbatch's format (MM, MM:SS, HH:MM:SS, D-HH,\n"
    "  --hours H      D-HH:MM, D-HH:MM:SS), or in hours (e.g. 1.5).  Without either:\n"
    "                 suggested from the cost model of `lrsweep plan`, scaled by the\n"
    "                 seconds per unit of cost measured on the store's finished\n"
    "                 points (5 GFLOP/s per core when there are none): 1.25 × the\n"
    "                 predicted run + 300 s of warning + 120 s of startup, at least\n"
    "                 10 min, at most 24 h\n"
    "  --account A    --partition Q    passed to sbatch\n"
    "  --store PATH   the store (default: the sweep file's)\n"
    "  --array N      N shards as a job array (jobs/submit_array.sh), then one job\n"
    "                 that merges them into the store and finishes what they left\n"
    "  --chain N      N jobs, each starting when the previous ends (jobs/chain.sh;\n"
    "                 for sites that forbid requeueing)\n"
    "  --dry-run      print the estimate and the command, submit nothing\n"
    "  -- ...         more sbatch options (--qos=Q, --mem-per-cpu=4G, --job-name=X,\n"
    "                 ...), placed after lrsweep's own, so they win\n"
    "\n"
    "Output: lines starting with '#' (the estimate), then the command, e.g.\n"
    "  LRS_BIN=/path/build/lrsweep LRS_DRAIN=240 sbatch --ntasks=33 --time=02:00:00\n"
    "    --signal=B:USR1@300 --export=ALL /path/jobs/sweep.sbatch sweeps/x.toml\n"
    "The time-limit warning comes L = T/10 seconds before the limit, within\n"
    "[60, 300] and at most T/2 (--signal=B:USR1@L); running points may then\n"
    "drain for 4L/5 (LRS_DRAIN).\n"
    "\n"
    "The job runs this lrsweep binary (its absolute path; LRS_BIN overrides), which\n"
    "must be visible from the compute nodes, and the job scripts in\n"
    "  " LRS_SOURCE_ROOT "/jobs\n"
    "(the source tree it was built from; LRS_JOBS=DIR overrides).  The job starts in\n"
    "the submission directory: relative sweep and store paths are relative to it.\n"
    "Exit status: sbatch's (or the script's); 2 for a usage error or an invalid\n"
    "sweep file or store.\n",
    submit};
