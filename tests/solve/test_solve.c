/* lrs_solve_point (lrsweep/solve.h) with MPI initialized: 1-rank
 * communicators solve locally (and agree bit for bit with each other and
 * with a reused result), larger ones on the distributed backend.
 * Run with 1 rank, or with 2 ranks (mpiexec -n 2): the verdict of each check
 * is reduced over the ranks. */
#include <math.h>
#include <mpi.h>
#include <string.h>

#include "lrs_test.h"
#include "lrs_test_mpi.h"
#include "lrsweep/solve.h"
#include "numerics_point.h"

int main(int argc, char **argv) {
  int rank = 0, size = 1;
  lrs_test_mpi_init(&argc, &argv, &rank, &size);

  lrs_point p = lrs_test_point();
  p.width = 60;
  p.tol = 1e-20;
  p.max_iter = 2000;
  lrs_result *a = NULL, *b = NULL;
  lrs_result_create(8, &a);
  lrs_result_create(0, &b);
  lrs_status s1 = lrs_solve_point(&p, MPI_COMM_SELF, a);
  LRS_CHECK(lrs_test_all_ranks(s1 == LRS_OK && a->summary.status == LRS_POINT_CONVERGED),
            "MPI initialized: MPI_COMM_SELF solves locally");
  /* A communicator of size 1 built from WORLD also works. */
  MPI_Comm solo;
  MPI_Comm_split(MPI_COMM_WORLD, rank, 0, &solo);
  lrs_status s2 = lrs_solve_point(&p, solo, b);
  bool same = s2 == LRS_OK && a->n_records == b->n_records &&
              a->summary.iterations == b->summary.iterations;
  for (size_t i = 0; same && i < a->n_records; i++)
    same = a->records[i].loss == b->records[i].loss;
  LRS_CHECK(lrs_test_all_ranks(same),
            "a split 1-rank communicator gives the same trajectory bit for bit");
  MPI_Comm_free(&solo);

  /* Reusing a result resets it first. */
  s2 = lrs_solve_point(&p, MPI_COMM_SELF, b);
  LRS_CHECK(lrs_test_all_ranks(s2 == LRS_OK && b->n_records == a->n_records &&
                               b->summary.rate == a->summary.rate),
            "a reused result is reset, not appended to");
  LRS_CHECK(lrs_test_all_ranks(a->summary.wall_seconds > 0 && a->summary.wall_seconds < 60),
            "wall_seconds filled (%.3g s)", a->summary.wall_seconds);

  /* WORLD: 1 rank solves locally, more ranks on the ScaLAPACK backend (the
   * agreement itself is tests/solve/test_solve_dist.c's subject). */
  s2 = lrs_solve_point(&p, MPI_COMM_WORLD, b);
  bool close = s2 == LRS_OK && b->summary.status == a->summary.status &&
               b->summary.iterations == a->summary.iterations && b->n_records == a->n_records;
  /* This point runs to L ≈ 1e-20: near the floor the loss of an iterate is
   * only known to about ε‖W‖·‖∇L‖, so compare with that rounding model. */
  const double L0 = a->n_records ? a->records[0].loss : 0.0;
  for (size_t i = 0; close && i < a->n_records; i++) {
    const double L = a->records[i].loss;
    close = fabs(b->records[i].loss - L) <= 1e-10 * L + 1e-12 * sqrt(L * L0);
  }
  LRS_CHECK(lrs_test_all_ranks(close), "MPI_COMM_WORLD of %d rank(s) solves the same point%s",
            size, size > 1 ? " on the distributed backend" : " locally");
  lrs_result_destroy(&a);
  lrs_result_destroy(&b);
  return lrs_test_mpi_done();
}
