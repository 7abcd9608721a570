/*
 * The `dist` linalg backend against the `local` one, under mpirun with any
 * rank count (registered with -n 1, 2, 3, 4: grids 1×1, 1×2, 1×3, 2×2).
 *
 * Every lrs_mat operation runs on random matrices of awkward sizes (not
 * multiples of the block size, more ranks than blocks in a dimension, rows
 * or columns of 1), on whole matrices and on views at odd offsets, with
 * block sizes 1, 2, 3, 5 and 64, and on both paths of the factorizations
 * (gathered to rank 0 and ScaLAPACK).  Results are compared entry by entry
 * with the local backend on the same global input.  Each check's verdict is
 * reduced over the ranks; rank 0 prints TAP.
 */
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lrs_test.h"
#include "lrs_test_mpi.h"
#include "lrsweep/linalg.h"

static int rank_, size_;

#define CHECK(cond, ...) LRS_CHECK(lrs_test_all_ranks(cond), __VA_ARGS__)

/* Deterministic high-entropy entries, the same on every rank. */
static double entry(size_t i, size_t j, double salt) {
  return sin(2.385 * (double)i + 1.137 * (double)j + salt) + 0.25 * cos(0.71 * (double)(i * j) + salt);
}

static double *fill(size_t r, size_t c, double salt) {
  double *a = malloc((r * c > 0 ? r * c : 1) * sizeof *a);
  for (size_t j = 0; j < c; j++)
    for (size_t i = 0; i < r; i++)
      a[i + j * r] = entry(i, j, salt);
  return a;
}

static lrs_mat *make(lrs_linalg *la, size_t r, size_t c, const double *full) {
  lrs_mat *A = NULL;
  if (lrs_mat_create(la, r, c, &A) != LRS_OK)
    return NULL;
  lrs_mat_set_global(A, full);
  return A;
}

/* The same global array on every rank (bit for bit)? */
static bool same_everywhere(const double *a, size_t n) {
  double *first = malloc((n ? n : 1) * sizeof *first);
  memcpy(first, a, n * sizeof *a);
  int nn = (int)n;
  MPI_Bcast(first, nn, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  const bool same = memcmp(first, a, n * sizeof *a) == 0;
  free(first);
  return same;
}

typedef struct {
  lrs_linalg *loc, *dis;
  size_t nb;
  const char *tag;
} pair;

/* ------------------------------------------------------------------ layout */

static void test_layout(pair *P) {
  const size_t shapes[][2] = {{1, 1}, {1, 9}, {9, 1}, {7, 5}, {13, 11}, {64, 3}, {65, 130}};
  bool ok = true, tiles = true;
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
    const size_t r = shapes[s][0], c = shapes[s][1];
    double *a = fill(r, c, 0.3 + (double)s), *b = calloc(r * c, sizeof *b);
    lrs_mat *A = make(P->dis, r, c, a);
    lrs_mat_get_global(A, b);
    ok &= A && memcmp(a, b, r * c * sizeof *a) == 0;
    /* each local entry sits where local_to_global says; blocks tile A */
    const lrs_mat_block blk = lrs_mat_local(A);
    long long mine = (long long)(blk.rows * blk.cols), total = 0;
    for (size_t j = 0; j < blk.cols; j++)
      for (size_t i = 0; i < blk.rows; i++) {
        size_t gi, gj;
        lrs_mat_local_to_global(A, i, j, &gi, &gj);
        ok &= gi < r && gj < c && blk.data[i + j * blk.ld] == a[gi + gj * r];
      }
    MPI_Allreduce(&mine, &total, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
    tiles &= total == (long long)(r * c) && lrs_mat_local_contiguous(A);
    lrs_mat_destroy(&A);
    free(a);
    free(b);
  }
  CHECK(ok, "%s: set_global/get_global round trip and local_to_global on 7 shapes", P->tag);
  CHECK(tiles, "%s: local blocks tile the matrix, contiguous", P->tag);

  /* views: local block and indices of a view at an odd offset */
  double *a = fill(23, 17, 1.9), *v = malloc(9 * 8 * sizeof *v);
  lrs_mat *A = make(P->dis, 23, 17, a), *V = NULL;
  CHECK(lrs_mat_view(A, 5, 7, 9, 8, &V) == LRS_OK, "%s: view at (5, 7)", P->tag);
  lrs_mat_get_global(V, v);
  ok = true;
  for (size_t j = 0; j < 8; j++)
    for (size_t i = 0; i < 9; i++)
      ok &= v[i + j * 9] == a[5 + i + (7 + j) * 23];
  const lrs_mat_block vb = lrs_mat_local(V);
  for (size_t j = 0; j < vb.cols; j++)
    for (size_t i = 0; i < vb.rows; i++) {
      size_t gi, gj;
      lrs_mat_local_to_global(V, i, j, &gi, &gj);
      ok &= vb.data[i + j * vb.ld] == a[5 + gi + (7 + gj) * 23];
    }
  CHECK(ok, "%s: a view reads the parent's sub-block, locally and gathered", P->tag);
  lrs_mat *W = NULL;
  CHECK(lrs_mat_view(A, 20, 0, 4, 1, &W) == LRS_ERR_RANGE && !W,
        "%s: a view past the edge is refused", P->tag);
  lrs_mat_set_identity(V);
  lrs_mat_get_global(A, a);
  ok = true;
  for (size_t j = 0; j < 8; j++)
    for (size_t i = 0; i < 9; i++)
      ok &= a[5 + i + (7 + j) * 23] == (i == j ? 1.0 : 0.0);
  CHECK(ok && a[0] == entry(0, 0, 1.9), "%s: set_identity on a view, parent untouched elsewhere",
        P->tag);
  lrs_mat_destroy(&V);
  lrs_mat_destroy(&A);
  free(a);
  free(v);
}

/* ------------------------------------------------------------------ level 1/3 */

/* A view of a fresh (r0 + r) × (c0 + c) parent holding `full` at (r0, c0). */
typedef struct {
  lrs_mat *parent, *view;
} placed;

static placed place(lrs_linalg *la, size_t r, size_t c, size_t r0, size_t c0,
                    const double *full) {
  placed p = {0};
  const size_t R = r0 + r + 1, C = c0 + c + 2;
  double *junk = fill(R, C, 9.9);
  p.parent = make(la, R, C, junk);
  lrs_mat_view(p.parent, r0, c0, r, c, &p.view);
  lrs_mat_set_global(p.view, full);
  free(junk);
  return p;
}

static void unplace(placed *p) {
  lrs_mat_destroy(&p->view);
  lrs_mat_destroy(&p->parent);
}

static void test_gemm(pair *P) {
  const size_t M = 11, N = 7, K = 13;
  const size_t offs[][6] = {{0, 0, 0, 0, 0, 0}, {3, 1, 2, 5, 1, 4}, {6, 7, 0, 3, 4, 0}};
  double err = 0.0;
  bool ok = true;
  for (int ta = 0; ta < 2; ta++)
    for (int tb = 0; tb < 2; tb++)
      for (size_t o = 0; o < 3; o++) {
        const size_t ar = ta ? K : M, ac = ta ? M : K, br = tb ? N : K, bc = tb ? K : N;
        double *a = fill(ar, ac, 0.1 + ta), *b = fill(br, bc, 0.7 + tb), *c = fill(M, N, 2.2);
        double *ref = malloc(M * N * sizeof *ref), *got = malloc(M * N * sizeof *got);
        lrs_mat *Al = make(P->loc, ar, ac, a), *Bl = make(P->loc, br, bc, b),
                *Cl = make(P->loc, M, N, c);
        lrs_mat_gemm(ta, tb, 1.5, Al, Bl, -0.5, Cl);
        lrs_mat_get_global(Cl, ref);
        placed A = place(P->dis, ar, ac, offs[o][0], offs[o][1], a);
        placed B = place(P->dis, br, bc, offs[o][2], offs[o][3], b);
        placed C = place(P->dis, M, N, offs[o][4], offs[o][5], c);
        ok &= lrs_mat_gemm(ta, tb, 1.5, A.view, B.view, -0.5, C.view) == LRS_OK;
        lrs_mat_get_global(C.view, got);
        err = fmax(err, lrs_test_max_rel_diff(got, ref, M * N));
        unplace(&A);
        unplace(&B);
        unplace(&C);
        lrs_mat_destroy(&Al);
        lrs_mat_destroy(&Bl);
        lrs_mat_destroy(&Cl);
        free(a), free(b), free(c), free(ref), free(got);
      }
  CHECK(ok && err < 1e-14, "%s: gemm, 4 transposes × 3 view placements vs local (rel %.2g)",
        P->tag, err);
  lrs_mat *A = NULL, *B = NULL, *C = NULL;
  lrs_mat_create(P->dis, 3, 4, &A);
  lrs_mat_create(P->dis, 3, 4, &B);
  lrs_mat_create(P->dis, 3, 3, &C);
  CHECK(lrs_mat_gemm(LRS_NOTRANS, LRS_NOTRANS, 1.0, A, B, 0.0, C) == LRS_ERR_RANGE,
        "%s: gemm with mismatched sizes is LRS_ERR_RANGE on every rank", P->tag);
  lrs_mat *Cl = NULL;
  lrs_mat_create(P->loc, 3, 3, &Cl);
  CHECK(lrs_mat_gemm(LRS_TRANS, LRS_NOTRANS, 1.0, A, B, 0.0, Cl) == LRS_ERR_INTERNAL,
        "%s: matrices of two backends in one call are LRS_ERR_INTERNAL", P->tag);
  lrs_mat_destroy(&Cl);
  lrs_mat_destroy(&A);
  lrs_mat_destroy(&B);
  lrs_mat_destroy(&C);
}

static void test_level1(pair *P) {
  const size_t r = 9, c = 14;
  double *x = fill(r, c, 0.4), *y = fill(r, c, 1.3);
  double *ref = malloc(r * c * sizeof *ref), *got = malloc(r * c * sizeof *got);
  /* local reference: y ← 0.5·(−2x + y), dot, norm */
  lrs_mat *Xl = make(P->loc, r, c, x), *Yl = make(P->loc, r, c, y);
  lrs_mat_axpy(-2.0, Xl, Yl);
  lrs_mat_scal(0.5, Yl);
  lrs_mat_get_global(Yl, ref);
  double dref, nref;
  lrs_mat_dot(Xl, Yl, &dref);
  lrs_mat_norm_fro(Yl, &nref);
  /* aligned (same offsets) and misaligned (different offsets) operands */
  const size_t offs[][4] = {{0, 0, 0, 0}, {2, 3, 2, 3}, {1, 0, 4, 5}, {0, 6, 3, 0}};
  double err = 0.0, derr = 0.0, nerr = 0.0;
  bool repl = true;
  for (size_t o = 0; o < 4; o++) {
    placed X = place(P->dis, r, c, offs[o][0], offs[o][1], x);
    placed Y = place(P->dis, r, c, offs[o][2], offs[o][3], y);
    lrs_mat_axpy(-2.0, X.view, Y.view);
    lrs_mat_scal(0.5, Y.view);
    lrs_mat_get_global(Y.view, got);
    err = fmax(err, lrs_test_max_rel_diff(got, ref, r * c));
    double d, n;
    lrs_mat_dot(X.view, Y.view, &d);
    lrs_mat_norm_fro(Y.view, &n);
    derr = fmax(derr, fabs(d - dref) / fabs(dref));
    nerr = fmax(nerr, fabs(n - nref) / nref);
    double both[2] = {d, n};
    repl &= same_everywhere(both, 2);
    /* copy back over X's view and compare */
    lrs_mat_copy(Y.view, X.view);
    lrs_mat_get_global(X.view, got);
    err = fmax(err, lrs_test_max_rel_diff(got, ref, r * c));
    unplace(&X);
    unplace(&Y);
  }
  CHECK(err < 1e-15, "%s: axpy, scal, copy on aligned and misaligned views (rel %.2g)", P->tag,
        err);
  CHECK(derr < 1e-14 && nerr < 1e-14, "%s: dot and norm_fro vs local (rel %.2g, %.2g)", P->tag,
        derr, nerr);
  CHECK(repl, "%s: dot and norm_fro give the same bits on every rank", P->tag);

  /* copy must not read the destination (NaN there) when misaligned */
  placed X = place(P->dis, r, c, 1, 2, x);
  placed Y = place(P->dis, r, c, 0, 0, x);
  lrs_mat_fill(Y.view, NAN);
  lrs_mat_copy(X.view, Y.view);
  lrs_mat_get_global(Y.view, got);
  CHECK(memcmp(got, x, r * c * sizeof *x) == 0, "%s: misaligned copy ignores the destination",
        P->tag);
  lrs_mat_scal(1e200, X.view);
  double n;
  lrs_mat_norm_fro(X.view, &n);
  lrs_mat_scal(1e-200, X.view);
  double n1;
  lrs_mat_norm_fro(X.view, &n1);
  CHECK(isfinite(n) && lrs_test_close(n, 1e200 * n1, 1e-13, 0),
        "%s: norm_fro does not overflow at 1e200", P->tag);
  unplace(&X);
  unplace(&Y);
  lrs_mat_destroy(&Xl);
  lrs_mat_destroy(&Yl);
  free(x), free(y), free(ref), free(got);
}

/* Transpose between views at odd offsets, the destination full of NaN (it
 * must not be read): T_ji = A_ij exactly, as the local backend gives. */
static void test_transpose(pair *P) {
  const size_t r = 9, c = 14;
  double *a = fill(r, c, 0.8), *got = malloc(r * c * sizeof *got);
  const size_t offs[][4] = {{0, 0, 0, 0}, {2, 3, 1, 4}, {1, 0, 4, 5}};
  bool same = true;
  for (size_t o = 0; o < 3; o++) {
    placed A = place(P->dis, r, c, offs[o][0], offs[o][1], a);
    placed T = place(P->dis, c, r, offs[o][2], offs[o][3], a);
    lrs_mat_fill(T.view, NAN);
    same = same && lrs_mat_transpose(A.view, T.view) == LRS_OK;
    lrs_mat_get_global(T.view, got);
    for (size_t i = 0; i < r; i++)
      for (size_t j = 0; j < c; j++)
        same = same && got[j + i * c] == a[i + j * r];
    unplace(&A);
    unplace(&T);
  }
  CHECK(same, "%s: transpose of views at offsets, T_ji = A_ij exactly", P->tag);
  free(a), free(got);
}

static void test_gram(pair *P) {
  const size_t n = 10, k = 17;
  double *a = fill(n, k, 0.8), *ref = malloc(n * n * sizeof *ref), *got = malloc(n * n * sizeof *got);
  lrs_mat *Al = make(P->loc, n, k, a), *Cl = NULL;
  lrs_mat_create(P->loc, n, n, &Cl);
  lrs_mat_gram(Al, Cl);
  lrs_mat_get_global(Cl, ref);
  double err = 0.0;
  bool sym = true;
  const size_t offs[][4] = {{0, 0, 0, 0}, {3, 2, 1, 4}};
  for (size_t o = 0; o < 2; o++) {
    placed A = place(P->dis, n, k, offs[o][0], offs[o][1], a);
    double *c0 = fill(n, n, 3.3);
    placed C = place(P->dis, n, n, offs[o][2], offs[o][3], c0);
    lrs_mat_gram(A.view, C.view);
    lrs_mat_get_global(C.view, got);
    err = fmax(err, lrs_test_max_rel_diff(got, ref, n * n));
    for (size_t i = 0; i < n; i++)
      for (size_t j = 0; j < n; j++)
        sym &= got[i + j * n] == got[j + i * n];
    unplace(&A);
    unplace(&C);
    free(c0);
  }
  CHECK(err < 1e-14 && sym, "%s: gram on views: exactly symmetric, vs local (rel %.2g)", P->tag,
        err);
  lrs_mat_destroy(&Al);
  lrs_mat_destroy(&Cl);
  free(a), free(ref), free(got);
}

/* lrs_mat_coupled_step of the `dist` backend against the local one's: B, T
 * and C entry by entry.  Cases: whole matrices; views at offsets (B and T
 * with the same column phase on the grid: the fused pass over each rank's
 * columns; with different phases: the PBLAS calls), with C a view too; a
 * width of more than two 256-column blocks per rank; a single column (every
 * rank but one without columns).  Also: C exactly symmetric, T exactly the
 * old B1, and the parents' entries outside the views untouched. */
typedef struct {
  size_t w;
  size_t b0[2], t0[2], c0[2]; /* view offsets (0, 0, 0...: whole matrices) */
  bool views;
} coupled_case;

static bool outside_untouched(const placed *p, size_t r0, size_t c0, size_t r, size_t c) {
  const size_t R = r0 + r + 1, C = c0 + c + 2;
  double *junk = fill(R, C, 9.9), *now = malloc(R * C * sizeof *now);
  lrs_mat_get_global(p->parent, now);
  bool same = true;
  for (size_t j = 0; j < C; j++)
    for (size_t i = 0; i < R; i++)
      if (!(i >= r0 && i < r0 + r && j >= c0 && j < c0 + c))
        same &= now[i + j * R] == junk[i + j * R];
  free(junk), free(now);
  return same;
}

static void test_coupled_step(pair *P) {
  const size_t n = 6, m = 5, k = 11, nb = P->nb;
  const coupled_case cases[] = {
      {.w = 300},
      /* the same column phase for npcol = 1, 2, 3, 4 */
      {.w = 300, .views = true, .b0 = {2, 3 * nb}, .t0 = {1, 15 * nb}, .c0 = {1, 2}},
      {.w = 300, .views = true, .b0 = {0, 1}, .t0 = {3, 2}, .c0 = {2, 1}},
      {.w = 1100},
      {.w = 1},
  };
  for (size_t q = 0; q < sizeof cases / sizeof cases[0]; q++) {
    const coupled_case *cc = &cases[q];
    const size_t w = cc->w;
    double *b = fill(k, w, 0.4 + (double)q), *g = fill(n, m, 1.9 - (double)q);
    double *t = fill(n, w, 5.5), *c = fill(k, k, 6.6); /* overwritten */
    double *ref[3], *got[3];
    const size_t sizes[3] = {k * w, n * w, k * k};
    for (int i = 0; i < 3; i++) {
      ref[i] = malloc(sizes[i] * sizeof *ref[i]);
      got[i] = malloc(sizes[i] * sizeof *got[i]);
    }
    lrs_status st[2];
    bool kept = true;
    lrs_linalg *las[2] = {P->loc, P->dis};
    for (int d = 0; d < 2; d++) {
      const size_t *b0 = cc->b0, *t0 = cc->t0, *c0 = cc->c0;
      placed pb = place(las[d], k, w, b0[0], b0[1], b), pt = place(las[d], n, w, t0[0], t0[1], t),
             pc = place(las[d], k, k, c0[0], c0[1], c);
      lrs_mat *G = make(las[d], n, m, g), *B1 = NULL, *B2 = NULL;
      lrs_mat_view(pb.view, 0, 0, n, w, &B1);
      lrs_mat_view(pb.view, n, 0, m, w, &B2);
      st[d] = lrs_mat_coupled_step(pb.view, B1, B2, G, -0.05 - 0.01 * (double)q, pt.view, pc.view);
      double **out = d ? got : ref;
      lrs_mat_get_global(pb.view, out[0]);
      lrs_mat_get_global(pt.view, out[1]);
      lrs_mat_get_global(pc.view, out[2]);
      kept &= outside_untouched(&pb, b0[0], b0[1], k, w) &&
              outside_untouched(&pt, t0[0], t0[1], n, w) &&
              outside_untouched(&pc, c0[0], c0[1], k, k);
      lrs_mat_destroy(&B1);
      lrs_mat_destroy(&B2);
      lrs_mat_destroy(&G);
      unplace(&pb), unplace(&pt), unplace(&pc);
    }
    const double eb = lrs_test_max_rel_diff(got[0], ref[0], sizes[0]);
    const double et = lrs_test_max_rel_diff(got[1], ref[1], sizes[1]);
    const double ec = lrs_test_max_rel_diff(got[2], ref[2], sizes[2]);
    bool sym = true, old = true;
    for (size_t j = 0; j < k; j++)
      for (size_t i = 0; i < k; i++)
        sym &= got[2][i + j * k] == got[2][j + i * k];
    for (size_t j = 0; j < w; j++)
      for (size_t i = 0; i < n; i++)
        old &= got[1][i + j * n] == b[i + j * k];
    CHECK(st[0] == LRS_OK && st[1] == LRS_OK && eb < 1e-14 && et == 0.0 && ec < 1e-13,
          "%s: coupled step, w = %zu%s, vs local: B (rel %.2g), T (%.2g), C (%.2g)", P->tag, w,
          cc->views ? " (views)" : "", eb, et, ec);
    CHECK(sym && old && kept,
          "%s: coupled step, w = %zu%s: C symmetric, T the old B1, nothing outside the views "
          "written",
          P->tag, w, cc->views ? " (views)" : "");
    for (int i = 0; i < 3; i++)
      free(ref[i]), free(got[i]);
    free(b), free(g), free(t), free(c);
  }
}

/* lrs_linalg_dist_cached: one backend per communicator, returned again,
 * released when the communicator is freed, and alive while a holder keeps
 * it. */
static void test_cache(lrs_linalg *loc) {
  const size_t before = lrs_linalg_dist_cached_count();
  MPI_Comm c = MPI_COMM_NULL;
  MPI_Comm_dup(MPI_COMM_WORLD, &c);
  lrs_linalg *a = NULL, *b = NULL;
  const lrs_status s1 = lrs_linalg_dist_cached(c, &a), s2 = lrs_linalg_dist_cached(c, &b);
  CHECK(s1 == LRS_OK && s2 == LRS_OK && a && a == b && lrs_linalg_size(a) == size_ &&
            lrs_linalg_dist_cached_count() == before + 1,
        "cached backend: made once per communicator, the same one returned again");
  lrs_linalg_destroy(&a);
  CHECK(a == NULL && lrs_linalg_dist_cached_count() == before + 1,
        "cached backend: a holder's destroy clears its pointer, the cache keeps the backend");
  lrs_linalg_destroy(&b);
  MPI_Comm_free(&c);
  CHECK(lrs_linalg_dist_cached_count() == before,
        "cached backend: released when its communicator is freed");
  /* A holder outlives the communicator: the backend (its own duplicate and
   * grid) still works, and goes with the holder's destroy. */
  MPI_Comm_dup(MPI_COMM_WORLD, &c);
  lrs_status st = lrs_linalg_dist_cached(c, &a);
  MPI_Comm_free(&c);
  const size_t r = 7, w = 130;
  double *x = fill(r, w, 0.3), *want = malloc(r * r * sizeof *want),
         *have = malloc(r * r * sizeof *have);
  lrs_mat *Xd = st == LRS_OK ? make(a, r, w, x) : NULL, *Cd = NULL;
  lrs_mat *Xl = make(loc, r, w, x), *Cl = NULL;
  lrs_mat_create(loc, r, r, &Cl);
  lrs_mat_gram(Xl, Cl);
  lrs_mat_get_global(Cl, want);
  if (Xd && lrs_mat_create(a, r, r, &Cd) == LRS_OK && lrs_mat_gram(Xd, Cd) == LRS_OK)
    st = lrs_mat_get_global(Cd, have);
  else
    st = LRS_ERR_INTERNAL;
  CHECK(st == LRS_OK && lrs_linalg_dist_cached_count() == before &&
            lrs_test_max_rel_diff(have, want, r * r) < 1e-14,
        "cached backend: a holder keeps it working after its communicator is freed");
  lrs_mat_destroy(&Xd), lrs_mat_destroy(&Cd), lrs_mat_destroy(&Xl), lrs_mat_destroy(&Cl);
  lrs_linalg_destroy(&a);
  free(x), free(want), free(have);
  /* MPI_COMM_WORLD's stays cached: MPI_Finalize releases it (valgrind-dist.sh
   * checks that nothing leaks). */
  st = lrs_linalg_dist_cached(MPI_COMM_WORLD, &a);
  CHECK(st == LRS_OK && lrs_linalg_dist_cached_count() == before + 1,
        "cached backend on MPI_COMM_WORLD, left to MPI_Finalize");
  lrs_linalg_destroy(&a);
}

/* ------------------------------------------------------------------ factorizations */

static void test_eig_sv(pair *P) {
  /* symmetric n×n from a Gram matrix plus a shift */
  const size_t ns[] = {1, 6, 13};
  double eerr = 0.0, serr = 0.0, xerr = 0.0;
  bool repl = true, ok = true;
  for (size_t t = 0; t < 3; t++) {
    const size_t n = ns[t];
    double *a = fill(n, n + 3, 0.5 + (double)t), *g = malloc(n * n * sizeof *g);
    lrs_mat *Al = make(P->loc, n, n + 3, a), *Gl = NULL;
    lrs_mat_create(P->loc, n, n, &Gl);
    lrs_mat_gram(Al, Gl);
    lrs_mat_get_global(Gl, g);
    double *wl = malloc(n * sizeof *wl), *wd = malloc(n * sizeof *wd);
    ok &= lrs_mat_sym_eigvals(Gl, wl) == LRS_OK;
    placed G = place(P->dis, n, n, 2, 1, g);
    ok &= lrs_mat_sym_eigvals(G.view, wd) == LRS_OK;
    eerr = fmax(eerr, lrs_test_max_rel_diff(wd, wl, n));
    repl &= same_everywhere(wd, n);
    /* the two ends alone, relative to ‖G‖ = λ_max */
    ok &= lrs_mat_sym_eig_extremes(G.view, wd) == LRS_OK;
    const double ends[2] = {wd[0], wd[n - 1]};
    xerr = fmax(xerr, fmax(fabs(ends[0] - wl[0]), fabs(ends[1] - wl[n - 1])) / wl[n - 1]);
    repl &= same_everywhere(ends, 2);
    /* singular values of tall and wide rectangles, from a view */
    const size_t r = n + 4, c = n;
    double *b = fill(r, c, 1.1 + (double)t), *bt = malloc(c * r * sizeof *bt);
    for (size_t i = 0; i < r; i++)
      for (size_t j = 0; j < c; j++)
        bt[j + i * c] = b[i + j * r];
    double sl[32], sd[32];
    lrs_mat *Bl = make(P->loc, r, c, b);
    ok &= lrs_mat_singular_values(Bl, sl) == LRS_OK;
    placed B = place(P->dis, r, c, 1, 3, b), Bt = place(P->dis, c, r, 4, 0, bt);
    ok &= lrs_mat_singular_values(B.view, sd) == LRS_OK;
    serr = fmax(serr, lrs_test_max_rel_diff(sd, sl, c));
    repl &= same_everywhere(sd, c);
    ok &= lrs_mat_singular_values(Bt.view, sd) == LRS_OK;
    serr = fmax(serr, lrs_test_max_rel_diff(sd, sl, c));
    unplace(&G), unplace(&B), unplace(&Bt);
    lrs_mat_destroy(&Al), lrs_mat_destroy(&Gl), lrs_mat_destroy(&Bl);
    free(a), free(g), free(wl), free(wd), free(b), free(bt);
  }
  CHECK(ok && eerr < 1e-13, "%s: sym_eigvals (views, n = 1, 6, 13) vs local (rel %.2g)",
        P->tag, eerr);
  CHECK(ok && xerr < 1e-13, "%s: sym_eig_extremes (views) vs local's ends (rel %.2g)", P->tag,
        xerr);
  CHECK(ok && serr < 1e-13, "%s: singular_values of tall and wide views vs local (rel %.2g)",
        P->tag, serr);
  CHECK(repl, "%s: eigen/singular values are the same bits on every rank", P->tag);
}

static void test_svd(pair *P) {
  const size_t shapes[][2] = {{9, 5}, {4, 11}, {1, 6}};
  double err = 0.0, serr = 0.0, orth = 0.0;
  bool ok = true;
  for (size_t t = 0; t < 3; t++) {
    const size_t r = shapes[t][0], c = shapes[t][1], k = r < c ? r : c;
    double *a = fill(r, c, 0.9 + (double)t);
    double *u = malloc(r * k * sizeof *u), *vt = malloc(k * c * sizeof *vt), s[16], sl[16];
    lrs_mat *Al = make(P->loc, r, c, a);
    lrs_mat_singular_values(Al, sl);
    placed A = place(P->dis, r, c, 2, 3, a);
    double *z1 = fill(r, k, 0.0), *z2 = fill(k, c, 0.0);
    placed U = place(P->dis, r, k, 1, 0, z1), V = place(P->dis, k, c, 0, 2, z2);
    ok &= lrs_mat_svd(A.view, s, U.view, V.view) == LRS_OK;
    lrs_mat_get_global(U.view, u);
    lrs_mat_get_global(V.view, vt);
    for (size_t i = 0; i < r; i++)
      for (size_t j = 0; j < c; j++) {
        double acc = 0.0;
        for (size_t q = 0; q < k; q++)
          acc += u[i + q * r] * s[q] * vt[q + j * k];
        err = fmax(err, fabs(acc - a[i + j * r]));
      }
    for (size_t p = 0; p < k; p++)
      for (size_t q = 0; q < k; q++) {
        double uu = 0.0, vv = 0.0;
        for (size_t i = 0; i < r; i++)
          uu += u[i + p * r] * u[i + q * r];
        for (size_t j = 0; j < c; j++)
          vv += vt[p + j * k] * vt[q + j * k];
        orth = fmax(orth, fmax(fabs(uu - (p == q)), fabs(vv - (p == q))));
      }
    serr = fmax(serr, lrs_test_max_rel_diff(s, sl, k));
    unplace(&A), unplace(&U), unplace(&V);
    lrs_mat_destroy(&Al);
    free(a), free(u), free(vt), free(z1), free(z2);
  }
  CHECK(ok && err < 1e-13 && orth < 1e-13 && serr < 1e-13,
        "%s: svd into views: U·diag(s)·Vt = A (%.2g), orthonormal (%.2g), s vs local (%.2g)",
        P->tag, err, orth, serr);
}

static void test_chol_qr(pair *P) {
  /* Cholesky solve with an SPD view and a single-column view as B */
  const size_t n = 12;
  double *g = fill(n, n + 2, 0.2), *spd = malloc(n * n * sizeof *spd), x[12], xl[12];
  lrs_mat *Gl = make(P->loc, n, n + 2, g), *Sl = NULL;
  lrs_mat_create(P->loc, n, n, &Sl);
  lrs_mat_gram(Gl, Sl);
  lrs_mat_get_global(Sl, spd);
  double *rhs = fill(n, 3, 4.4);
  lrs_mat *Bl = make(P->loc, n, 3, rhs), *bcol = NULL;
  lrs_mat_view(Bl, 0, 1, n, 1, &bcol);
  lrs_mat_chol_solve(Sl, bcol);
  lrs_mat_get_global(bcol, xl);
  placed S = place(P->dis, n, n, 2, 2, spd);
  placed B = place(P->dis, n, 3, 0, 1, rhs);
  lrs_mat *dcol = NULL;
  lrs_mat_view(B.view, 0, 1, n, 1, &dcol);
  bool ok = lrs_mat_chol_solve(S.view, dcol) == LRS_OK;
  lrs_mat_get_global(dcol, x);
  const double cerr = lrs_test_max_rel_diff(x, xl, n);
  CHECK(ok && cerr < 1e-12, "%s: chol_solve into a column view vs local (rel %.2g)", P->tag,
        cerr);
  spd[0] = -5.0;
  lrs_mat_set_global(S.view, spd);
  CHECK(lrs_mat_chol_solve(S.view, dcol) == LRS_ERR_LINALG,
        "%s: an indefinite matrix is LRS_ERR_LINALG on every rank", P->tag);
  lrs_mat_destroy(&dcol), lrs_mat_destroy(&bcol);
  unplace(&S), unplace(&B);
  lrs_mat_destroy(&Gl), lrs_mat_destroy(&Sl), lrs_mat_destroy(&Bl);
  free(g), free(spd), free(rhs);

  /* orthonormalize: the sign-fixed Q is unique, so it equals local's */
  const size_t qr = 15, qc = 6;
  double *q0 = fill(qr, qc, 3.1), *ql = malloc(qr * qc * sizeof *ql), *qd = malloc(qr * qc * sizeof *qd);
  lrs_mat *Ql = make(P->loc, qr, qc, q0);
  lrs_mat_orthonormalize(Ql);
  lrs_mat_get_global(Ql, ql);
  placed Q = place(P->dis, qr, qc, 4, 1, q0);
  ok = lrs_mat_orthonormalize(Q.view) == LRS_OK;
  lrs_mat_get_global(Q.view, qd);
  const double qerr = lrs_test_max_rel_diff(qd, ql, qr * qc);
  CHECK(ok && qerr < 1e-13, "%s: orthonormalize a view vs local (rel %.2g)", P->tag, qerr);
  unplace(&Q);
  lrs_mat_destroy(&Ql);
  free(q0), free(ql), free(qd);
}

/* ------------------------------------------------------------------ reductions */

static void test_reductions(lrs_linalg *la, const char *tag) {
  /* 70 values (two rounds of 64): rank r contributes f(r, i) */
  double v[70], m[70];
  for (int i = 0; i < 70; i++) {
    v[i] = 0.1 * (rank_ + 1) + 1e-17 * i;
    m[i] = (double)((rank_ * 7 + i) % 5);
  }
  lrs_linalg_sum(la, v, 70);
  lrs_linalg_max(la, m, 70);
  double ref = 0.0;
  for (int r = 0; r < size_; r++)
    ref += 0.1 * (r + 1);
  bool ok = true;
  for (int i = 0; i < 70; i++) {
    ok &= fabs(v[i] - ref - (double)size_ * 1e-17 * i) < 1e-14;
    double mx = 0.0;
    for (int r = 0; r < size_; r++)
      mx = fmax(mx, (double)((r * 7 + i) % 5));
    ok &= m[i] == mx;
  }
  CHECK(ok && same_everywhere(v, 70) && same_everywhere(m, 70),
        "%s: lrs_linalg_sum/max of 70 values: right, and the same bits on every rank", tag);
  double nan_here = rank_ == size_ - 1 ? NAN : 1.0;
  lrs_linalg_max(la, &nan_here, 1);
  CHECK(isnan(nan_here), "%s: lrs_linalg_max propagates a NaN of one rank", tag);
  const lrs_status mine =
      rank_ == size_ - 1 ? LRS_RAISE(LRS_ERR_NOMEM, "simulated failure") : LRS_OK;
  const lrs_status st = lrs_linalg_agree(la, mine);
  CHECK(st == LRS_ERR_NOMEM, "%s: lrs_linalg_agree spreads one rank's failure: %s", tag,
        lrs_error_message());
  CHECK(lrs_linalg_agree(la, LRS_OK) == LRS_OK, "%s: lrs_linalg_agree passes when all pass",
        tag);
}

int main(int argc, char **argv) {
  lrs_test_mpi_init(&argc, &argv, &rank_, &size_);

  lrs_linalg *loc = NULL;
  lrs_linalg_create_local(&loc);
  const size_t blocks[] = {1, 2, 3, 5, 64};
  for (size_t b = 0; b < sizeof blocks / sizeof blocks[0]; b++)
    for (int gathered = 0; gathered < 2; gathered++) {
      lrs_linalg_dist_opts o = lrs_linalg_dist_defaults();
      o.block = blocks[b];
      o.gather_max = gathered ? (size_t)1 << 20 : 0;
      lrs_linalg *dis = NULL;
      char tag[64];
      const lrs_status st = lrs_linalg_create_dist(MPI_COMM_WORLD, &o, &dis);
      int pr, pc;
      size_t nb;
      if (st == LRS_OK)
        lrs_linalg_grid(dis, &pr, &pc, &nb);
      snprintf(tag, sizeof tag, "G=%d nb=%zu %s", size_, blocks[b],
               gathered ? "gathered" : "scalapack");
      CHECK(st == LRS_OK && lrs_linalg_size(dis) == size_ && nb == blocks[b] &&
                pr * pc == size_ && pr <= pc,
            "%s: backend on a %dx%d grid", tag, st == LRS_OK ? pr : 0, st == LRS_OK ? pc : 0);
      if (st != LRS_OK)
        continue;
      pair P = {.loc = loc, .dis = dis, .nb = blocks[b], .tag = tag};
      if (!gathered) { /* these do not depend on the factorization path */
        test_layout(&P);
        test_gemm(&P);
        test_level1(&P);
        test_transpose(&P);
        test_gram(&P);
        test_coupled_step(&P);
        test_reductions(dis, tag);
      }
      test_eig_sv(&P);
      test_svd(&P);
      test_chol_qr(&P);
      lrs_linalg_destroy(&dis);
      CHECK(dis == NULL, "%s: destroy clears the pointer", tag);
    }
  /* Expected grid shapes. */
  {
    lrs_linalg *dis = NULL;
    lrs_linalg_create_dist(MPI_COMM_WORLD, NULL, &dis);
    int pr, pc;
    size_t nb;
    lrs_linalg_grid(dis, &pr, &pc, &nb);
    const int want_r = size_ == 4 ? 2 : 1;
    CHECK(pr == want_r && pc == size_ / want_r && nb == LRS_DIST_BLOCK_DEFAULT,
          "default backend: %dx%d grid, block %zu", pr, pc, nb);
    lrs_linalg_destroy(&dis);
  }
  test_cache(loc);
  lrs_linalg_destroy(&loc);
  return lrs_test_mpi_done();
}
