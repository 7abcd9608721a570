/*
 * tests/lora/lora_ref.h — independent reference computations for the lora
 * tests: plain-loop dense formulas of papers.md §2.1 straight from the paper
 * (P2 = W2 + B2A2, P1 = W1 + B1A1, E = Y_pre + ΔY − P2P1, the GF field),
 * with ΔY rebuilt from the test's own SVD of Y_pre.  Nothing here calls the
 * model's code except to read its problem matrices and parameters.
 */
#ifndef LRSWEEP_TEST_LORA_REF_H
#define LRSWEEP_TEST_LORA_REF_H

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lrsweep/linalg.h"
#include "lrsweep/lora.h"

/* Aborts the test program on an infrastructure failure (not a check). */
#define REF_OK(call)                                                           \
  do {                                                                         \
    lrs_status ref__st = (call);                                               \
    if (ref__st != LRS_OK) {                                                   \
      printf("Bail out! %s:%d %s: %s\n", __FILE__, __LINE__, #call,            \
             lrs_error_message());                                             \
      exit(1);                                                                 \
    }                                                                          \
  } while (0)

static inline double *ref_alloc(size_t count) {
  double *a = calloc(count ? count : 1, sizeof *a);
  if (!a) {
    printf("Bail out! out of memory\n");
    exit(1);
  }
  return a;
}

/* A whole matrix as a fresh column-major array. */
static inline double *ref_get(const lrs_mat *A) {
  double *a = ref_alloc(lrs_mat_rows(A) * lrs_mat_cols(A));
  REF_OK(lrs_mat_get_global(A, a));
  return a;
}

/* C (p×q) = op(A)·op(B), column-major, dense loops; ta/tb: transpose flags;
 * A is ar×ac as stored, B is br×bc as stored. */
static inline void ref_mul(bool ta, bool tb, const double *A, size_t ar, size_t ac,
                           const double *B, size_t br, size_t bc, double *C) {
  const size_t p = ta ? ac : ar, kk = ta ? ar : ac, q = tb ? br : bc;
  (void)bc;
  for (size_t j = 0; j < q; j++)
    for (size_t i = 0; i < p; i++) {
      double s = 0.0;
      for (size_t l = 0; l < kk; l++) {
        const double a = ta ? A[l + ar * i] : A[i + ar * l];
        const double b = tb ? B[j + br * l] : B[l + br * j];
        s += a * b;
      }
      C[i + p * j] = s;
    }
}

static inline double ref_norm(const double *a, size_t count) {
  double s = 0.0;
  for (size_t i = 0; i < count; i++)
    s += a[i] * a[i];
  return sqrt(s);
}

/* The reference problem: dense copies of Y_pre, W1, W2 and ΔY = σ u_t v_tᵀ
 * with (u_t, v_t) from lrs_mat_svd of Y_pre (the linalg backend's LAPACK,
 * not the model), the top or bottom pair. */
typedef struct ref_problem {
  size_t m, n, h, r, k;
  double sigma, c;
  double *Ypre, *W1, *W2, *dY, *ut, *vt, *sv; /* sv: k singular values */
  size_t jstar;
} ref_problem;

static inline void ref_problem_load(lrs_linalg *la, const lrs_model *model, ref_problem *R) {
  const lrs_lora_problem *pb = lrs_lora_problem_of(model);
  memset(R, 0, sizeof *R);
  R->m = pb->m, R->n = pb->n, R->h = pb->h, R->r = pb->r, R->k = pb->k;
  R->sigma = pb->sigma;
  R->c = pb->c;
  R->Ypre = ref_get(pb->Y_pre);
  R->W1 = ref_get(pb->W1);
  R->W2 = ref_get(pb->W2);
  lrs_mat *U = NULL, *Vt = NULL;
  REF_OK(lrs_mat_create(la, R->m, R->k, &U));
  REF_OK(lrs_mat_create(la, R->k, R->n, &Vt));
  R->sv = ref_alloc(R->k);
  REF_OK(lrs_mat_svd(pb->Y_pre, R->sv, U, Vt));
  double *Ua = ref_get(U), *Va = ref_get(Vt);
  R->jstar = pb->pair == LRS_PAIR_TOP ? 0 : R->k - 1;
  R->ut = ref_alloc(R->m);
  R->vt = ref_alloc(R->n);
  for (size_t i = 0; i < R->m; i++)
    R->ut[i] = Ua[i + R->m * R->jstar];
  for (size_t j = 0; j < R->n; j++)
    R->vt[j] = Va[R->jstar + R->k * j];
  R->dY = ref_alloc(R->m * R->n);
  for (size_t j = 0; j < R->n; j++)
    for (size_t i = 0; i < R->m; i++)
      R->dY[i + R->m * j] = R->sigma * R->ut[i] * R->vt[j];
  free(Ua);
  free(Va);
  lrs_mat_destroy(&U);
  lrs_mat_destroy(&Vt);
}

static inline void ref_problem_free(ref_problem *R) {
  free(R->Ypre);
  free(R->W1);
  free(R->W2);
  free(R->dY);
  free(R->ut);
  free(R->vt);
  free(R->sv);
}

/* Views of θ in the documented layout [A1 | B1 | A2 | B2]. */
typedef struct ref_theta {
  const double *A1, *B1, *A2, *B2;
} ref_theta;

static inline ref_theta ref_split(const ref_problem *R, const double *theta) {
  const size_t rn = R->r * R->n, hr = R->h * R->r;
  return (ref_theta){theta, theta + rn, theta + rn + hr, theta + rn + 2 * hr};
}

/*
 * L = ½‖Y_pre + ΔY − (W2 + B2A2)(W1 + B1A1)‖² and, when grad != NULL,
 * grad = −(Ḃ1, Ȧ1, Ḃ2, Ȧ2) of papers.md §2.1 in θ's layout, with dense P1,
 * P2.  E (m×n) is returned in E_out when not NULL.
 */
static inline double ref_loss(const ref_problem *R, const double *theta, double *grad,
                              double *E_out) {
  const size_t m = R->m, n = R->n, h = R->h, r = R->r;
  const ref_theta T = ref_split(R, theta);
  double *P1 = ref_alloc(h * n), *P2 = ref_alloc(m * h), *E = ref_alloc(m * n);
  ref_mul(false, false, T.B1, h, r, T.A1, r, n, P1);
  for (size_t i = 0; i < h * n; i++)
    P1[i] += R->W1[i];
  ref_mul(false, false, T.B2, m, r, T.A2, r, h, P2);
  for (size_t i = 0; i < m * h; i++)
    P2[i] += R->W2[i];
  ref_mul(false, false, P2, m, h, P1, h, n, E);
  double L = 0.0;
  for (size_t i = 0; i < m * n; i++) {
    E[i] = R->Ypre[i] + R->dY[i] - E[i];
    L += 0.5 * E[i] * E[i];
  }
  if (grad) {
    const size_t rn = r * n, hr = h * r;
    double *gA1 = grad, *gB1 = grad + rn, *gA2 = grad + rn + hr, *gB2 = grad + rn + 2 * hr;
    double *P2tE = ref_alloc(h * n), *EP1t = ref_alloc(m * h);
    ref_mul(true, false, P2, m, h, E, m, n, P2tE);  /* P2ᵀE, h×n */
    ref_mul(false, true, E, m, n, P1, h, n, EP1t);  /* EP1ᵀ, m×h */
    ref_mul(false, true, P2tE, h, n, T.A1, r, n, gB1); /* P2ᵀEA1ᵀ, h×r */
    ref_mul(true, false, T.B1, h, r, P2tE, h, n, gA1); /* B1ᵀP2ᵀE, r×n */
    ref_mul(false, true, EP1t, m, h, T.A2, r, h, gB2); /* EP1ᵀA2ᵀ, m×r */
    ref_mul(true, false, T.B2, m, r, EP1t, m, h, gA2); /* B2ᵀEP1ᵀ, r×h */
    for (size_t i = 0; i < r * (n + 2 * h + m); i++)
      grad[i] = -grad[i];
    free(P2tE);
    free(EP1t);
  }
  if (E_out)
    memcpy(E_out, E, m * n * sizeof *E);
  free(P1);
  free(P2);
  free(E);
  return L;
}

/* The documented RNG convention (lrsweep/lora.h, lrsweep/problem.h). */
static inline gsl_rng *ref_rng(const lrs_point *p, lrs_stream stream) {
  gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
  if (!rng) {
    printf("Bail out! gsl_rng_alloc\n");
    exit(1);
  }
  const uint64_t s = lrs_point_stream_seed(p, stream);
  const unsigned long f = (unsigned long)((s ^ (s >> 32)) & 0xffffffffULL);
  gsl_rng_set(rng, f ? f : 1UL);
  return rng;
}

/* Fills θ with N(0, scale²) entries from a test-local generator. */
static inline void ref_random(gsl_rng *rng, double *a, size_t count, double scale) {
  for (size_t i = 0; i < count; i++)
    a[i] = scale * gsl_ran_gaussian(rng, 1.0);
}

#endif
