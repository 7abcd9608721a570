/* `[mpirun ...] lrsweep SWEEP.toml`: run a whole sweep into its store. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "lrsweep/linalg.h"
#include "lrsweep/refine.h"
#include "lrsweep/sched.h"
#include "lrsweep/store.h"

typedef struct {
  const char *path, *store;
  bool retry_failed, extend;
  uint32_t shard, shards; /* --shard I/N; shards = 0 for none */
  bool group_given, drain_given; /* else [run] of the sweep file, else defaults */
  bool group_auto;               /* --group-size auto */
  lrs_sched_options sched;
} sweep_args;

static int parse_number(const char *opt, const char *text, double lo, double *out) {
  char *end;
  double v = strtod(text, &end);
  if (*end || !*text || !(v >= lo) || !isfinite(v))
    return lrs_cli_usage_error("sweep", "%s expects a finite number ≥ %g, not '%s'", opt, lo,
                               text);
  *out = v;
  return LRS_EXIT_OK;
}

/* An integer in [lo, hi] (out of range, not clamped). */
static int parse_int(const char *opt, const char *text, long lo, long hi, long *out) {
  char *end;
  errno = 0;
  long v = strtol(text, &end, 10);
  if (*end || end == text || errno == ERANGE || v < lo || v > hi)
    return lrs_cli_usage_error("sweep", "%s expects an integer ≥ %ld and ≤ %ld, not '%s'", opt,
                               lo, hi, text);
  *out = v;
  return LRS_EXIT_OK;
}

static int parse_args(int argc, char **argv, sweep_args *a) {
  *a = (sweep_args){.sched = lrs_sched_defaults()};
  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    const char *val = i + 1 < argc ? argv[i + 1] : NULL;
      int rc = LRS_EXIT_OK;
    if (strcmp(arg, "--retry-failed") == 0)
      a->retry_failed = true;
    else if (strcmp(arg, "--extend") == 0)
      a->extend = true;
    else if (strcmp(arg, "--quiet") == 0)
      a->sched.progress = LRS_PROGRESS_QUIET;
    else if (strcmp(arg, "--json-progress") == 0)
      a->sched.progress = LRS_PROGRESS_JSON;
    else if (val && strcmp(arg, "--store") == 0)
      a->store = argv[++i];
    else if (val && strcmp(arg, "--shard") == 0) {
      /* Digits only: sscanf's %u would wrap "-1" and overflow silently. */
      const char *text = argv[++i], *slash = strchr(text, '/');
      char *end = NULL;
      unsigned long shard = 0, shards = 0;
      bool digits = slash && strspn(text, "0123456789") == (size_t)(slash - text) &&
                    slash > text && slash[1] && strspn(slash + 1, "0123456789") == strlen(slash + 1);
      errno = 0;
      if (digits) {
        shard = strtoul(text, &end, 10);
        shards = strtoul(slash + 1, &end, 10);
      }
      if (!digits || errno == ERANGE || shards == 0 || shards > UINT32_MAX || shard >= shards)
        return lrs_cli_usage_error("sweep", "--shard expects I/N with 0 ≤ I < N ≤ %lu, not '%s'",
                                   (unsigned long)UINT32_MAX, text);
      a->shard = (uint32_t)shard;
      a->shards = (uint32_t)shards;
    } else if (val && strcmp(arg, "--end-time") == 0)
      rc = parse_number(arg, argv[++i], 0, &a->sched.end_time);
    else if (val && strcmp(arg, "--end-margin") == 0)
      rc = parse_number(arg, argv[++i], 0, &a->sched.end_margin);
    else if (val && strcmp(arg, "--group-size") == 0) {
      a->group_auto = strcmp(argv[++i], "auto") == 0;
      char *end;
      errno = 0;
      long g = a->group_auto ? 0 : strtol(argv[i], &end, 10);
      if (!a->group_auto &&
          (*end || end == argv[i] || errno == ERANGE || g < 1 || g > 1000000))
        return lrs_cli_usage_error("sweep", "--group-size expects an integer ≥ 1 or 'auto', "
                                            "not '%s'", argv[i]);
      a->sched.group_size = a->group_auto ? a->sched.group_size : (int)g;
      a->group_given = true;
    } else if (val && strcmp(arg, "--max-chunk") == 0) {
      long chunk = 0;
      if ((rc = parse_int(arg, argv[++i], 1, 1000000, &chunk)) == LRS_EXIT_OK)
        a->sched.max_chunk = (int)chunk;
    } else if (val && strcmp(arg, "--drain-seconds") == 0) {
      rc = parse_number(arg, argv[++i], 0, &a->sched.drain_seconds);
      a->drain_given = true;
    }
    else if (val && strcmp(arg, "--progress-seconds") == 0)
      rc = parse_number(arg, argv[++i], 0.1, &a->sched.progress_seconds);
    else if (arg[0] == '-')
      return lrs_cli_bad_option(&lrs_cli_sweep, arg, val == NULL);
    else if (a->path)
      return lrs_cli_usage_error("sweep", "expected one sweep file, got '%s' and '%s'",
                                 a->path, arg);
    else
      a->path = arg;
    if (rc != LRS_EXIT_OK)
      return rc;
  }
  if (!a->path)
    return lrs_cli_usage_error("sweep", "expected a sweep file");
  return LRS_EXIT_OK;
}

/* Rank 0's side of a run: the store, and the refinement engine when the
 * sweep has [refine] (it proposes rows after the grid's, lrsweep/refine.h). */
typedef struct run_state {
  lrs_store_writer *writer;
  lrs_refine *refine;
  const lrs_grid *grid;
} run_state;

/* The store writer (and the refinement engine) as the scheduler's sink. */
static lrs_status sink_put(void *ctx, uint64_t index, const lrs_result *result, int rank) {
  run_state *r = ctx;
  if (r->refine)
    LRS_TRY(lrs_refine_observe(r->refine, index, result));
  return lrs_store_put(r->writer, index, result, rank);
}
static lrs_status sink_tick(void *ctx, double now) {
  (void)now;
  return lrs_store_maybe_flush(((run_state *)ctx)->writer, lrs_now());
}

/* Points of grid rows and refinement rows; refinement rounds as refills,
 * each made durable before its points go out. */
static lrs_status source_point(void *ctx, uint64_t index, lrs_point *point) {
  run_state *r = ctx;
  return r->refine ? lrs_refine_point(r->refine, index, point)
                   : lrs_grid_point(r->grid, index, point);
}
static lrs_status source_refill(void *ctx, uint64_t **more, uint64_t *n_more) {
  run_state *r = ctx;
  LRS_TRY(lrs_store_flush(r->writer));
  return lrs_refine_next(r->refine, more, n_more);
}

static void print_refine_report(const lrs_refine_report *r) {
  fprintf(stderr,
          "lrsweep: refinement: %" PRIu64 " round%s, %" PRIu64 " bisection and %" PRIu64
          " seed points this run\n",
          r->rounds, r->rounds == 1 ? "" : "s", r->bisect_points, r->seed_points);
  if (r->cells)
    fprintf(stderr,
            "lrsweep: boundaries: %" PRIu64 " cells: %" PRIu64 " bracketed to rtol, %" PRIu64
            " without a flip, %" PRIu64 " stopped by max_generations, %" PRIu64
            " unfinished; a dense grid at rtol over the flipping cells would take %" PRIu64
            " points\n",
            r->cells, r->cells - r->cells_no_flip - r->cells_capped - r->cells_open,
            r->cells_no_flip, r->cells_capped, r->cells_open, r->dense_points);
  if (r->rate_cells)
    fprintf(stderr,
            "lrsweep: rates: %" PRIu64 " cells: %" PRIu64 " within rate_ci, %" PRIu64
            " at max_seeds, %" PRIu64 " without enough rates\n",
            r->rate_cells, r->rate_confident, r->rate_capped, r->rate_none);
}

/* A broadcast from rank 0 on MPI_COMM_WORLD (MPI_ERRORS_RETURN).  A failed
 * collective leaves the ranks disagreeing about where they are: the job
 * ends, with one line. */
static void bcast_or_abort(void *buf, int count, MPI_Datatype type) {
  lrs_status st = lrs_mpi_check(MPI_Bcast(buf, count, type, 0, MPI_COMM_WORLD), "MPI_Bcast");
  if (st != LRS_OK) {
    lrs_cli_fail(st);
    MPI_Abort(MPI_COMM_WORLD, LRS_EXIT_FAILURE);
  }
}

/* Agrees on the outcome of a step every rank did: LRS_OK on all ranks when
 * `st` is LRS_OK on all; else this rank's failure, or on the others one
 * naming the worst status (a failed reduction counts as a failure). */
static lrs_status agree(lrs_status st) {
  int mine = (int)st, worst = (int)LRS_ERR_MPI;
  lrs_status reduced = lrs_mpi_check(
      MPI_Allreduce(&mine, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD), "MPI_Allreduce");
  if (st != LRS_OK)
    return st;
  if (reduced != LRS_OK)
    return reduced;
  if (worst != (int)LRS_OK)
    return LRS_RAISE((lrs_status)worst, "another rank failed: %s", lrs_strerror((lrs_status)worst));
  return LRS_OK;
}

/* Rank 0 reads the sweep file and sends its text, so every rank works from
 * the same bytes; every outcome is agreed, so all ranks stop together. */
static lrs_status share_sweep(int rank, const char *path, lrs_config **cfg, lrs_grid **grid) {
  uint64_t head[2] = {0, 0}; /* rank 0 failed, text length */
  const char *text = NULL;
  char *buf = NULL;
  lrs_status st = LRS_OK;
  if (rank == 0) {
    st = lrs_cli_open_sweep(path, cfg, grid);
    if (st == LRS_OK)
      lrs_cli_warn_sweep(*cfg);
    if (st == LRS_OK)
      text = lrs_config_text(*cfg, NULL);
    head[0] = st != LRS_OK;
    head[1] = text ? strlen(text) : 0;
  }
  bcast_or_abort(head, 2, MPI_UINT64_T);
  if (head[0])
    return rank == 0 ? st : LRS_ERR_CONFIG; /* rank 0 says why */
  const uint64_t len = head[1];
  int count = 0;
  st = lrs_to_int(len, &count, "sweep file size");
  if (st == LRS_OK && rank != 0 && !(buf = malloc(len + 1)))
    st = LRS_RAISE(LRS_ERR_NOMEM, "out of memory for the sweep text");
  if ((st = agree(st)) != LRS_OK) {
    free(buf);
    return st;
  }
  bcast_or_abort(rank == 0 ? (void *)text : buf, count, MPI_CHAR);
  if (rank != 0) {
    st = lrs_config_load_string(buf, len, path, cfg);
    if (st == LRS_OK)
      st = lrs_grid_create(*cfg, grid);
    free(buf);
  }
  return agree(st);
}

/* The BLAS of the ranks that solve (1 .. P − 1, or rank 0 alone) into out
 * on rank 0, for /runs: one name, or when they differ each with its rank
 * count (on a mixed cluster a point's bits depend on the rank that solved
 * it; lrsweep/linalg.h).  Collective. */
static lrs_status solving_blas(int rank, int size, char *out, size_t len) {
  enum { NAME = LRS_LINALG_BLAS_MAX };
  char mine[NAME] = "", *all = NULL;
  snprintf(mine, sizeof mine, "%s", lrs_linalg_blas());
  lrs_status st = LRS_OK;
  if (rank == 0 && !(all = malloc((size_t)size * NAME)))
    st = LRS_RAISE(LRS_ERR_NOMEM, "out of memory for %d BLAS names", size);
  if ((st = agree(st)) != LRS_OK)
    return st;
  st = agree(lrs_mpi_check(MPI_Gather(mine, NAME, MPI_CHAR, all, NAME, MPI_CHAR, 0,
                                      MPI_COMM_WORLD),
                           "MPI_Gather"));
  if (st == LRS_OK && rank == 0) {
    const int first = size > 1 ? 1 : 0;
    const char *base = all + (size_t)first * NAME;
    bool same = true;
    for (int r = first + 1; r < size; r++)
      same = same && strncmp(all + (size_t)r * NAME, base, NAME) == 0;
    size_t used = 0;
    out[0] = '\0';
    for (int r = first; r < size; r++) {
      const char *name = all + (size_t)r * NAME;
      int count = 0;
      bool seen = false;
      for (int q = first; q < size; q++)
        if (strncmp(all + (size_t)q * NAME, name, NAME) == 0) {
          count++;
          seen = seen || q < r;
        }
      if (seen)
        continue;
      int k = same ? snprintf(out, len, "%.*s", NAME, name)
                   : snprintf(out + used, len - used, "%s%.*s (%d rank%s)", used ? "; " : "",
                              NAME, name, count, count == 1 ? "" : "s");
      used = k < 0 || (size_t)k >= len - used ? len - 1 : used + (size_t)k;
    }
  }
  free(all);
  return st;
}

/* The rows to run: those the store lacks (refinement rows included),
 * within the shard if any. */
static lrs_status pending_points(lrs_store_writer *w, const lrs_grid *grid, const sweep_args *a,
                                 uint64_t **out, uint64_t *n) {
  uint64_t k = 0, n_all = lrs_store_row_count(w);
  uint64_t *list = NULL;
  if (a->shards > 0) {
    LRS_TRY(lrs_grid_shard(grid, a->shard, a->shards, &list, &n_all));
  } else {
    list = malloc((n_all ? n_all : 1) * sizeof *list);
    LRS_TRY(LRS_CHECK_ALLOC(list));
    for (uint64_t i = 0; i < n_all; i++)
      list[i] = i;
  }
  for (uint64_t i = 0; i < n_all; i++)
    if (lrs_store_needs(w, list[i]))
      list[k++] = list[i];
  *out = list;
  *n = k;
  return LRS_OK;
}

/* The batch job's end as Unix seconds: SLURM_JOB_END_TIME, else squeue's
 * end time of SLURM_JOB_ID; 0 when not in a job or unknown. */
static double slurm_end_time(void) {
  const char *env = getenv("SLURM_JOB_END_TIME");
  if (env && atof(env) > 0)
    return atof(env);
  const char *job = getenv("SLURM_JOB_ID");
  if (!job || strspn(job, "0123456789_") != strlen(job))
    return 0;
  char cmd[96], text[64] = "";
  snprintf(cmd, sizeof cmd, "squeue -h -j %s -o %%e 2>/dev/null", job);
  FILE *p = popen(cmd, "r");
  if (!p)
    return 0;
  char *got = fgets(text, sizeof text, p);
  pclose(p);
  struct tm tm = {0};
  if (!got || sscanf(text, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                     &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
    return 0; /* "N/A", "UNLIMITED" */
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  tm.tm_isdst = -1; /* squeue prints local time */
  return (double)mktime(&tm);
}

/* A store written by an lrsweep that expanded ranges without rounding
 * (0.0010000000000000002 for 0.001) is resumed with its own axis values, so
 * that its rows keep their keys; says so once.  Nothing when the store or
 * the sweep is new, or when the store cannot be read (the writer says why). */
static void keep_stored_values(lrs_config *cfg, const char *path, bool quiet) {
  struct stat sb;
  if (stat(path, &sb) != 0)
    return;
  lrs_store *store = NULL;
  lrs_config *old = NULL;
  size_t sweep;
  if (lrs_store_open(path, &store) == LRS_OK &&
      lrs_store_find_sweep(store, lrs_config_name(cfg), &sweep) == LRS_OK &&
      lrs_store_load_config(store, sweep, &old) == LRS_OK) {
    for (size_t a = 0; a < lrs_config_axis_count(old); a++) {
      const lrs_axis *ax = lrs_config_axis(old, a);
      size_t n = lrs_config_pin_values(cfg, ax->param, ax->values, ax->length, 1e-9);
      if (n && !quiet)
        fprintf(stderr,
                "lrsweep: %s: keeping the stored values of axis %s (%zu of them as an older "
                "lrsweep wrote them, unrounded, into its keys); a new store gets short decimals\n",
                path, ax->param->name, n);
    }
  }
  lrs_error_clear();
  lrs_config_destroy(&old);
  lrs_store_close(&store);
}

static int sweep(int argc, char **argv) {
  /* A stop from here on ends the run cleanly (exit 75), never kills it. */
  if (lrs_sched_install_handlers() != LRS_OK)
    return lrs_cli_fail(LRS_ERR_INTERNAL);
  sweep_args a;
  int code = parse_args(argc, argv, &a);
  if (code != LRS_EXIT_OK)
    return code;
  if (MPI_Init(NULL, NULL) != MPI_SUCCESS) {
    fprintf(stderr, "lrsweep: MPI_Init failed\n");
    return LRS_EXIT_FAILURE;
  }
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);

  lrs_config *cfg = NULL;
  lrs_grid *grid = NULL;
  run_state run_st = {0};
  uint64_t *pending = NULL, n_pending = 0;
  lrs_sched_report report = {0};
  lrs_status st = share_sweep(rank, a.path, &cfg, &grid);
  char blas[LRS_STORE_BLAS_MAX] = "";
  if (st == LRS_OK)
    st = solving_blas(rank, size, blas, sizeof blas);
  bool worker_failed = false; /* this worker's own failure: rank 0 cannot know */
  bool early_stop = false;    /* rank 0: stopped before the store was opened */
  if (st == LRS_OK)
    a.sched.name = lrs_config_name(cfg);
  if (st == LRS_OK) {
    const lrs_run_options *run = lrs_config_run(cfg);
    if (!a.group_given && run->group_size > 0)
      a.sched.group_size = (int)run->group_size;
    if (a.group_given ? a.group_auto : run->group_auto) {
      /* Groups of the largest G ≤ auto_group_size dividing P − 1; only wide
       * points go to a whole group. */
      int max_group = run->auto_group_size > 0 ? (int)run->auto_group_size : LRS_SCHED_AUTO_GROUP;
      a.sched.group_size = lrs_sched_auto_group(size - 1, max_group);
      a.sched.group_threshold =
          run->group_threshold > 0 ? run->group_threshold : LRS_SCHED_GROUP_THRESHOLD;
    }
    if (!a.drain_given && !isnan(run->drain_seconds))
      a.sched.drain_seconds = run->drain_seconds;
    int opened = 1;
    if (rank == 0) {
      lrs_store_options opt = lrs_store_options_default();
      opt.mpi_size = size;
      opt.blas = blas;
      opt.extend = a.extend;
      opt.retry_failed = a.retry_failed;
      bool refine = lrs_config_refine(cfg)->enabled;
      run_st.grid = grid;
      if (refine && a.shards > 0)
        st = LRS_RAISE(LRS_ERR_USAGE, "%s: [refine] runs on the whole grid; --shard splits it "
                                      "(run the refinement without --shard)",
                       a.path);
      early_stop = st == LRS_OK && lrs_sched_stop_requested();
      if (st == LRS_OK && !early_stop)
        keep_stored_values(cfg, a.store ? a.store : lrs_config_store(cfg),
                           a.sched.progress == LRS_PROGRESS_QUIET);
      if (st == LRS_OK && !early_stop)
        st = lrs_store_writer_open(a.store ? a.store : lrs_config_store(cfg), grid, &opt,
                                   &run_st.writer);
      if (st == LRS_OK && !early_stop && refine)
        st = lrs_refine_create(grid, run_st.writer, &run_st.refine);
      if (st == LRS_OK && !early_stop)
        st = pending_points(run_st.writer, grid, &a, &pending, &n_pending);
      if (a.sched.end_time == 0)
        a.sched.end_time = slurm_end_time();
      opened = st == LRS_OK && !early_stop;
      if (opened && a.sched.progress != LRS_PROGRESS_QUIET && n_pending == 0 && !refine)
        fprintf(stderr, "lrsweep: %s: nothing to do: %" PRIu64 " of %" PRIu64
                        " points stored\n",
                lrs_config_name(cfg), lrs_store_row_count(run_st.writer),
                lrs_store_row_count(run_st.writer));
      else if (opened && a.sched.progress != LRS_PROGRESS_QUIET)
        fprintf(stderr,
                "lrsweep: %s: %" PRIu64 " point%s%s, %" PRIu64 " to run on %d rank%s\n",
                lrs_config_name(cfg), lrs_store_row_count(run_st.writer),
                lrs_store_row_count(run_st.writer) == 1 ? "" : "s",
                refine ? " so far (refinement adds more)" : "", n_pending, size,
                size == 1 ? "" : "s");
      if (opened && a.sched.progress != LRS_PROGRESS_QUIET && a.sched.group_threshold > 0)
        fprintf(stderr, "lrsweep: group size auto: groups of %d, points of width ≥ %" PRId64
                        " on a whole group\n", a.sched.group_size, a.sched.group_threshold);
    }
    bcast_or_abort(&opened, 1, MPI_INT);
    if (opened) {
      lrs_sched_sink sink = {&run_st, sink_put, sink_tick};
      lrs_sched_source source = {&run_st, source_point,
                                 run_st.refine ? source_refill : NULL};
      st = lrs_sched_run(MPI_COMM_WORLD, &source, pending, n_pending, &a.sched, &sink,
                         &report);
      worker_failed = rank != 0 && st != LRS_OK;
    } else if (rank != 0) {
      st = LRS_ERR_STORE; /* rank 0 says why */
    }
    if (early_stop) {
      fprintf(stderr, "lrsweep: stopped by a signal before the store was opened; nothing was "
                      "written: run the same command again (exit %d)\n", LRS_EXIT_RESUME);
      code = LRS_EXIT_RESUME;
    }
  }
  if (rank == 0 && run_st.refine && st == LRS_OK && a.sched.progress != LRS_PROGRESS_QUIET)
    print_refine_report(lrs_refine_get_report(run_st.refine));
  if (rank == 0) {
    lrs_refine_destroy(&run_st.refine);
    lrs_status closed = lrs_store_writer_close(&run_st.writer);
    if (st == LRS_OK)
      st = closed;
  }
  if (worker_failed) {
    /* Rank 0 waits for this worker's results: end the job (it keeps the
     * store as a crash would). */
    char prefix[48];
    snprintf(prefix, sizeof prefix, "lrsweep: rank %d: ", rank);
    lrs_cli_put_line(stderr, prefix, lrs_error_message()[0] ? lrs_error_message()
                                                             : lrs_strerror(st));
    MPI_Abort(MPI_COMM_WORLD, LRS_EXIT_FAILURE);
  }
  if (early_stop)
    ; /* said above */
  else if (st != LRS_OK)
    code = rank == 0 ? lrs_cli_fail(st) : LRS_EXIT_USAGE;
  else if (rank == 0 && report.interrupted) {
    char cut[96] = "";
    if (report.cancelled)
      snprintf(cut, sizeof cut, " (%" PRIu64 " cancelled mid-solve after the drain, left pending)",
               report.cancelled);
    fprintf(stderr,
            "lrsweep: interrupted after %" PRIu64 " of %" PRIu64 " points%s; the store is "
            "consistent: run the same command again to resume (exit %d)\n",
            report.done, n_pending, cut, LRS_EXIT_RESUME);
    code = LRS_EXIT_RESUME;
  } else if (rank == 0 && a.sched.progress != LRS_PROGRESS_QUIET &&
             (n_pending > 0 || lrs_config_refine(cfg)->enabled)) {
    /* (with nothing pending, "nothing to do" above said it all) */
    char took[32], other[96] = "";
    if (report.other) /* named, so that the counts add up to the points */
      snprintf(other, sizeof other, ", %" PRIu64 " other (max_time, theory_only, rule_undefined)",
               report.other);
    fprintf(stderr,
            "lrsweep: %s: %" PRIu64 " point%s done (%" PRIu64 " converged, %" PRIu64
            " max_iter, %" PRIu64 " diverged, %" PRIu64 " failed%s) in %s\n",
            lrs_config_name(cfg), report.done, report.done == 1 ? "" : "s", report.converged,
            report.max_iter, report.diverged, report.failed, other,
            lrs_format_seconds(report.seconds, took, sizeof took));
  }
  free(pending);
  lrs_grid_destroy(&grid);
  lrs_config_destroy(&cfg);
  /* Only for a truly stuck job: groups that answered no cancel within
   * cancel_seconds after the drain (or an MPI failure) cannot be waited for.
   * An ordinary stop (drain, then cancel) ends through MPI_Finalize below. */
  if (rank == 0 && report.abandoned > 0)
    MPI_Abort(MPI_COMM_WORLD, st == LRS_OK ? LRS_EXIT_RESUME : code);
  /* Every rank exits with rank 0's code, whichever mpirun reports. */
  bcast_or_abort(&code, 1, MPI_INT);
  MPI_Finalize();
  return code;
}

const lrs_cli_command lrs_cli_sweep = {
    "sweep", "run a sweep into its store (also: lrsweep SWEEP.toml)",
    "usage: [mpirun -np P] lrsweep [sweep] SWEEP.toml [options]\n"
    "\n"
    "Runs every point of the sweep that its store does not hold yet and writes the\n"
    "results to the store ([sweep] store, or --store).  Rank 0 coordinates and\n"
    "writes; the other P − 1 ranks solve, in groups of --group-size ranks.  With\n"
    "P = 1 the one process does both.  Running the same command again resumes.\n"
    "\n"
    "  --store PATH            store file (default: the sweep file's [sweep] store)\n"
    "  --group-size G|auto     ranks per group; P − 1 must be a multiple of G\n"
    "                          (default: [run] group_size of the sweep file, else 1).\n"
    "                          auto: G = the largest divisor of P − 1 up to\n"
    "                          [run] auto_group_size (2); points of solver width\n"
    "                          (h; n + m in reduced coordinates) ≥ [run]\n"
    "                          group_threshold (8192) are solved by a whole group,\n"
    "                          the others by single ranks\n"
    "  --retry-failed          also rerun points that ended in error, timeout or\n"
    "                          numerical_failure\n"
    "  --extend                accept a sweep whose axes only gained values\n"
    "  --drain-seconds S       after SIGTERM/SIGINT/SIGUSR1, let running points\n"
    "                          finish for up to S seconds ([run] drain_seconds, else 60);\n"
    "                          then they are cancelled and stay pending\n"
    "  --max-chunk N           most points per work message (64)\n"
    "  --shard I/N             run only shard I of N (cost-balanced; job arrays);\n"
    "                          combine the shards' stores with `lrsweep merge`\n"
    "  --end-time T            the job ends at Unix time T: no point is started that\n"
    "                          is predicted to end later (default under SLURM: the\n"
    "                          job's end from SLURM_JOB_END_TIME or squeue)\n"
    "  --end-margin S          seconds kept free before the end time (60)\n"
    "  --progress-seconds S    interval of progress lines when not on a terminal (30)\n"
    "  --quiet                 no progress output\n"
    "  --json-progress         progress as one JSON object per line on stdout\n"
    "\n"
    "Exit codes: 0 all points ran (some may have failed: see `lrsweep status`),\n"
    "1 runtime failure, 2 bad arguments, sweep file or store, 75 interrupted by a\n"
    "signal or held back by the time limit: the store is consistent and the same\n"
    "command resumes it.\n",
    sweep};
