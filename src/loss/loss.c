/* The loss table and the generic entry-separable loss machinery
 * (lrsweep/loss.h): value, gradient, Hessian action, and the Newton solve
 * of the non-overparametrized problem for W* and ℓ*; rows with their own
 * numerics (`impl`) are dispatched to, and `vectorized` rows see W through
 * vec(W).  Inside this file, "inner" matrices have the separable kernel's
 * shapes: W is n_in×m_in = cols(X)×cols(Y) (n×m, or nm×1 when vectorized). */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "lrsweep/loss.h"
#include "lrsweep/kind.h"

struct lrs_loss {
  const lrs_loss_ops *ops;
  lrs_loss_params p;
  lrs_loss_entry_ctx ctx;
  const lrs_mat *X; /* borrowed, N×n_in */
  lrs_mat *Y;       /* own copy (labels for `labels` losses), N×m_in */
  size_t N, n, m;   /* W is n×m */
  size_t n_in, m_in; /* the kernel's W: n×m, or nm×1 for `vectorized` rows */
  lrs_mat *w, *g;    /* vectorized: vec(W) and vec(∇ℓ) (nm×1), else NULL */
  double *vbuf;      /* vectorized: nm doubles for the reshapes */
  void *state;       /* an impl's (lrs_loss_impl.bind) */
  double mu, K, star, lambda;
  double data;       /* ℓ(W) without the ridge, of the last eval (NaN before) */
  bool interpolates; /* N ≤ n and X has full row rank */
  lrs_mat *Z, *R, *D2; /* N×m_in: XW, φ'(Z), φ''(Z) of the last eval */
  lrs_mat *Zstar;      /* N×m_in: XW* (quadratic losses with ℓ* > 0), else NULL */
};

lrs_status lrs_loss_create(const lrs_loss_params *p, const lrs_mat *X, const lrs_mat *Y,
                           size_t m, lrs_loss **loss) {
  *loss = NULL;
  const lrs_loss_ops *ops = lrs_loss_type_of(p->kind);
  if (!ops)
    return LRS_RAISE(LRS_ERR_CONFIG, "loss kind %d is not in the kinds catalog", (int)p->kind);
  LRS_TRY(ops->check(p));
  const size_t N = lrs_mat_rows(X), n_in = lrs_mat_cols(X), m_in = ops->vectorized ? 1 : m;
  if (ops->vectorized && (m == 0 || n_in % m != 0))
    return LRS_RAISE(LRS_ERR_RANGE, "loss: X is %zux%zu, not N×(n·m) with m = %zu", N, n_in, m);
  const size_t n = ops->vectorized ? n_in / m : n_in;
  if (lrs_mat_rows(Y) != N || lrs_mat_cols(Y) != m_in)
    return LRS_RAISE(LRS_ERR_RANGE, "loss: X is %zux%zu but Y is %zux%zu (expected %zux%zu)", N,
                     n_in, lrs_mat_rows(Y), lrs_mat_cols(Y), N, m_in);
  lrs_linalg *la = lrs_mat_linalg(X);
  lrs_status st = LRS_OK;
  double *s = NULL;
  lrs_loss *l = calloc(1, sizeof *l);
  LRS_TRY_GOTO(st, lrs_linalg_agree(la, LRS_CHECK_ALLOC(l)), fail);
  l->ops = ops;
  l->p = *p;
  l->X = X;
  l->N = N;
  l->n = n;
  l->m = m;
  l->n_in = n_in;
  l->m_in = m_in;
  l->star = NAN;
  l->data = NAN;
  l->lambda = ops->ridge(p);
  LRS_TRY_GOTO(st, lrs_mat_create(la, N, m_in, &l->Y), fail);
  LRS_TRY_GOTO(st, lrs_mat_create(la, N, m_in, &l->Z), fail);
  LRS_TRY_GOTO(st, lrs_mat_create(la, N, m_in, &l->R), fail);
  LRS_TRY_GOTO(st, lrs_mat_create(la, N, m_in, &l->D2), fail);
  LRS_TRY_GOTO(st, lrs_mat_copy(Y, l->Y), fail);
  if (ops->labels) { /* y ← sign(Y), sign(0) = +1 */
    const lrs_mat_block b = lrs_mat_local(l->Y);
    for (size_t j = 0; j < b.cols; j++)
      for (size_t i = 0; i < b.rows; i++)
        b.data[i + j * b.ld] = b.data[i + j * b.ld] < 0.0 ? -1.0 : 1.0;
  }
  l->p = *p;
  l->ctx.p = &l->p;
  l->ctx.inv_N = 1.0 / (double)N;
  /* μ and K from the singular values of X (descending). */
  const size_t k = N < n_in ? N : n_in;
  s = malloc(k * sizeof *s);
  LRS_TRY_GOTO(st, lrs_linalg_agree(la, LRS_CHECK_ALLOC(s)), fail);
  LRS_TRY_GOTO(st, lrs_mat_singular_values(X, s), fail);
  const double smax2 = s[0] * s[0];
  const double smin2 = N >= n_in ? s[n_in - 1] * s[n_in - 1] : 0.0; /* n_in-th */
  ops->constants(p, smin2, smax2, N, &l->mu, &l->K);
  /* Full row rank with N ≤ n_in: Y ∈ range(X).  Rank by the usual threshold. */
  l->interpolates =
      N <= n_in && s[N - 1] > s[0] * (double)(N > n_in ? N : n_in) * DBL_EPSILON;
  free(s);
  s = NULL;
  if (ops->vectorized) {
    LRS_TRY_GOTO(st, lrs_mat_create(la, n_in, 1, &l->w), fail);
    LRS_TRY_GOTO(st, lrs_mat_create(la, n_in, 1, &l->g), fail);
    l->vbuf = malloc(n_in * sizeof *l->vbuf);
    LRS_TRY_GOTO(st, lrs_linalg_agree(la, LRS_CHECK_ALLOC(l->vbuf)), fail);
  }
  if (ops->impl)
    LRS_TRY_GOTO(st, ops->impl->bind(l, &l->state), fail);
  *loss = l;
  return LRS_OK;
fail:
  free(s);
  lrs_loss_destroy(&l);
  return st;
}

double lrs_loss_memory(const lrs_point *p) {
  const lrs_loss_ops *ops = lrs_loss_type_of(p->loss);
  if (!ops)
    return 0.0;
  const double n = (double)p->input_dim, m = (double)p->output_dim;
  const double N = p->samples > 0 ? (double)p->samples : n;
  /* The shapes lrs_loss_create sees: X is N×n_in, Y and Z are N×m_in. */
  const double n_in = ops->vectorized ? n * m : n, m_in = ops->vectorized ? 1.0 : m;
  const double k = fmin(N, n_in), K = fmax(N, n_in);
  double d = N * n_in + N * m_in;                 /* X and Y (the problem's) */
  d += (ops->quadratic ? 5.0 : 4.0) * N * m_in;  /* Y, Z, R, D2; Zstar */
  d += ops->vectorized ? 3.0 * n_in : 0.0;        /* w, g, vbuf */
  /* The backend's scratch, kept: dgesvd's copy of X and its work, or the
   * Cholesky factor of the Newton system (one column's, or the row's nm×nm). */
  const double newton = ops->impl ? n * m : n_in;
  d += fmax(N * n_in + fmax(3.0 * k + K, 5.0 * k), newton * newton);
  d += N + 4.0 * n_in * m_in; /* minimize: d2col, G, Gt, Dir, Wt */
  if (!ops->impl)
    d += N * n_in + n_in * n_in; /* its scaled copy Xs of X and one column's H */
  return 8.0 * d + (ops->state_bytes ? ops->state_bytes(N, n, m) : 0.0);
}

void lrs_loss_destroy(lrs_loss **loss) {
  if (!loss || !*loss)
    return;
  lrs_loss *l = *loss;
  if (l->ops->impl && l->state)
    l->ops->impl->release(l->state);
  lrs_mat_destroy(&l->w);
  lrs_mat_destroy(&l->g);
  free(l->vbuf);
  lrs_mat_destroy(&l->Y);
  lrs_mat_destroy(&l->Z);
  lrs_mat_destroy(&l->R);
  lrs_mat_destroy(&l->D2);
  lrs_mat_destroy(&l->Zstar);
  free(l);
  *loss = NULL;
}

const lrs_loss_ops *lrs_loss_ops_of(const lrs_loss *loss) { return loss->ops; }
double lrs_loss_mu(const lrs_loss *loss) { return loss->mu; }
double lrs_loss_K(const lrs_loss *loss) { return loss->K; }
double lrs_loss_star(const lrs_loss *loss) { return loss->star; }
const lrs_mat *lrs_loss_targets(const lrs_loss *loss) { return loss->Y; }
double lrs_loss_data_term(const lrs_loss *loss) { return loss->data; }

const lrs_mat *lrs__loss_data(const lrs_loss *loss) { return loss->X; }
lrs_mat *lrs__loss_targets_mut(lrs_loss *loss) { return loss->Y; }
void lrs__loss_dims(const lrs_loss *loss, size_t *N, size_t *n, size_t *m) {
  *N = loss->N;
  *n = loss->n;
  *m = loss->m;
}
double lrs__loss_lambda(const lrs_loss *loss) { return loss->lambda; }
void *lrs__loss_state(const lrs_loss *loss) { return loss->state; }

/* dst ← src with the same column-major entries (n×m ↔ nm×1: vec and its
 * inverse), through buf (every rank holds the whole array). */
static lrs_status reshape(const lrs_mat *src, lrs_mat *dst, double *buf) {
  LRS_TRY(lrs_mat_get_global(src, buf));
  return lrs_mat_set_global(dst, buf);
}

/* The separable kernel on inner shapes (see the file comment). */
static lrs_status sep_eval(lrs_loss *l, const lrs_mat *W, double *value, lrs_mat *G) {
  LRS_TRY(lrs_mat_gemm(LRS_NOTRANS, LRS_NOTRANS, 1.0, l->X, W, 0.0, l->Z)); /* Z = XW */
  /* Local kernel over the entries, then one reduction (value). */
  const lrs_mat_block z = lrs_mat_local(l->Z), y = lrs_mat_local(l->Y),
                      r = lrs_mat_local(l->R), d2 = lrs_mat_local(l->D2);
  double v = 0.0;
  for (size_t j = 0; j < z.cols; j++)
    for (size_t i = 0; i < z.rows; i++) {
      const double zi = z.data[i + j * z.ld], yi = y.data[i + j * y.ld];
      v += l->ops->phi(zi, yi, &l->ctx);
      r.data[i + j * r.ld] = l->ops->dphi(zi, yi, &l->ctx);
      d2.data[i + j * d2.ld] = l->ops->d2phi(zi, yi, &l->ctx);
    }
  LRS_TRY(lrs_linalg_sum(lrs_mat_linalg(W), &v, 1));
  l->data = v;
  if (l->lambda != 0.0) { /* + (λ/2)‖W‖² */
    double w2;
    LRS_TRY(lrs_mat_dot(W, W, &w2));
    v += 0.5 * l->lambda * w2;
  }
  *value = v;
  if (G) { /* ∇ℓ = Xᵀφ'(Z) + λW */
    LRS_TRY(lrs_mat_gemm(LRS_TRANS, LRS_NOTRANS, 1.0, l->X, l->R, 0.0, G));
    if (l->lambda != 0.0)
      LRS_TRY(lrs_mat_axpy(l->lambda, W, G));
  }
  return LRS_OK;
}

/* ℓ(W), ∇ℓ(W) on inner shapes: the row's own numerics, or the kernel. */
static lrs_status inner_eval(lrs_loss *l, const lrs_mat *W, double *value, lrs_mat *G) {
  return l->ops->impl ? l->ops->impl->eval(l, W, value, &l->data, G) : sep_eval(l, W, value, G);
}

lrs_status lrs_loss_eval(lrs_loss *l, const lrs_mat *W, double *value, lrs_mat *G) {
  if (!l->ops->vectorized)
    return inner_eval(l, W, value, G);
  LRS_TRY(reshape(W, l->w, l->vbuf));
  LRS_TRY(sep_eval(l, l->w, value, G ? l->g : NULL));
  return G ? reshape(l->g, G, l->vbuf) : LRS_OK;
}

lrs_status lrs_loss_excess(const lrs_loss *l, double value, double *excess) {
  if (!l->Zstar || !isfinite(value)) {
    *excess = value - l->star;
    return LRS_OK;
  }
  /* ½‖Z − Z*‖²: local kernel + one reduction. */
  const lrs_mat_block z = lrs_mat_local(l->Z), zs = lrs_mat_local(l->Zstar);
  double s = 0.0;
  for (size_t j = 0; j < z.cols; j++)
    for (size_t i = 0; i < z.rows; i++) {
      const double d = z.data[i + j * z.ld] - zs.data[i + j * zs.ld];
      s += d * d;
    }
  LRS_TRY(lrs_linalg_sum(lrs_mat_linalg(l->Z), &s, 1));
  *excess = 0.5 * s;
  return LRS_OK;
}

static lrs_status sep_hess_apply(lrs_loss *l, const lrs_mat *V, lrs_mat *HV) {
  /* ∇²ℓ[V] = Xᵀ(φ''(Z) ∘ XV) + λV; R is free after eval's gradient. */
  LRS_TRY(lrs_mat_gemm(LRS_NOTRANS, LRS_NOTRANS, 1.0, l->X, V, 0.0, l->R));
  const lrs_mat_block r = lrs_mat_local(l->R), d2 = lrs_mat_local(l->D2);
  for (size_t j = 0; j < r.cols; j++)
    for (size_t i = 0; i < r.rows; i++)
      r.data[i + j * r.ld] *= d2.data[i + j * d2.ld];
  LRS_TRY(lrs_mat_gemm(LRS_TRANS, LRS_NOTRANS, 1.0, l->X, l->R, 0.0, HV));
  if (l->lambda != 0.0)
    LRS_TRY(lrs_mat_axpy(l->lambda, V, HV));
  return LRS_OK;
}

lrs_status lrs_loss_hess_apply(lrs_loss *l, const lrs_mat *V, lrs_mat *HV) {
  if (l->ops->impl)
    return l->ops->impl->hess_apply(l, V, HV);
  if (!l->ops->vectorized)
    return sep_hess_apply(l, V, HV);
  LRS_TRY(reshape(V, l->w, l->vbuf)); /* w is free after eval: the kernel keeps Z */
  LRS_TRY(sep_hess_apply(l, l->w, l->g));
  return reshape(l->g, HV, l->vbuf);
}

lrs_loss_min_opts lrs_loss_min_opts_default(void) {
  return (lrs_loss_min_opts){.max_iter = 100, .gtol = 0.0, .ridge_floor = 1e-13};
}

/* H ← Xᵀdiag(φ''(z_:j))X + (λ + ridge)I for output column j, via the scaled
 * copy Xs = diag(√φ''_:j) X.  The column φ''(z_:j) is gathered whole into
 * d2col (N doubles, the same on every rank), because a rank's block of Xs
 * holds rows whose φ'' may live on another rank; the diagonal of H is found
 * by global index (local kernel + one reduction for its trace). */
static lrs_status column_hessian(lrs_loss *l, size_t j, lrs_mat *Xs, lrs_mat *H,
                                 double ridge_floor, double *d2col) {
  lrs_mat *col = NULL;
  LRS_TRY(lrs_mat_view(l->D2, 0, j, l->N, 1, &col));
  const lrs_status got = lrs_mat_get_global(col, d2col);
  lrs_mat_destroy(&col);
  LRS_TRY(got);
  LRS_TRY(lrs_mat_copy(l->X, Xs));
  const lrs_mat_block xs = lrs_mat_local(Xs);
  for (size_t c = 0; c < xs.cols; c++)
    for (size_t i = 0; i < xs.rows; i++) {
      size_t gi, gc;
      lrs_mat_local_to_global(Xs, i, c, &gi, &gc);
      xs.data[i + c * xs.ld] *= sqrt(d2col[gi]);
    }
  LRS_TRY(lrs_mat_gemm(LRS_TRANS, LRS_NOTRANS, 1.0, Xs, Xs, 0.0, H));
  /* Ridge: λ plus a relative floor so singular (Huber) systems stay SPD.
   * The diagonal is visited in increasing order (j-major loops). */
  const lrs_mat_block h = lrs_mat_local(H);
  double tr = 0.0;
  for (size_t c = 0; c < h.cols; c++)
    for (size_t i = 0; i < h.rows; i++) {
      size_t gi, gc;
      lrs_mat_local_to_global(H, i, c, &gi, &gc);
      if (gi == gc)
        tr += h.data[i + c * h.ld];
    }
  LRS_TRY(lrs_linalg_sum(lrs_mat_linalg(H), &tr, 1));
  const size_t n = lrs_mat_cols(H);
  double scale = tr / (double)n;
  if (!(scale > 0.0))
    scale = 1.0;
  const double add = l->lambda + ridge_floor * scale;
  for (size_t c = 0; c < h.cols; c++)
    for (size_t i = 0; i < h.rows; i++) {
      size_t gi, gc;
      lrs_mat_local_to_global(H, i, c, &gi, &gc);
      if (gi == gc)
        h.data[i + c * h.ld] += add;
    }
  return LRS_OK;
}

/* Damped Newton from Wstar's content (inner shape; see lrs_loss_minimize);
 * sets l->star.  Rows with `impl` take their Newton direction from the
 * row's newton_solve on the whole problem.
 * Quadratic losses (φ'' ≡ 1, papers.md §1.1) have one Hessian H = XᵀX for
 * every column and step: it is formed once, and from W = 0 the first full
 * step is the closed form W* = (XᵀX)⁻¹XᵀY of the least-squares problem; the
 * next steps only refine it to machine precision (no damping needed). */
static lrs_status minimize_newton(lrs_loss *l, const lrs_loss_min_opts *opts, lrs_mat *Wstar) {
  const lrs_loss_min_opts o = opts ? *opts : lrs_loss_min_opts_default();
  lrs_linalg *la = lrs_mat_linalg(Wstar);
  const size_t n = l->n_in, m = l->m_in;
  const bool one_hessian = l->ops->quadratic;
  const lrs_loss_impl *impl = l->ops->impl;
  lrs_status st = LRS_OK;
  lrs_mat *G = NULL, *Gt = NULL, *Dir = NULL, *Wt = NULL, *H = NULL, *Xs = NULL, *dcol = NULL;
  double *d2col = malloc(l->N * sizeof *d2col);
  LRS_TRY_GOTO(st, lrs_linalg_agree(la, LRS_CHECK_ALLOC(d2col)), done);
  LRS_TRY_GOTO(st, lrs_mat_create(la, n, m, &G), done);
  LRS_TRY_GOTO(st, lrs_mat_create(la, n, m, &Gt), done);
  LRS_TRY_GOTO(st, lrs_mat_create(la, n, m, &Dir), done);
  LRS_TRY_GOTO(st, lrs_mat_create(la, n, m, &Wt), done);
  if (!impl) {
    LRS_TRY_GOTO(st, lrs_mat_create(la, n, n, &H), done);
    LRS_TRY_GOTO(st, lrs_mat_create(la, l->N, n, &Xs), done);
  }

  double f;
  LRS_TRY_GOTO(st, inner_eval(l, Wstar, &f, G), done);
  if (one_hessian)
    LRS_TRY_GOTO(st, column_hessian(l, 0, Xs, H, o.ridge_floor, d2col), done);
  for (int it = 0; it < o.max_iter; it++) {
    if (!isfinite(f)) {
      st = LRS_RAISE(LRS_ERR_NUMERIC, "Newton solve for ℓ*: non-finite loss at iteration %d",
                     it);
      goto done;
    }
    double gnorm;
    LRS_TRY_GOTO(st, lrs_mat_norm_fro(G, &gnorm), done);
    if (gnorm == 0.0 || (o.gtol > 0.0 && gnorm <= o.gtol))
      break;
    /* Newton direction, one output column at a time (block-diagonal H),
     * or the row's own solve. */
    LRS_TRY_GOTO(st, lrs_mat_copy(G, Dir), done);
    LRS_TRY_GOTO(st, lrs_mat_scal(-1.0, Dir), done);
    if (impl)
      LRS_TRY_GOTO(st, impl->newton_solve(l, Dir), done);
    else if (one_hessian)
      LRS_TRY_GOTO(st, lrs_mat_chol_solve(H, Dir), done);
    for (size_t j = 0; j < m && !one_hessian && !impl; j++) {
      LRS_TRY_GOTO(st, column_hessian(l, j, Xs, H, o.ridge_floor, d2col), done);
      LRS_TRY_GOTO(st, lrs_mat_view(Dir, 0, j, n, 1, &dcol), done);
      LRS_TRY_GOTO(st, lrs_mat_chol_solve(H, dcol), done);
      lrs_mat_destroy(&dcol);
    }
    double gd; /* gᵀd = −(Newton decrement)² */
    LRS_TRY_GOTO(st, lrs_mat_dot(G, Dir, &gd), done);
    if (!(gd < 0.0))
      break; /* no descent direction left: at machine precision */
    /* Armijo backtracking on ℓ.  Once the decrease is below the rounding of
     * ℓ, a full Newton step is still taken while it shrinks ‖∇ℓ‖ (iterative
     * refinement to machine precision); when it no longer does, stop. */
    const double flat = 8.0 * DBL_EPSILON * fmax(fabs(f), DBL_MIN);
    double alpha = 1.0, ft = INFINITY;
    bool accept = false;
    for (int k = 0; k < (one_hessian ? 1 : 60); k++, alpha *= 0.5) {
      LRS_TRY_GOTO(st, lrs_mat_copy(Wstar, Wt), done);
      LRS_TRY_GOTO(st, lrs_mat_axpy(alpha, Dir, Wt), done);
      LRS_TRY_GOTO(st, inner_eval(l, Wt, &ft, Gt), done);
      if (ft <= f + 1e-4 * alpha * gd) {
        accept = true;
        break;
      }
      if (k == 0 && ft <= f + flat) { /* flat within rounding: polish */
        double gtn;
        LRS_TRY_GOTO(st, lrs_mat_norm_fro(Gt, &gtn), done);
        accept = gtn < gnorm;
        break;
      }
    }
    if (!accept)
      break; /* no representable progress left */
    LRS_TRY_GOTO(st, lrs_mat_copy(Wt, Wstar), done);
    LRS_TRY_GOTO(st, lrs_mat_copy(Gt, G), done);
    f = ft;
  }
  LRS_TRY_GOTO(st, inner_eval(l, Wstar, &f, NULL), done);
  l->star = (l->ops->zero_min && l->interpolates) ? 0.0 : f;
done:
  free(d2col);
  lrs_mat_destroy(&dcol);
  lrs_mat_destroy(&G);
  lrs_mat_destroy(&Gt);
  lrs_mat_destroy(&Dir);
  lrs_mat_destroy(&Wt);
  lrs_mat_destroy(&H);
  lrs_mat_destroy(&Xs);
  return st;
}

/* Newton on the caller's n×m Wstar: vectorized rows solve for vec(W). */
static lrs_status minimize_local(lrs_loss *l, const lrs_loss_min_opts *opts, lrs_mat *Wstar) {
  if (!l->ops->vectorized)
    return minimize_newton(l, opts, Wstar);
  LRS_TRY(reshape(Wstar, l->w, l->vbuf));
  LRS_TRY(minimize_newton(l, opts, l->w));
  return reshape(l->w, Wstar, l->vbuf);
}

/*
 * The distributed case: the n×m problem is small next to the model, and a
 * distributed Newton solve would be one chain of tiny collectives per output
 * column.  So every rank gathers X and the targets, solves the whole problem
 * with the local backend (the code above), and rank 0's W* and ℓ* are
 * broadcast, so that every rank holds the same bits.
 */
static lrs_status minimize_replicated(lrs_loss *l, const lrs_loss_min_opts *opts,
                                      lrs_mat *Wstar) {
  lrs_linalg *la = lrs_mat_linalg(Wstar), *loc = NULL;
  const size_t N = l->N, n = l->n, m = l->m, n_in = l->n_in, m_in = l->m_in;
  lrs_status st = LRS_OK;
  lrs_mat *Xl = NULL, *Yl = NULL, *Wl = NULL;
  lrs_loss *ll = NULL;
  double *x = malloc(N * n_in * sizeof *x), *y = malloc(N * m_in * sizeof *y);
  double *w = malloc((n * m + 1) * sizeof *w);
  st = x && y && w ? LRS_OK
                   : LRS_RAISE(LRS_ERR_NOMEM, "out of memory for a %zux%zu problem", N, n_in);
  LRS_TRY_GOTO(st, lrs_linalg_agree(la, st), done);
  LRS_TRY_GOTO(st, lrs_mat_get_global(l->X, x), done);
  /* labels already: sign, and the one-hot argmax of an impl's bind, are idempotent */
  LRS_TRY_GOTO(st, lrs_mat_get_global(l->Y, y), done);
  LRS_TRY_GOTO(st, lrs_mat_get_global(Wstar, w), done);
  { /* rank-local work; its status is agreed below */
    lrs_status ls = lrs_linalg_create_local(&loc);
    if (ls == LRS_OK)
      ls = lrs_mat_create(loc, N, n_in, &Xl);
    if (ls == LRS_OK)
      ls = lrs_mat_create(loc, N, m_in, &Yl);
    if (ls == LRS_OK)
      ls = lrs_mat_create(loc, n, m, &Wl);
    if (ls == LRS_OK) {
      lrs_mat_set_global(Xl, x);
      lrs_mat_set_global(Yl, y);
      lrs_mat_set_global(Wl, w);
      ls = lrs_loss_create(&l->p, Xl, Yl, m, &ll);
    }
    if (ls == LRS_OK)
      ls = minimize_local(ll, opts, Wl);
    if (ls == LRS_OK) {
      lrs_mat_get_global(Wl, w);
      w[n * m] = ll->star;
    }
    LRS_TRY_GOTO(st, lrs_linalg_agree(la, ls), done);
  }
  LRS_TRY_GOTO(st, lrs_linalg_bcast(la, w, n * m + 1), done);
  LRS_TRY_GOTO(st, lrs_mat_set_global(Wstar, w), done);
  l->star = w[n * m];
  double f; /* leaves the loss's per-W state at W*, as the Newton path does */
  LRS_TRY_GOTO(st, lrs_loss_eval(l, Wstar, &f, NULL), done);
done:
  lrs_loss_destroy(&ll);
  lrs_mat_destroy(&Xl);
  lrs_mat_destroy(&Yl);
  lrs_mat_destroy(&Wl);
  lrs_linalg_destroy(&loc);
  free(x);
  free(y);
  free(w);
  return st;
}

/* Whether lrs_loss_excess uses Pythagoras, from a kept XW*. */
static bool keeps_zstar(const lrs_loss *l) {
  return l->ops->quadratic && l->lambda == 0.0 && l->star > 0.0;
}

/* XW* for lrs_loss_excess's Pythagoras, from l->Z of an evaluation at W*. */
static lrs_status keep_zstar(lrs_loss *l, lrs_linalg *la) {
  if (!keeps_zstar(l))
    return LRS_OK;
  if (!l->Zstar)
    LRS_TRY(lrs_mat_create(la, l->N, l->m_in, &l->Zstar));
  return lrs_mat_copy(l->Z, l->Zstar);
}

lrs_status lrs_loss_minimize(lrs_loss *l, const lrs_loss_min_opts *opts, lrs_mat *Wstar,
                             double *star) {
  lrs_linalg *la = lrs_mat_linalg(Wstar);
  if (lrs_linalg_size(la) > 1)
    LRS_TRY(minimize_replicated(l, opts, Wstar));
  else
    LRS_TRY(minimize_local(l, opts, Wstar));
  *star = l->star;
  return keep_zstar(l, la); /* both paths end with an evaluation at W* */
}

lrs_status lrs_loss_set_minimum(lrs_loss *l, const lrs_mat *Wstar, double star) {
  l->star = star;
  if (!keeps_zstar(l))
    return LRS_OK;
  double value;
  LRS_TRY(lrs_loss_eval(l, Wstar, &value, NULL));
  return keep_zstar(l, lrs_mat_linalg(Wstar));
}
