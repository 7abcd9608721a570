/* two_layer problem generation (lrsweep/problem.h): data X, targets Y and
 * initial weights B0 = [W1(0); W2(0)] from a point's random streams. */
#include "lrsweep/problem.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lrsweep/datafile.h"
#include "lrsweep/kind.h"
#include "lrsweep/loss.h"

/* gsl_rng_set takes an unsigned long but mt19937 keeps 32 bits: fold the
 * 64-bit stream seed so both halves count (0 is mapped to 1). */
lrs_status lrs_problem_rng(const lrs_point *p, lrs_stream stream, gsl_rng **r) {
  *r = gsl_rng_alloc(gsl_rng_mt19937);
  if (!*r)
    return LRS_RAISE(LRS_ERR_NOMEM, "out of memory for a GSL generator");
  const uint64_t s = lrs_point_stream_seed(p, stream);
  const unsigned long folded = (unsigned long)((s ^ (s >> 32)) & 0xffffffffULL);
  gsl_rng_set(*r, folded ? folded : 1UL);
  return LRS_OK;
}

void lrs_problem_normals(gsl_rng *r, double *a, size_t count, double scale) {
  for (size_t i = 0; i < count; i++)
    a[i] = scale * gsl_ran_gaussian_ziggurat(r, 1.0);
}

/* A work array; the allocation is agreed over la's ranks (a collective call
 * follows on every path). */
static lrs_status alloc_array(lrs_linalg *la, size_t count, double **a) {
  *a = malloc((count ? count : 1) * sizeof **a);
  return lrs_linalg_agree(la, LRS_CHECK_ALLOC(*a));
}

/* A matrix filled from a global column-major array of standard normals. */
static lrs_status random_mat(lrs_linalg *la, gsl_rng *r, size_t rows, size_t cols, double scale,
                             lrs_mat **A) {
  double *buf = NULL;
  lrs_status st = LRS_OK;
  LRS_TRY_GOTO(st, lrs_mat_create(la, rows, cols, A), done);
  LRS_TRY_GOTO(st, alloc_array(la, rows * cols, &buf), done);
  lrs_problem_normals(r, buf, rows * cols, scale);
  LRS_TRY_GOTO(st, lrs_mat_set_global(*A, buf), done);
done:
  free(buf);
  if (st != LRS_OK)
    lrs_mat_destroy(A);
  return st;
}

/* Scales column j of A by f[j] (local block + global column index). */
static void scale_columns(lrs_mat *A, const double *f) {
  const lrs_mat_block b = lrs_mat_local(A);
  for (size_t j = 0; j < b.cols; j++)
    for (size_t i = 0; i < b.rows; i++) {
      size_t gi, gj;
      lrs_mat_local_to_global(A, i, j, &gi, &gj);
      b.data[i + j * b.ld] *= f[gj];
    }
}

/* Scales row i of A by f[i]. */
static void scale_rows(lrs_mat *A, const double *f) {
  const lrs_mat_block b = lrs_mat_local(A);
  for (size_t j = 0; j < b.cols; j++)
    for (size_t i = 0; i < b.rows; i++) {
      size_t gi, gj;
      lrs_mat_local_to_global(A, i, j, &gi, &gj);
      b.data[i + j * b.ld] *= f[gi];
    }
}

lrs_status lrs_problem_alloc(lrs_linalg *la, size_t N, size_t n, size_t m, size_t h,
                             lrs_problem **problem) {
  *problem = NULL;
  lrs_status st = LRS_OK;
  lrs_problem *P = calloc(1, sizeof *P);
  LRS_TRY(lrs_linalg_agree(la, LRS_CHECK_ALLOC(P)));
  P->N = N;
  P->n = n;
  P->m = m;
  P->h = h;
  LRS_TRY_GOTO(st, lrs_mat_create(la, N, n, &P->X), fail);
  LRS_TRY_GOTO(st, lrs_mat_create(la, N, m, &P->Y), fail);
  LRS_TRY_GOTO(st, lrs_mat_create(la, n + m, h, &P->B0), fail);
  LRS_TRY_GOTO(st, lrs_mat_view(P->B0, 0, 0, n, h, &P->W1_0), fail);
  LRS_TRY_GOTO(st, lrs_mat_view(P->B0, n, 0, m, h, &P->W2_0), fail);
  *problem = P;
  return LRS_OK;
fail:
  lrs_problem_destroy(&P);
  return st;
}

void lrs_problem_destroy(lrs_problem **problem) {
  if (!problem || !*problem)
    return;
  lrs_problem *P = *problem;
  lrs_mat_destroy(&P->W1_0);
  lrs_mat_destroy(&P->W2_0);
  lrs_mat_destroy(&P->B0);
  lrs_mat_destroy(&P->X);
  lrs_mat_destroy(&P->Y);
  free(P);
  *problem = NULL;
}

/* The catalog's constraints (lrsweep/kind.h), then what generation itself
 * needs of the values. */
static lrs_status check_point(const lrs_point *p, size_t *N) {
  if (p->model != LRS_MODEL_TWO_LAYER)
    return LRS_RAISE(LRS_ERR_CONFIG, "problem: model %d is not two_layer", (int)p->model);
  LRS_TRY(lrs_kind_model_ok(p));
  if (p->input_dim < 1 || p->output_dim < 1 || p->width < 1)
    return LRS_RAISE(LRS_ERR_CONFIG,
                     "input_dim = %lld, output_dim = %lld, width = %lld: all must be ≥ 1",
                     (long long)p->input_dim, (long long)p->output_dim, (long long)p->width);
  if (p->samples < 0)
    return LRS_RAISE(LRS_ERR_CONFIG, "samples = %lld must be ≥ 0 (0: N = n)",
                     (long long)p->samples);
  *N = p->samples ? (size_t)p->samples : (size_t)p->input_dim;
  if ((unsigned)p->data >= LRS_DATA_COUNT)
    return LRS_RAISE(LRS_ERR_CONFIG, "data kind %d unknown", (int)p->data);
  if (p->data == LRS_DATA_SPECTRUM && !(p->data_sv_min >= 0.0 && isfinite(p->data_sv_max)))
    return LRS_RAISE(LRS_ERR_CONFIG, "data_sv_min = %g, data_sv_max = %g: need 0 ≤ min ≤ max",
                     p->data_sv_min, p->data_sv_max);
  const double s = lrs_point_init_std(p);
  if (!(s >= 0.0) || !isfinite(s))
    return LRS_RAISE(LRS_ERR_CONFIG, "init std %g (init_scale/init_exponent) must be ≥ 0", s);
  if (!(p->sigma2 >= 0.0) || !isfinite(p->sigma2))
    return LRS_RAISE(LRS_ERR_CONFIG, "sigma2 = %g must be ≥ 0", p->sigma2);
  if ((unsigned)p->target >= LRS_TARGET_COUNT)
    return LRS_RAISE(LRS_ERR_CONFIG, "target kind %d unknown", (int)p->target);
  if (p->target != LRS_TARGET_TEACHER && (!(p->planted_std >= 0.0) || !isfinite(p->planted_std)))
    return LRS_RAISE(LRS_ERR_CONFIG, "planted_std = %g must be ≥ 0", p->planted_std);
  if (p->target == LRS_TARGET_LOW_RANK && p->target_rank < 1)
    return LRS_RAISE(LRS_ERR_CONFIG, "target_rank = %lld must be ≥ 1", (long long)p->target_rank);
  return LRS_OK;
}

/* X from the DATA stream (draw order in lrsweep/problem.h). */
static lrs_status make_data(const lrs_point *p, gsl_rng *r, lrs_problem *P) {
  lrs_linalg *la = lrs_mat_linalg(P->X);
  const size_t N = P->N, n = P->n;
  lrs_status st = LRS_OK;
  lrs_mat *G = NULL, *GV = NULL;
  double *u = NULL;
  if (lrs_loss_type_of(p->loss)->vectorized) { /* 𝒜: i.i.d. N(0, 1/N) (papers.md §4) */
    LRS_TRY_GOTO(st, random_mat(la, r, N, lrs_mat_cols(P->X), 1.0 / sqrt((double)N), &G), done);
    LRS_TRY_GOTO(st, lrs_mat_copy(G, P->X), done);
    goto done;
  }
  switch (p->data) {
  case LRS_DATA_FILE: /* lrs_problem_create reads X and Y */
    break;
  case LRS_DATA_IDENTITY:
    LRS_TRY_GOTO(st, lrs_mat_set_identity(P->X), done);
    break;
  case LRS_DATA_GAUSSIAN:
    LRS_TRY_GOTO(st, random_mat(la, r, N, n, 1.0, &G), done);
    LRS_TRY_GOTO(st, lrs_mat_copy(G, P->X), done);
    break;
  case LRS_DATA_ORTHOGONAL:
    LRS_TRY_GOTO(st, random_mat(la, r, N, n, 1.0, &G), done);
    LRS_TRY_GOTO(st, lrs_mat_orthonormalize(G), done);
    LRS_TRY_GOTO(st, lrs_mat_copy(G, P->X), done);
    break;
  case LRS_DATA_SPECTRUM:
    LRS_TRY_GOTO(st, random_mat(la, r, N, n, 1.0, &G), done);
    LRS_TRY_GOTO(st, random_mat(la, r, n, n, 1.0, &GV), done);
    LRS_TRY_GOTO(st, alloc_array(la, n, &u), done);
    for (size_t i = 0; i < n; i++)
      u[i] = p->data_sv_min + (p->data_sv_max - p->data_sv_min) * gsl_rng_uniform(r);
    LRS_TRY_GOTO(st, lrs_mat_orthonormalize(G), done);
    LRS_TRY_GOTO(st, lrs_mat_orthonormalize(GV), done);
    scale_columns(G, u); /* Q_U diag(s) */
    LRS_TRY_GOTO(st, lrs_mat_gemm(LRS_NOTRANS, LRS_TRANS, 1.0, G, GV, 0.0, P->X), done);
    break;
  default:
    st = LRS_RAISE(LRS_ERR_CONFIG, "data kind %d unknown", (int)p->data);
  }
done:
  lrs_mat_destroy(&G);
  lrs_mat_destroy(&GV);
  free(u);
  return st;
}

/* B0 from the INIT stream. */
static lrs_status make_init(const lrs_point *p, gsl_rng *r, lrs_problem *P) {
  lrs_linalg *la = lrs_mat_linalg(P->X);
  const size_t n = P->n, m = P->m, h = P->h, k = n < m ? n : m;
  const double s = lrs_point_init_std(p);
  lrs_status st = LRS_OK;
  lrs_mat *A1 = NULL, *A2 = NULL, *Pm = NULL, *U = NULL, *Vt = NULL, *Q = NULL;
  double *sv = NULL;
  LRS_TRY_GOTO(st, random_mat(la, r, n, h, s, &A1), done);
  LRS_TRY_GOTO(st, random_mat(la, r, m, h, s, &A2), done);
  if (p->init == LRS_INIT_GAUSSIAN) {
    LRS_TRY_GOTO(st, lrs_mat_copy(A1, P->W1_0), done);
    LRS_TRY_GOTO(st, lrs_mat_copy(A2, P->W2_0), done);
    goto done;
  }
  /* balanced: P = A1A2ᵀ = U diag(σ) Vᵀ, Q = orth(G_h), W1 = U√σQᵀ, W2 = V√σQᵀ. */
  LRS_TRY_GOTO(st, random_mat(la, r, h, k, 1.0, &Q), done);
  LRS_TRY_GOTO(st, lrs_mat_orthonormalize(Q), done);
  LRS_TRY_GOTO(st, lrs_mat_create(la, n, m, &Pm), done);
  LRS_TRY_GOTO(st, lrs_mat_gemm(LRS_NOTRANS, LRS_TRANS, 1.0, A1, A2, 0.0, Pm), done);
  LRS_TRY_GOTO(st, lrs_mat_create(la, n, k, &U), done);
  LRS_TRY_GOTO(st, lrs_mat_create(la, k, m, &Vt), done);
  LRS_TRY_GOTO(st, alloc_array(la, k, &sv), done);
  LRS_TRY_GOTO(st, lrs_mat_svd(Pm, sv, U, Vt), done);
  for (size_t i = 0; i < k; i++)
    sv[i] = sqrt(sv[i]);
  scale_columns(U, sv);
  scale_rows(Vt, sv);
  LRS_TRY_GOTO(st, lrs_mat_gemm(LRS_NOTRANS, LRS_TRANS, 1.0, U, Q, 0.0, P->W1_0), done);
  LRS_TRY_GOTO(st, lrs_mat_gemm(LRS_TRANS, LRS_TRANS, 1.0, Vt, Q, 0.0, P->W2_0), done);
done:
  lrs_mat_destroy(&A1);
  lrs_mat_destroy(&A2);
  lrs_mat_destroy(&Pm);
  lrs_mat_destroy(&U);
  lrs_mat_destroy(&Vt);
  lrs_mat_destroy(&Q);
  free(sv);
  return st;
}

/* Θ (n×m): teacher product, planted or low-rank (DATA stream continues). */
static lrs_status make_theta(const lrs_point *p, gsl_rng *r, lrs_problem *P, lrs_mat *Theta) {
  lrs_linalg *la = lrs_mat_linalg(P->X);
  const size_t n = P->n, m = P->m;
  lrs_status st = LRS_OK;
  lrs_mat *A = NULL, *U = NULL, *V = NULL;
  switch (p->target) {
  case LRS_TARGET_TEACHER:
    LRS_TRY_GOTO(st, lrs_mat_gemm(LRS_NOTRANS, LRS_TRANS, 1.0, P->W1_0, P->W2_0, 0.0, Theta),
                 done);
    break;
  case LRS_TARGET_PLANTED:
    LRS_TRY_GOTO(st, random_mat(la, r, n, m, p->planted_std, &A), done);
    LRS_TRY_GOTO(st, lrs_mat_copy(A, Theta), done);
    break;
  case LRS_TARGET_LOW_RANK: {
    const size_t rk = (size_t)p->target_rank;
    LRS_TRY_GOTO(st, random_mat(la, r, n, rk, 1.0, &U), done);
    LRS_TRY_GOTO(st, random_mat(la, r, m, rk, 1.0, &V), done);
    LRS_TRY_GOTO(st, lrs_mat_gemm(LRS_NOTRANS, LRS_TRANS, p->planted_std / sqrt((double)rk), U,
                                  V, 0.0, Theta),
                 done);
    break;
  }
  default:
    st = LRS_RAISE(LRS_ERR_CONFIG, "target kind %d unknown", (int)p->target);
  }
done:
  lrs_mat_destroy(&A);
  lrs_mat_destroy(&U);
  lrs_mat_destroy(&V);
  return st;
}

/* X and Y from the point's data file (lrsweep/datafile.h); its sizes were
 * matched against the point. */
static lrs_status read_file(const lrs_point *p, lrs_problem *P) {
  lrs_datafile *d = NULL;
  lrs_status st = lrs_datafile_load(p->data_file, &d);
  if (st == LRS_OK)
    st = lrs_datafile_match(d, p);
  st = lrs_linalg_agree(lrs_mat_linalg(P->X), st);
  if (st == LRS_OK)
    st = lrs_mat_set_global(P->X, d->X);
  if (st == LRS_OK)
    st = lrs_mat_set_global(P->Y, d->Y);
  lrs_datafile_destroy(&d);
  return st;
}

/* The set-up cache (see lrsweep/problem.h) holds global arrays: the local
 * backend only. */
static bool cacheable(const lrs_linalg *la) {
  int rows, cols;
  size_t block;
  lrs_linalg_grid(la, &rows, &cols, &block);
  return block == 0;
}

/* What make_data reads (the DATA stream's draws for X and X itself). */
static void data_key(const lrs_point *p, const lrs_problem *P, lrs_setup_key *key) {
  const bool sensing = lrs_loss_type_of(p->loss)->vectorized;
  lrs_setup_key_init(key, 'X');
  lrs_setup_key_add(key, lrs_point_stream_seed(p, LRS_STREAM_DATA));
  lrs_setup_key_add(key, P->N);
  lrs_setup_key_add(key, P->n);
  lrs_setup_key_add(key, lrs_mat_cols(P->X));
  lrs_setup_key_add(key, sensing);
  if (!sensing) {
    lrs_setup_key_add(key, (uint64_t)p->data);
    if (p->data == LRS_DATA_SPECTRUM) {
      lrs_setup_key_add_double(key, p->data_sv_min);
      lrs_setup_key_add_double(key, p->data_sv_max);
    }
    /* Only the kinds whose inputs are all above: a kind added later (data
     * read from a file, …) is not cached until its inputs join the key. */
    if (p->data != LRS_DATA_IDENTITY && p->data != LRS_DATA_GAUSSIAN &&
        p->data != LRS_DATA_ORTHOGONAL && p->data != LRS_DATA_SPECTRUM)
      lrs_setup_key_invalidate(key);
  }
}

/* What make_init reads. */
static void init_key(const lrs_point *p, const lrs_problem *P, lrs_setup_key *key) {
  lrs_setup_key_init(key, 'B');
  lrs_setup_key_add(key, lrs_point_stream_seed(p, LRS_STREAM_INIT));
  lrs_setup_key_add(key, P->n);
  lrs_setup_key_add(key, P->m);
  lrs_setup_key_add(key, P->h);
  lrs_setup_key_add(key, (uint64_t)p->init);
  lrs_setup_key_add_double(key, lrs_point_init_std(p));
  if (p->init != LRS_INIT_GAUSSIAN && p->init != LRS_INIT_BALANCED)
    lrs_setup_key_invalidate(key); /* (as in data_key) */
}

/* X, Y and B0 all: the two keys above, then what make_theta and the noise
 * read. */
static void problem_key(const lrs_point *p, const lrs_setup_key *data,
                        const lrs_setup_key *init, lrs_setup_key *key) {
  lrs_setup_key_init(key, 'P');
  for (size_t i = 1; i < data->n; i++)
    lrs_setup_key_add(key, data->w[i]);
  for (size_t i = 1; i < init->n; i++)
    lrs_setup_key_add(key, init->w[i]);
  lrs_setup_key_add(key, lrs_point_stream_seed(p, LRS_STREAM_NOISE));
  lrs_setup_key_add_double(key, p->sigma2);
  lrs_setup_key_add(key, (uint64_t)p->target);
  if (p->target != LRS_TARGET_TEACHER)
    lrs_setup_key_add_double(key, p->planted_std);
  if (p->target == LRS_TARGET_LOW_RANK)
    lrs_setup_key_add(key, (uint64_t)p->target_rank);
  if ((p->target != LRS_TARGET_TEACHER && p->target != LRS_TARGET_PLANTED &&
       p->target != LRS_TARGET_LOW_RANK) ||
      !lrs_setup_key_valid(data) || !lrs_setup_key_valid(init))
    lrs_setup_key_invalidate(key); /* (as in data_key) */
}

/* X and the DATA stream's state after it, from the cache or from
 * make_data (then kept). */
static lrs_status cached_data(const lrs_point *p, gsl_rng *r, lrs_problem *P,
                              const lrs_setup_key *key) {
  const size_t xb = P->N * lrs_mat_cols(P->X) * sizeof(double), rb = gsl_rng_size(r);
  const unsigned char *hit = key ? lrs_setup_cache_get(key, xb + rb) : NULL;
  if (hit) {
    memcpy(gsl_rng_state(r), hit + xb, rb);
    return lrs_mat_set_global(P->X, (const double *)hit);
  }
  LRS_TRY(make_data(p, r, P));
  if (!key)
    return LRS_OK;
  unsigned char *buf = malloc(xb + rb);
  if (!buf)
    return LRS_OK; /* not kept: the cache is best effort */
  lrs_status st = lrs_mat_get_global(P->X, (double *)buf);
  if (st == LRS_OK) {
    memcpy(buf + xb, gsl_rng_state(r), rb);
    lrs_setup_cache_put(key, buf, xb + rb);
  }
  free(buf);
  return st;
}

/* B0 from the cache or from make_init (then kept); the INIT stream is not
 * read after B0. */
static lrs_status cached_init(const lrs_point *p, gsl_rng *r, lrs_problem *P,
                              const lrs_setup_key *key) {
  const size_t bytes = (P->n + P->m) * P->h * sizeof(double);
  const double *hit = key ? lrs_setup_cache_get(key, bytes) : NULL;
  if (hit)
    return lrs_mat_set_global(P->B0, hit);
  LRS_TRY(make_init(p, r, P));
  if (!key)
    return LRS_OK;
  double *buf = malloc(bytes ? bytes : 1);
  if (!buf)
    return LRS_OK;
  const lrs_status st = lrs_mat_get_global(P->B0, buf);
  if (st == LRS_OK)
    lrs_setup_cache_put(key, buf, bytes);
  free(buf);
  return st;
}

lrs_status lrs_problem_create(const lrs_point *p, lrs_linalg *la, lrs_problem **problem) {
  *problem = NULL;
  size_t N = 0;
  LRS_TRY(check_point(p, &N));
  const size_t n = (size_t)p->input_dim, m = (size_t)p->output_dim, h = (size_t)p->width;
  lrs_status st = LRS_OK;
  lrs_problem *P = NULL;
  gsl_rng *rd = NULL, *ri = NULL, *rn = NULL;
  lrs_mat *Theta = NULL, *E = NULL;
  double *vec = NULL;
  LRS_TRY_GOTO(st, lrs_problem_alloc(la, N, n, m, h, &P), fail);
  const bool sensing = lrs_loss_type_of(p->loss)->vectorized;
  if (sensing) { /* X is the operator 𝒜 (N×nm), Y the measurements (N×1) */
    lrs_mat_destroy(&P->X);
    lrs_mat_destroy(&P->Y);
    LRS_TRY_GOTO(st, lrs_mat_create(la, N, n * m, &P->X), fail);
    LRS_TRY_GOTO(st, lrs_mat_create(la, N, 1, &P->Y), fail);
  }
  st = lrs_problem_rng(p, LRS_STREAM_DATA, &rd);
  if (st == LRS_OK)
    st = lrs_problem_rng(p, LRS_STREAM_INIT, &ri);
  if (st == LRS_OK)
    st = lrs_problem_rng(p, LRS_STREAM_NOISE, &rn);
  LRS_TRY_GOTO(st, lrs_linalg_agree(la, st), fail);
  if (p->data == LRS_DATA_FILE && !sensing) {
    /* X and Y as the file holds them: no target, no noise draws (every rank
     * reads the file, as every rank draws the generated data). */
    LRS_TRY_GOTO(st, read_file(p, P), fail);
    LRS_TRY_GOTO(st, make_init(p, ri, P), fail);
    *problem = P;
    P = NULL;
    goto fail;
  }
  lrs_setup_key dkey, ikey;
  data_key(p, P, &dkey);
  init_key(p, P, &ikey);
  const bool cache = cacheable(la);
  LRS_TRY_GOTO(st, cached_data(p, rd, P, cache ? &dkey : NULL), fail);
  LRS_TRY_GOTO(st, cached_init(p, ri, P, cache ? &ikey : NULL), fail);
  if (cache) {
    P->init_key = ikey;
    problem_key(p, &dkey, &ikey, &P->problem_key);
  }
  LRS_TRY_GOTO(st, lrs_mat_create(la, n, m, &Theta), fail);
  LRS_TRY_GOTO(st, make_theta(p, rd, P, Theta), fail);
  /* Y = XΘ + σ²ε; sensing: y = 𝒜 vec(Θ) + σ²ε */
  LRS_TRY_GOTO(st, random_mat(la, rn, N, lrs_mat_cols(P->Y), p->sigma2, &E), fail);
  LRS_TRY_GOTO(st, lrs_mat_copy(E, P->Y), fail);
  if (sensing) {
    lrs_mat_destroy(&E);
    LRS_TRY_GOTO(st, lrs_mat_create(la, n * m, 1, &E), fail);
    LRS_TRY_GOTO(st, alloc_array(la, n * m, &vec), fail);
    LRS_TRY_GOTO(st, lrs_mat_get_global(Theta, vec), fail); /* column-major: vec(Θ) */
    LRS_TRY_GOTO(st, lrs_mat_set_global(E, vec), fail);
    LRS_TRY_GOTO(st, lrs_mat_gemm(LRS_NOTRANS, LRS_NOTRANS, 1.0, P->X, E, 1.0, P->Y), fail);
  } else {
    LRS_TRY_GOTO(st, lrs_mat_gemm(LRS_NOTRANS, LRS_NOTRANS, 1.0, P->X, Theta, 1.0, P->Y), fail);
  }
  *problem = P;
  P = NULL;
fail:
  lrs_problem_destroy(&P);
  lrs_mat_destroy(&Theta);
  lrs_mat_destroy(&E);
  free(vec);
  gsl_rng_free(rd);
  gsl_rng_free(ri);
  gsl_rng_free(rn);
  return st;
}
