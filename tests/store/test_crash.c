/*
 * Crash safety of the store writer: a child process writes batches of
 * synthetic points and reports, through a pipe, the indices of every batch
 * whose lrs_store_flush returned; the parent SIGKILLs it after a random delay
 * (sometimes while it is still opening, creating or repairing the store),
 * then checks with the reader that every reported point is intact, that no
 * row reads as done unless it is intact, and (every few kills) with h5py.
 *
 * usage: test_crash [PYTHON CHECK_SCRIPT] [KILLS]
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lrs_test.h"
#include "lrsweep/store.h"
#include "synth.h"

/* 40 widths × 60 step sizes × 10 seeds = 24000 points. */
static const char *sweep_text = "[sweep]\nname = \"crash\"\nreplicates = 10\n"
                                "[solver]\nstep_rule = \"fixed\"\n"
                                "[grid]\nwidth = { lin = [100, 490], num = 40 }\n"
                                "step_size = { log = [1e-4, 1e-1], num = 60 }\n";

#define OPENED UINT32_C(0xffffffff)

/* xorshift64*: the test's own deterministic randomness. */
static uint64_t rng = 0x2545f4914f6cdd1dULL;
static uint64_t rnd(void) {
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return rng * 0x2545f4914f6cdd1dULL;
}

/* The child: open, then put random batches of to-do points, flush, report. */
static void child(const char *path, const lrs_grid *grid, int wfd, uint64_t seed) {
  rng ^= seed * 0x9e3779b97f4a7c15ULL;
  lrs_store_writer *w = NULL;
  lrs_store_options o = lrs_store_options_default();
  o.flush_seconds = 1e9; /* flush when the test says */
  if (lrs_store_writer_open(path, grid, &o, &w) != LRS_OK) {
    fprintf(stderr, "child: %s\n", lrs_error_message());
    _exit(3);
  }
  uint32_t opened[2] = {OPENED, 0};
  if (write(wfd, opened, sizeof opened) != sizeof opened)
    _exit(4);
  uint64_t n = lrs_grid_size(grid);
  lrs_result *r = NULL;
  lrs_result_create(16, &r);
  uint32_t msg[1 + 400];
  for (;;) {
    size_t batch = 10 + (size_t)(rnd() % 90), got = 0;
    uint64_t start = rnd() % n;
    for (uint64_t k = 0; k < n && got < batch; k++) {
      uint64_t i = (start + k * 7919) % n; /* 7919 is prime, n is not its multiple */
      if (!lrs_store_needs(w, i))
        continue;
      bool dup = false;
      for (size_t j = 0; j < got; j++)
        dup |= msg[1 + j] == i;
      if (dup)
        continue;
      synth_result(i, 0, r);
      if (lrs_store_put(w, i, r, (int)(i % 2)) != LRS_OK)
        _exit(5);
      msg[1 + got++] = (uint32_t)i;
    }
    if (lrs_store_flush(w) != LRS_OK) {
      fprintf(stderr, "child: %s\n", lrs_error_message());
      _exit(6);
    }
    msg[0] = (uint32_t)got;
    /* ≤ PIPE_BUF bytes: atomic, never torn by the kill. */
    if (got && write(wfd, msg, (1 + got) * sizeof msg[0]) < 0)
      _exit(7);
    if (!got)
      pause(); /* nothing left to do: wait for the kill */
    struct timespec ts = {0, 1000000 * (5 + (long)(rnd() % 10))}; /* "computing" */
    nanosleep(&ts, NULL);
  }
}

static double now(void) { return lrs_now(); }

/* Waits `seconds` while draining the pipe into buf; returns bytes held. */
static size_t drain(int fd, unsigned char **buf, size_t *used, size_t *cap, double seconds) {
  double end = now() + seconds;
  for (;;) {
    double left = end - now();
    if (seconds >= 0 && left <= 0)
      break;
    struct pollfd p = {fd, POLLIN, 0};
    int rc = poll(&p, 1, seconds < 0 ? 1000 : (int)(left * 1000) + 1);
    if (rc <= 0) {
      if (seconds < 0)
        break;
      continue;
    }
    if (*used + 65536 > *cap) {
      *cap = 2 * (*cap + 65536);
      *buf = realloc(*buf, *cap);
    }
    ssize_t n = read(fd, *buf + *used, 65536);
    if (n <= 0)
      break; /* EOF: the child is gone */
    *used += (size_t)n;
  }
  return *used;
}

/* Every done row equals its synthetic result; every reported one is done.
 * Trajectories (one HDF5 read each) are compared for the points with
 * deep[i] set and for a random tenth of the others, or all with `full`. */
static bool verify(const char *path, const uint8_t *reported, const uint8_t *deep, bool full,
                   uint64_t n, uint64_t *done_out, size_t *torn_out) {
  lrs_store *st = NULL;
  lrs_store_points *pts = NULL;
  lrs_result *got = NULL, *want = NULL;
  struct stat sb;
  uint64_t n_reported = 0;
  for (uint64_t i = 0; i < n; i++)
    n_reported += reported[i];
  if (stat(path, &sb) != 0 && errno == ENOENT && n_reported == 0) {
    *done_out = 0;
    *torn_out = 0;
    return true; /* killed while creating: no store yet, nothing promised */
  }
  lrs_result_create(0, &got);
  lrs_result_create(0, &want);
  bool ok = lrs_store_open(path, &st) == LRS_OK && lrs_store_read_points(st, 0, &pts) == LRS_OK &&
            lrs_store_points_count(pts) == n;
  if (!ok)
    printf("# verify: %s\n", lrs_error_message());
  uint64_t done = 0;
  for (uint64_t i = 0; ok && i < n; i++) {
    const lrs_store_row *row = lrs_store_points_row(pts, i);
    bool is_done = row->summary.status != LRS_POINT_PENDING;
    if (reported[i] && !is_done) {
      printf("# point %llu was reported flushed but is pending\n", (unsigned long long)i);
      ok = false;
    }
    if (!is_done)
      continue;
    done++;
    synth_result(i, 0, want);
    bool same = memcmp(&row->summary, &want->summary, sizeof want->summary) == 0 &&
                row->traj_count == (int64_t)want->n_records;
    if (same && (full || deep[i] || rnd() % 10 == 0))
      same = lrs_store_read_result(st, 0, i, NULL, got) == LRS_OK &&
                got->n_records == want->n_records &&
                memcmp(got->records, want->records, want->n_records * sizeof(lrs_record)) == 0;
    if (!same) {
      printf("# point %llu reads as done but differs from what was written (%s)\n",
             (unsigned long long)i, lrs_error_message());
      ok = false;
    }
  }
  *done_out = done;
  *torn_out = pts ? lrs_store_points_torn(pts) : 0;
  lrs_result_destroy(&got);
  lrs_result_destroy(&want);
  lrs_store_points_destroy(&pts);
  lrs_store_close(&st);
  return ok;
}

static bool run_h5py(const char *python, const char *script, const char *path,
                     const char *list, const char *mode) {
  char cmd[2048];
  snprintf(cmd, sizeof cmd, "'%s' '%s' '%s' '%s' %s", python, script, path, list, mode);
  fflush(stdout);
  int rc = system(cmd);
  return rc == 0;
}

int main(int argc, char **argv) {
  const char *python = argc > 2 ? argv[1] : NULL, *script = argc > 2 ? argv[2] : NULL;
  int kills = argc > 3 ? atoi(argv[3]) : 25;
  char dir[] = "/tmp/lrs-crash-XXXXXX";
  if (!mkdtemp(dir))
    return 1;
  char path[256], list[256];
  snprintf(path, sizeof path, "%s/crash.h5", dir);
  snprintf(list, sizeof list, "%s/reported.txt", dir);
  lrs_config *cfg = NULL;
  lrs_grid *grid = NULL;
  if (lrs_config_load_string(sweep_text, strlen(sweep_text), "crash.toml", &cfg) != LRS_OK ||
      lrs_grid_create(cfg, &grid) != LRS_OK) {
    printf("# setup: %s\n", lrs_error_message());
    return 1;
  }
  uint64_t n = lrs_grid_size(grid);
  uint8_t *reported = calloc((size_t)n, 1), *fresh = calloc((size_t)n, 1);
  unsigned char *buf = NULL;
  size_t cap = 0;
  int during_open = 0, during_writing = 0, bad_children = 0, h5py_runs = 0;
  bool all_ok = true, h5py_ok = true;
  uint64_t total_reported = 0, done = 0;
  size_t torn_seen = 0;
  rng ^= (uint64_t)time(NULL);
  printf("# seed %llu\n", (unsigned long long)rng);
  for (int k = 0; k < kills; k++) {
    int fds[2];
    if (pipe(fds) != 0)
      return 1;
    uint64_t child_seed = rnd();
    /* Kills 1-3 hit the store's creation, every 4th the reopening (lock,
     * flag clearing, repair), the others a writer in its batches. */
    bool from_fork = k < 3 || k % 4 == 3;
    double delay = k < 3 ? 0.002 + 0.05 * (double)(rnd() % 100) / 100.0
                   : from_fork ? 0.001 + 0.04 * (double)(rnd() % 100) / 100.0
                               : 0.3 * (double)(rnd() % 1000) / 1000.0;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
      close(fds[0]);
      child(path, grid, fds[1], child_seed);
    }
    close(fds[1]);
    size_t used = 0;
    if (!from_fork) /* wait for the child's "opened" (at most 10 s) */
      for (double end = now() + 10; used < 8 && now() < end;)
        drain(fds[0], &buf, &used, &cap, 0.001);
    drain(fds[0], &buf, &used, &cap, delay);
    kill(pid, SIGKILL);
    int ws = 0;
    waitpid(pid, &ws, 0);
    drain(fds[0], &buf, &used, &cap, -1);
    close(fds[0]);
    if (!(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL)) {
      bad_children++;
      printf("# child %d ended by itself (status %d)\n", k, ws);
    }
    bool opened = false;
    uint64_t batch_points = 0;
    memset(fresh, 0, (size_t)n);
    for (size_t off = 0; off + 4 <= used;) {
      uint32_t head;
      memcpy(&head, buf + off, 4);
      off += 4;
      if (head == OPENED) {
        opened = true;
        off += 4;
        continue;
      }
      for (uint32_t j = 0; j < head && off + 4 <= used; j++, off += 4) {
        uint32_t i;
        memcpy(&i, buf + off, 4);
        if (i < n && !reported[i]) {
          reported[i] = fresh[i] = 1;
          total_reported++;
          batch_points++;
        }
      }
    }
    *(opened ? &during_writing : &during_open) += 1;
    size_t torn = 0;
    double t_verify = now();
    bool ok = verify(path, reported, fresh, false, n, &done, &torn);
    t_verify = now() - t_verify;
    torn_seen += torn;
    all_ok &= ok;
    printf("# kill %2d %5.1f ms after %s (%s): +%llu reported, %llu done, %zu torn rows, %s (verified in %.2f s)\n", k + 1,
           delay * 1e3, from_fork ? "fork" : "open", opened ? "writing" : "opening", (unsigned long long)batch_points,
           (unsigned long long)done, torn, ok ? "intact" : "BROKEN", t_verify);
    if (python && (k % 5 == 4 || k == kills - 1)) {
      FILE *f = fopen(list, "w");
      for (uint64_t i = 0; f && i < n; i++)
        if (reported[i])
          fprintf(f, "%llu\n", (unsigned long long)i);
      if (f)
        fclose(f);
      h5py_ok &= run_h5py(python, script, path, list, "swmr");
      h5py_runs++;
    }
  }
  LRS_CHECK(during_open + during_writing >= 20, "%d SIGKILLs (%d while opening, %d while writing)",
            during_open + during_writing, during_open, during_writing);
  LRS_CHECK(during_writing >= 15 && total_reported > 0,
            "most kills hit a writer in the middle of its batches (%llu points reported)",
            (unsigned long long)total_reported);
  LRS_CHECK(bad_children == 0, "every child was killed, none failed by itself");
  LRS_CHECK(all_ok, "after every kill the reader opens the store, every reported point is "
                    "intact, and every row that reads as done is intact");
  printf("# rows seen torn (read as pending) over all kills: %zu\n", torn_seen);
  if (python)
    LRS_CHECK(h5py_ok, "h5py (swmr=True) reads every reported point after %d of the kills",
              h5py_runs);

  /* A writer open clears the dead writer's flags and repairs torn rows; then
   * a plain (non-SWMR) h5py open works too. */
  lrs_store_writer *w = NULL;
  lrs_status st = lrs_store_writer_open(path, grid, NULL, &w);
  uint64_t done_at_open = w ? lrs_store_done_at_open(w) : 0;
  LRS_CHECK(st == LRS_OK && done_at_open == done && lrs_store_writer_close(&w) == LRS_OK,
            "a new writer resumes with the %llu done points: %s", (unsigned long long)done,
            lrs_error_message());
  uint64_t done2 = 0;
  size_t torn2 = 0;
  LRS_CHECK(verify(path, reported, fresh, true, n, &done2, &torn2) && torn2 == 0 && done2 == done,
            "after the clean close: same points, none torn, every trajectory intact");
  if (python) {
    LRS_CHECK(run_h5py(python, script, path, list, "plain"),
              "h5py opens the cleanly closed store without SWMR and finds every point");
  }
  free(buf);
  free(reported);
  free(fresh);
  lrs_grid_destroy(&grid);
  lrs_config_destroy(&cfg);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0)
    printf("# could not remove %s\n", dir);
  return lrs_test_done();
}
