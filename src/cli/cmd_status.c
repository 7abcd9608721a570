/* `lrsweep status`: progress, outcomes, timing and failures of a store. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "lrsweep/store.h"

enum { SLOWEST = 5, FAILURES = 10 };

static bool is_failure(int status) {
  return status == LRS_POINT_ERROR || status == LRS_POINT_TIMEOUT ||
         status == LRS_POINT_NUMERICAL_FAILURE;
}

/* A JSON string (quotes, backslashes and control bytes escaped). */
static void json_text(const char *s) {
  putchar('"');
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      printf("\\%c", c);
    else if (c < 0x20)
      printf("\\u%04x", c);
    else
      putchar(c);
  }
  putchar('"');
}

/* One JSON object for a sweep of the store (status --format json). */
static void sweep_json(const lrs_store *store, size_t sweep, const char *path, size_t n,
                       const size_t *counts, size_t failures, double total) {
  char stamp[32];
  time_t t = time(NULL);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
  printf("{\"store\": ");
  json_text(path);
  printf(", \"sweep\": ");
  json_text(lrs_store_sweep_name(store, sweep));
  printf(", \"time\": \"%s\", \"points\": %zu, \"done\": %zu, \"pending\": %zu, "
         "\"failed\": %zu, \"status\": {",
         stamp, n, n - counts[LRS_POINT_PENDING], counts[LRS_POINT_PENDING], failures);
  for (int s = 0; s < LRS_POINT_STATUS_COUNT; s++)
    printf("%s\"%s\": %zu", s ? ", " : "", lrs_point_status_names[s], counts[s]);
  printf("}, \"seconds\": %.6g}\n", total);
}

static lrs_status sweep_status(lrs_store *store, size_t sweep, bool json, size_t *pending) {
  lrs_store_points *pts = NULL;
  LRS_TRY(lrs_store_read_points(store, sweep, &pts));
  size_t n = lrs_store_points_count(pts);
  size_t counts[LRS_POINT_STATUS_COUNT] = {0}, timed = 0, failures = 0;
  size_t origins[LRS_ORIGIN_COUNT] = {0};
  int32_t generations = 0;
  size_t slow[SLOWEST];
  size_t n_slow = 0;
  double total = 0;
  for (size_t i = 0; i < n; i++) {
    const lrs_store_row *r = lrs_store_points_row(pts, i);
    int s = r->summary.status;
    if (s >= 0 && s < LRS_POINT_STATUS_COUNT)
      counts[s]++;
    failures += is_failure(s);
    if (r->origin >= 0 && r->origin < LRS_ORIGIN_COUNT)
      origins[r->origin]++;
    generations = r->generation > generations ? r->generation : generations;
    double w = r->summary.wall_seconds;
    if (s == LRS_POINT_PENDING || isnan(w))
      continue;
    total += w;
    timed++;
    /* Keep the SLOWEST largest, sorted descending (insertion). */
    size_t k = n_slow < SLOWEST ? n_slow++ : SLOWEST;
    if (k == SLOWEST && w <= lrs_store_points_row(pts, slow[SLOWEST - 1])->summary.wall_seconds)
      continue;
    if (k == SLOWEST)
      k = SLOWEST - 1;
    while (k > 0 && lrs_store_points_row(pts, slow[k - 1])->summary.wall_seconds < w) {
      slow[k] = slow[k - 1];
      k--;
    }
    slow[k] = i;
  }
  size_t done = n - counts[LRS_POINT_PENDING];
  *pending += counts[LRS_POINT_PENDING];
  if (json) {
    sweep_json(store, sweep, lrs_store_path(store), n, counts, failures, total);
    lrs_store_points_destroy(&pts);
    return LRS_OK;
  }
  printf("sweep    %s  (sweep file sha256 %.16s..., %zu point%s)\n",
         lrs_store_sweep_name(store, sweep), lrs_store_sweep_sha256(store, sweep), n,
         n == 1 ? "" : "s");
  printf("progress %zu/%zu done (%.1f%%), %zu pending\n", done, n,
         n ? 100.0 * (double)done / (double)n : 0.0, counts[LRS_POINT_PENDING]);
  if (n > origins[LRS_ORIGIN_GRID])
    printf("refined  %zu grid points + %zu bisection + %zu seed points (%d generation%s)\n",
           origins[LRS_ORIGIN_GRID], origins[LRS_ORIGIN_BISECT], origins[LRS_ORIGIN_SEED],
           (int)generations, generations == 1 ? "" : "s");
  if (lrs_store_points_torn(pts))
    printf("         %zu rows torn by a crash read as pending (the next run redoes them)\n",
           lrs_store_points_torn(pts));
  printf("status  ");
  for (int s = 0; s < LRS_POINT_STATUS_COUNT; s++)
    if (counts[s])
      printf(" %s %zu", lrs_point_status_names[s], counts[s]);
  printf("\n");
  char t1[32], t2[32];
  if (timed)
    printf("time     %s in total, %s mean per computed point\n",
           lrs_format_seconds(total, t1, sizeof t1),
           lrs_format_seconds(total / (double)timed, t2, sizeof t2));
  if (n_slow) {
    printf("slowest\n");
    for (size_t k = 0; k < n_slow; k++) {
      const lrs_store_row *r = lrs_store_points_row(pts, slow[k]);
      /* Right-aligned by characters, not bytes: "µs" is 3 bytes, 2 columns. */
      lrs_format_seconds(r->summary.wall_seconds, t1, sizeof t1);
      int columns = 0;
      for (const char *c = t1; *c; c++)
        columns += ((unsigned char)*c & 0xC0) != 0x80;
      printf("  #%-8" PRIu64 " %*s%s  %s\n", r->index, columns < 10 ? 10 - columns : 0, "",
             t1, lrs_store_points_key(pts, slow[k]));
    }
  }
  if (failures) {
    printf("failures %zu\n", failures);
    size_t shown = 0;
    for (size_t i = 0; i < n && shown < FAILURES; i++) {
      const lrs_store_row *r = lrs_store_points_row(pts, i);
      if (!is_failure(r->summary.status))
        continue;
      /* A stored message is any text (GSL's, a data file's path): escaped,
       * so that each failure stays one line of the list. */
      printf("  #%-8" PRIu64 " %s: ", r->index, lrs_point_status_names[r->summary.status]);
      const char *why = r->summary.message[0] ? r->summary.message : "(no message)";
      lrs_cli_put_text(stdout, why, sizeof r->summary.message);
      fputs("  [", stdout);
      lrs_cli_put_text(stdout, lrs_store_points_key(pts, i), SIZE_MAX);
      fputs("]\n", stdout);
      shown++;
    }
    if (failures > shown)
      printf("  ... and %zu more (lrsweep query STORE --where 'status == \"error\"')\n",
             failures - shown);
  }
  lrs_store_points_destroy(&pts);
  return LRS_OK;
}

/* One look at the store: its header (text) and every (or the named) sweep;
 * *pending counts the points still pending. */
static lrs_status show_once(const char *path, const char *name, bool json, size_t *pending) {
  lrs_store *store = NULL;
  *pending = 0;
  LRS_TRY(lrs_store_open(path, &store));
  size_t which = 0;
  lrs_status st = LRS_OK;
  if (name)
    st = lrs_store_find_sweep(store, name, &which);
  if (st == LRS_OK && !json) {
    printf("store    %s  (schema %d, written by lrsweep %s, git %s)\n", path,
           lrs_store_schema_version(store), lrs_store_attribute(store, "lrsweep_version"),
           lrs_store_attribute(store, "lrsweep_git"));
    printf("created  %s on %s, MPI size %s\n", lrs_store_attribute(store, "created_utc"),
           lrs_store_attribute(store, "host"), lrs_store_attribute(store, "mpi_size"));
    if (lrs_store_sweep_count(store) == 0)
      printf("sweeps   none yet\n");
  }
  for (size_t s = 0; st == LRS_OK && s < lrs_store_sweep_count(store); s++)
    if (!name || s == which)
      st = sweep_status(store, s, json, pending);
  lrs_store_close(&store);
  fflush(stdout);
  return st;
}

/* --watch's default interval, in seconds. */
#define WATCH_SECONDS 5.0

/* Whether a word after --watch is meant as S, not a store's name: it reads
 * as a number as a whole ("5", "0.5", "1e3", "0", "inf"), or is a negative
 * one ("-2"); "2024.h5" is a store. */
static bool looks_numeric(const char *s) {
  char *end;
  strtod(s, &end);
  return (end != s && *end == '\0') || (s[0] == '-' && s[1] >= '0' && s[1] <= '9');
}

/* S of --watch S: a whole decimal number of seconds, > 0 and finite. */
static bool seconds(const char *s, double *out) {
  char *end;
  double v = strtod(s, &end);
  if (end == s || *end || !(v > 0) || !isfinite(v))
    return false;
  *out = fmin(v, 1e9); /* ~30 years: nanosleep's time_t holds it */
  return true;
}

static int watch_error(const char *given) {
  return lrs_cli_usage_error("status", "--watch expects a number of seconds > 0 (or nothing: "
                                       "every %g s), not '%s'", WATCH_SECONDS, given);
}

static int status(int argc, char **argv) {
  const char *path = NULL, *name = NULL, *format = "text";
  double watch = 0;
  int path_at = 0, watch_word = -1; /* where the store, and a word after --watch, were */
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--sweep") == 0 && i + 1 < argc)
      name = argv[++i];
    else if (strncmp(argv[i], "--sweep=", 8) == 0)
      name = argv[i] + 8;
    else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc)
      format = argv[++i];
    else if (strncmp(argv[i], "--format=", 9) == 0)
      format = argv[i] + 9;
    else if (strcmp(argv[i], "--watch") == 0 || strncmp(argv[i], "--watch=", 8) == 0) {
      /* S is optional: the next word is S when it reads as a number (then
       * it must be a valid one), else the store or another option. */
      const char *s = argv[i][7] == '=' ? argv[i] + 8 : i + 1 < argc ? argv[i + 1] : NULL;
      watch = WATCH_SECONDS;
      if (argv[i][7] == '=' || (s && looks_numeric(s))) {
        if (!seconds(s, &watch))
          return watch_error(s);
        i += argv[i][7] != '=';
      } else if (s && s[0] != '-') {
        watch_word = i + 1; /* the store, unless a second one follows */
      }
    } else if (argv[i][0] == '-')
      return lrs_cli_bad_option(&lrs_cli_status, argv[i], i + 1 == argc);
    else if (path && (path_at == watch_word || i == watch_word))
      /* `--watch abc STORE` or `STORE --watch abc`: abc was meant as S */
      return watch_error(argv[watch_word]);
    else if (path)
      return lrs_cli_usage_error("status", "expected one store, got '%s' and '%s'", path,
                                 argv[i]);
    else
      path = argv[path_at = i];
  }
  if (!path)
    return lrs_cli_usage_error("status", "expected a store (an .h5 file)");
  if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0)
    return lrs_cli_usage_error("status", "--format must be text or json, not '%s'", format);
  bool json = strcmp(format, "json") == 0;
  size_t pending = 0;
  lrs_status st = show_once(path, name, json, &pending);
  /* --watch: again every S seconds (the store is reopened: SWMR readers see
   * the latest flush) until no point is pending. */
  while (st == LRS_OK && watch > 0 && pending > 0) {
    struct timespec ts = {(time_t)watch, (long)((watch - floor(watch)) * 1e9)};
    nanosleep(&ts, NULL);
    if (!json)
      printf("\n");
    st = show_once(path, name, json, &pending);
  }
  return st == LRS_OK ? LRS_EXIT_OK : lrs_cli_fail(st);
}

const lrs_cli_command lrs_cli_status = {
    "status", "progress, outcomes, timing and failures of a store",
    "usage: lrsweep status STORE [--sweep NAME] [--format text|json] [--watch [S]]\n"
    "\n"
    "Reads the store (also while a sweep writes it, or after a writer was killed)\n"
    "and prints, per sweep (or only NAME): points done and pending, counts by\n"
    "status, total and mean wall time of the computed points, the slowest points,\n"
    "and the failures (error, timeout, numerical_failure) with their messages.\n"
    "  --format json   one object per sweep: store, sweep, time, points, done,\n"
    "                  pending, failed, status (count per outcome), seconds\n"
    "  --watch [S]     again every S seconds (a number > 0; default 5) until no\n"
    "                  point is pending\n",
    status};
