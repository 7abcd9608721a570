/*
 * tests/lrs_test_mpi.h — the C tests that run under mpiexec: every rank runs
 * every check, rank 0 alone prints the TAP lines, and a check's condition is
 * first agreed over MPI_COMM_WORLD (it holds only when it holds on all ranks).
 * (The scheduler's tests check on rank 0 alone: lrs_test_mpi_done_root.)
 */
#ifndef LRSWEEP_TEST_MPI_H
#define LRSWEEP_TEST_MPI_H

#include <mpi.h>
#include <stdbool.h>
#include <stdio.h>

#include "lrs_test.h"

/* ok on every rank of MPI_COMM_WORLD (collective). */
static inline bool lrs_test_all_ranks(bool ok) {
  int in = ok, out = 0;
  MPI_Allreduce(&in, &out, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
  return out;
}

/* MPI_Init; this rank and the size of MPI_COMM_WORLD; the other ranks'
 * stdout goes to /dev/null, so that the TAP lines are rank 0's. */
static inline void lrs_test_mpi_init(int *argc, char ***argv, int *rank, int *size) {
  MPI_Init(argc, argv);
  MPI_Comm_rank(MPI_COMM_WORLD, rank);
  MPI_Comm_size(MPI_COMM_WORLD, size);
  if (*rank != 0)
    freopen("/dev/null", "w", stdout);
}

/* The end of a test whose checks every rank ran (each agreed with
 * lrs_test_all_ranks): the plan (printed by rank 0), MPI_Finalize, the exit
 * code. */
static inline int lrs_test_mpi_done(void) {
  const int rc = lrs_test_done();
  MPI_Finalize();
  return rc;
}

/* The end of a test whose checks rank 0 alone ran: rank 0 prints the plan,
 * its verdict is every rank's exit code; MPI_Finalize. */
static inline int lrs_test_mpi_done_root(int rank) {
  int failed = rank == 0 ? lrs_test_done() : 0;
  MPI_Bcast(&failed, 1, MPI_INT, 0, MPI_COMM_WORLD);
  MPI_Finalize();
  return failed;
}

#endif
