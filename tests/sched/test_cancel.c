/*
 * Cooperative cancellation inside a solve (lrsweep/solve.h: lrs_solve_set_cancel;
 * lrsweep/solver.h, COOPERATIVE CANCELLATION), for GD, Adam and GF (rk8pd, dop853):
 *   - a poll that never cancels changes no bit of the result (loss, gradient
 *     norm, time and step of every record; status, iterations, evaluations);
 *   - a poll that says "cancel" at its k-th call ends the solve with
 *     LRS_ERR_CANCELLED, summary.status pending, a message naming where;
 *   - the poll is consulted at syncs, on average at most once a millisecond
 *     after the first 64 (K doubles from 1 while syncs come < 2.5 ms apart),
 *     not once per iteration;
 *   - the poll's progress report (lrs_solver_progress) is where the solve
 *     stands: GD's step, time and loss equal its record of that step (a
 *     record every step), L(0) the first record's; GF's t and step grow
 *     within the horizon and its loss falls from L(0) to no less than the
 *     final one (gradient flow never raises the loss);
 *   - on a group (MPI_COMM_WORLD, the dist backend) one rank's "cancel" ends
 *     the solve on every rank, at the same iteration (same message), and no
 *     rank is left in a collective (the test returns).
 * usage: mpirun -np P test_cancel   (P = 1: the local solves; P = 2: a group)
 */
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <string.h>

#include "lrs_test.h"
#include "lrs_test_mpi.h"
#include "lrsweep/solve.h"
#include "numerics_point.h"

typedef struct {
  long calls;
  long cancel_at; /* the call that answers true (0: never) */
} poll_state;

static bool count_poll(void *ctx, const lrs_solver_progress *at) {
  (void)at;
  poll_state *s = ctx;
  s->calls++;
  return s->cancel_at > 0 && s->calls >= s->cancel_at;
}

/* Every progress report of one solve (up to a cap), never cancelling. */
enum { SEEN_MAX = 4096 };
typedef struct {
  const lrs_point *point;
  size_t n;
  bool other_point; /* a report named another point */
  lrs_solver_progress at[SEEN_MAX];
} seen_state;

static bool seen_poll(void *ctx, const lrs_solver_progress *at) {
  seen_state *s = ctx;
  s->other_point |= at->point != s->point;
  if (s->n < SEEN_MAX)
    s->at[s->n++] = *at;
  return false;
}

static bool same_double(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

/* Every number the solve produced, bit for bit (wall time aside). */
static bool same_result(const lrs_result *a, const lrs_result *b) {
  const lrs_summary *x = &a->summary, *y = &b->summary;
  bool same = x->status == y->status && x->iterations == y->iterations &&
              x->rhs_evals == y->rhs_evals && x->loss_evals == y->loss_evals &&
              same_double(x->final_loss, y->final_loss) && same_double(x->loss0, y->loss0) &&
              same_double(x->final_time, y->final_time) && same_double(x->rate, y->rate) &&
              strcmp(x->message, y->message) == 0 && a->n_records == b->n_records;
  for (size_t i = 0; same && i < a->n_records; i++) {
    const lrs_record *r = &a->records[i], *s = &b->records[i];
    same = r->step == s->step && same_double(r->loss, s->loss) &&
           same_double(r->grad_norm, s->grad_norm) && same_double(r->time, s->time) &&
           same_double(r->step_size, s->step_size);
  }
  return same;
}

typedef struct {
  const char *name;
  lrs_point p;
} method_case;

static lrs_point long_point(void) {
  lrs_point p = lrs_test_point();
  p.max_iter = 20000; /* tol = 0: runs all of them (a few tenths of a second) */
  p.record_every = 0;
  p.records = 50;
  return p;
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);

  method_case cases[4];
  cases[0] = (method_case){"GD (local rule)", long_point()};
  cases[1] = (method_case){"Adam", long_point()};
  cases[1].p.method = LRS_METHOD_ADAM;
  cases[1].p.step_size = 1e-3;
  cases[1].p.adam_beta1 = 0.9;
  cases[1].p.adam_beta2 = 0.999;
  cases[1].p.adam_eps = 1e-8;
  cases[2] = (method_case){"GF (rk8pd)", long_point()};
  cases[2].p.method = LRS_METHOD_GF;
  cases[2].p.horizon = 200.0;
  cases[3] = (method_case){"GF (dop853)", cases[2].p};
  cases[3].name = "GF (dop853)";
  cases[3].p.ode_stepper = LRS_ODE_DOP853;

  lrs_result *plain = NULL, *polled = NULL;
  lrs_result_create(64, &plain);
  lrs_result_create(64, &polled);
  for (size_t k = 0; size == 1 && k < sizeof cases / sizeof cases[0]; k++) {
    const lrs_point *p = &cases[k].p;
    lrs_solve_set_cancel(NULL, NULL);
    const lrs_status s0 = lrs_solve_point(p, MPI_COMM_SELF, plain);
    poll_state never = {0, 0};
    lrs_solve_set_cancel(count_poll, &never);
    const lrs_status s1 = lrs_solve_point(p, MPI_COMM_SELF, polled);
    const int64_t steps = plain->summary.iterations;
    LRS_CHECK(s0 == LRS_OK && s1 == LRS_OK && same_result(plain, polled),
              "%s: a poll that never cancels gives the same bits (%s, %lld steps, %zu records)",
              cases[k].name, lrs_point_status_names[plain->summary.status], (long long)steps,
              plain->n_records);
    /* Syncs aim at 5 ms apart (K halves above 10 ms, doubles below 2.5 ms). */
    const double wall = polled->summary.wall_seconds;
    LRS_CHECK(never.calls >= 1 && (double)never.calls <= 64.0 + wall / 1e-3 &&
                  never.calls < steps,
              "%s: the poll was asked %ld times in %lld steps and %.2f s (at syncs, not per "
              "step)", cases[k].name, never.calls, (long long)steps, wall);
    poll_state later = {0, 5};
    lrs_solve_set_cancel(count_poll, &later);
    const lrs_status s2 = lrs_solve_point(p, MPI_COMM_SELF, polled);
    LRS_CHECK(s2 == LRS_ERR_CANCELLED && polled->summary.status == LRS_POINT_PENDING &&
                  strstr(polled->summary.message, "cancelled at ") != NULL && later.calls == 5,
              "%s: a cancel at the 5th poll ends the solve: %s, status %s, '%s'", cases[k].name,
              lrs_strerror(s2), lrs_point_status_names[polled->summary.status],
              polled->summary.message);
  }
  lrs_solve_set_cancel(NULL, NULL);

  /* The progress report, against the solve's own records. */
  static seen_state seen;
  for (int gf = 0; size == 1 && gf < 2; gf++) {
    lrs_point p = gf ? cases[3].p : cases[0].p;
    if (!gf)
      p.record_every = 1; /* a record at every step a report can name */
    seen = (seen_state){.point = &p};
    lrs_solve_set_cancel(seen_poll, &seen);
    const lrs_status s = lrs_solve_point(&p, MPI_COMM_SELF, polled);
    lrs_solve_set_cancel(NULL, NULL);
    const lrs_summary *sum = &polled->summary;
    bool agree = s == LRS_OK && seen.n >= 2 && !seen.other_point;
    size_t bad = 0;
    for (size_t i = 0; agree && i < seen.n; i++) {
      const lrs_solver_progress *a = &seen.at[i];
      const bool grows = i == 0 || (a->step > seen.at[i - 1].step && a->time > seen.at[i - 1].time);
      bool ok = grows && same_double(a->loss0, sum->loss0) && a->step >= gf;
      if (gf) {
        ok = ok && a->time > 0 && a->time <= p.horizon && a->loss <= a->loss0 &&
             a->loss >= sum->final_loss;
      } else {
        const lrs_record *r = a->step < (int64_t)polled->n_records ? &polled->records[a->step] : NULL;
        ok = ok && r && r->step == a->step && same_double(r->time, a->time) &&
             same_double(r->loss, a->loss);
      }
      if (!ok && !bad)
        bad = i + 1;
    }
    LRS_CHECK(agree && !bad,
              "%s: %zu progress reports say where the solve stands (%s; first wrong: %zu)",
              gf ? "GF (dop853): t and step grow within the horizon, L(0) ≥ loss ≥ the final loss"
                 : "GD: step, time and loss are the record's of that step, L(0) the first",
              seen.n, lrs_strerror(s), bad);
  }

  /* A group: only the last rank's poll says "cancel" (at its 4th call); every
   * rank must leave the solve at the same iteration. */
  if (size > 1) {
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
      lrs_point p = cases[k].p;
      p.coordinates = LRS_COORDS_FULL; /* the h-wide loop a group shares */
      if (p.method == LRS_METHOD_ADAM)
        continue; /* the same GD loop */
      poll_state st = {0, rank == size - 1 ? 4 : 0};
      lrs_solve_set_cancel(count_poll, &st);
      const lrs_status s = lrs_solve_point(&p, MPI_COMM_WORLD, polled);
      lrs_solve_set_cancel(NULL, NULL);
      char mine[LRS_RESULT_MESSAGE_MAX], first[LRS_RESULT_MESSAGE_MAX];
      snprintf(mine, sizeof mine, "%s", polled->summary.message);
      memcpy(first, mine, sizeof first);
      MPI_Bcast(first, (int)sizeof first, MPI_CHAR, 0, MPI_COMM_WORLD);
      int agree = s == LRS_ERR_CANCELLED && strcmp(mine, first) == 0, all = 0;
      MPI_Allreduce(&agree, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
      long calls_last = st.calls;
      MPI_Bcast(&calls_last, 1, MPI_LONG, size - 1, MPI_COMM_WORLD);
      if (rank == 0)
        LRS_CHECK(all && st.calls == calls_last && calls_last == 4,
                  "%s on %d ranks: rank %d's cancel ends every rank's solve at one place "
                  "('%s'), each rank polled %ld times",
                  cases[k].name, size, size - 1, first, st.calls);
    }
  }
  lrs_result_destroy(&plain);
  lrs_result_destroy(&polled);
  return lrs_test_mpi_done_root(rank);
}
