/* LoRA on a pre-trained linear classifier head ([P2] §5.2, papers.md §4;
 * lrsweep/lora_head.h): W = W0 + AᵀBᵀ on the softmax cross-entropy. */
#include "lrsweep/lora_head.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lrsweep/kind.h"
#include "lrsweep/loss.h"
#include "lrsweep/problem.h"
#include "model_private.h"

typedef struct head {
  size_t N, n, m, r, N_test;
  lrs_mat *X, *Y, *X_test, *Y_test; /* data (targets one-hot or real) */
  lrs_mat *W0, *W, *G, *Wstar;      /* n×m */
  lrs_mat *A, *B, *GA, *GB;         /* r×n, m×r and their gradients */
  lrs_mat *D;                       /* Δ = AᵀBᵀ, n×m (observe) */
  lrs_mat *Ur, *Vr, *T1, *T2;       /* top-r singular vectors of W* − W0, n×r, m×r; r×m, r×r */
  lrs_mat *Z, *Zt;                  /* XW (N×m), X_test W (N_t×m) */
  lrs_loss *loss, *test_loss;       /* owned */
  double *theta, *grad;             /* [vec(A); vec(B)] and ∇L */
  double *zbuf, *ybuf;              /* N·m host copies for accuracies */
  size_t P;
  double star;
} head;

static head *impl(const lrs_model *m) { return m->impl; }

static size_t op_param_count(const lrs_model *m) { return impl(m)->P; }
static double *op_params(lrs_model *m) { return impl(m)->theta; }
static double *op_grad_storage(lrs_model *m) { return impl(m)->grad; }

/* W ← W0 + AᵀBᵀ from θ. */
static lrs_status form_W(head *t) {
  LRS_TRY(lrs_mat_set_global(t->A, t->theta));
  LRS_TRY(lrs_mat_set_global(t->B, t->theta + t->r * t->n));
  LRS_TRY(lrs_mat_copy(t->W0, t->W));
  return lrs_mat_gemm(LRS_TRANS, LRS_TRANS, 1.0, t->A, t->B, 1.0, t->W);
}

static lrs_status op_eval(lrs_model *m, double *excess, double *grad) {
  head *t = impl(m);
  double v;
  LRS_TRY(form_W(t));
  LRS_TRY(lrs_loss_eval(t->loss, t->W, &v, grad ? t->G : NULL));
  LRS_TRY(lrs_loss_excess(t->loss, v, excess));
  if (!grad)
    return LRS_OK;
  /* ∇_A = BᵀGᵀ (r×n), ∇_B = GᵀAᵀ (m×r): lrsweep/lora_head.h. */
  LRS_TRY(lrs_mat_gemm(LRS_TRANS, LRS_TRANS, 1.0, t->B, t->G, 0.0, t->GA));
  LRS_TRY(lrs_mat_gemm(LRS_TRANS, LRS_TRANS, 1.0, t->G, t->A, 0.0, t->GB));
  LRS_TRY(lrs_mat_get_global(t->GA, grad));
  return lrs_mat_get_global(t->GB, grad + t->r * t->n);
}

/* The share of rows of Z (N×m) whose argmax is that of Y's row. */
static lrs_status accuracy(head *t, const lrs_mat *Z, const lrs_mat *Y, double *acc) {
  const size_t N = lrs_mat_rows(Z), m = t->m;
  LRS_TRY(lrs_mat_get_global(Z, t->zbuf));
  LRS_TRY(lrs_mat_get_global(Y, t->ybuf));
  size_t hits = 0;
  for (size_t i = 0; i < N; i++) {
    size_t bz = 0, by = 0;
    for (size_t j = 1; j < m; j++) {
      bz = t->zbuf[i + j * N] > t->zbuf[i + bz * N] ? j : bz;
      by = t->ybuf[i + j * N] > t->ybuf[i + by * N] ? j : by;
    }
    hits += bz == by;
  }
  *acc = (double)hits / (double)N;
  return LRS_OK;
}

/* Records (lrsweep/lora_head.h): accuracies, test objective, the plain
 * cross-entropies, ‖Δ‖_F and the alignment of Δ with the target update's
 * top-r directions. */
static lrs_status op_observe(lrs_model *m, const lrs_observe *obs, lrs_record *rec) {
  head *t = impl(m);
  if (!rec || !obs->finite)
    return LRS_OK;
  LRS_TRY(form_W(t));
  /* The plain cross-entropy is the data term of ℓ at this W (papers.md §4):
   * evaluated here, not taken from the solver's last evaluation, which may
   * be a line-search trial's. */
  double objective;
  LRS_TRY(lrs_loss_eval(t->loss, t->W, &objective, NULL));
  rec->train_cross_entropy = lrs_loss_data_term(t->loss);
  LRS_TRY(lrs_mat_gemm(LRS_NOTRANS, LRS_NOTRANS, 1.0, t->X, t->W, 0.0, t->Z));
  LRS_TRY(accuracy(t, t->Z, t->Y, &rec->train_acc));
  if (t->N_test) {
    LRS_TRY(lrs_loss_eval(t->test_loss, t->W, &rec->test_loss, NULL));
    rec->test_cross_entropy = lrs_loss_data_term(t->test_loss);
    LRS_TRY(lrs_mat_gemm(LRS_NOTRANS, LRS_NOTRANS, 1.0, t->X_test, t->W, 0.0, t->Zt));
    LRS_TRY(accuracy(t, t->Zt, t->Y_test, &rec->test_acc));
  }
  LRS_TRY(lrs_mat_gemm(LRS_TRANS, LRS_TRANS, 1.0, t->A, t->B, 0.0, t->D));
  double nd, na;
  LRS_TRY(lrs_mat_norm_fro(t->D, &nd));
  rec->lora_norm = nd;
  if (nd > 0.0) { /* ‖U_rᵀ Δ V_r‖_F / ‖Δ‖_F */
    LRS_TRY(lrs_mat_gemm(LRS_TRANS, LRS_NOTRANS, 1.0, t->Ur, t->D, 0.0, t->T1));
    LRS_TRY(lrs_mat_gemm(LRS_NOTRANS, LRS_NOTRANS, 1.0, t->T1, t->Vr, 0.0, t->T2));
    LRS_TRY(lrs_mat_norm_fro(t->T2, &na));
    rec->update_align = na / nd;
  }
  return LRS_OK;
}

static lrs_status op_dump(lrs_model *m, lrs_dump_fn emit, void *ctx) {
  head *t = impl(m);
  LRS_TRY(form_W(t));
  LRS_TRY(lrs_model_emit_mat(emit, ctx, "X", t->X, "data X (N×n), rows are samples"));
  LRS_TRY(lrs_model_emit_mat(emit, ctx, "Y", t->Y, "one-hot targets Y (N×m): labels = argmax"));
  if (t->N_test) {
    LRS_TRY(lrs_model_emit_mat(emit, ctx, "X_test", t->X_test, "test inputs (N_t×n)"));
    LRS_TRY(lrs_model_emit_mat(emit, ctx, "Y_test", t->Y_test, "test targets (N_t×m)"));
  }
  LRS_TRY(lrs_model_emit_mat(emit, ctx, "W0", t->W0, "pre-trained head (n×m): prediction X W0"));
  LRS_TRY(lrs_model_emit_mat(emit, ctx, "A", t->A,
                             "initial LoRA A (r×n); W = W0 + Aᵀ Bᵀ, softmax loss on X W"));
  return lrs_model_emit_mat(emit, ctx, "B", t->B, "initial LoRA B (m×r)");
}

static lrs_status op_summarize(lrs_model *m, lrs_summary *s) {
  return lrs__model_summarize_untheorized(impl(m)->loss, impl(m)->star, s);
}

static void op_destroy(lrs_model *m) {
  head *t = impl(m);
  if (!t)
    return;
  lrs_mat **mats[] = {&t->X,  &t->Y,  &t->X_test, &t->Y_test, &t->W0, &t->W,  &t->G,
                      &t->Wstar, &t->A, &t->B, &t->GA, &t->GB, &t->D, &t->Ur, &t->Vr,
                      &t->T1, &t->T2, &t->Z, &t->Zt};
  for (size_t i = 0; i < sizeof mats / sizeof mats[0]; i++)
    lrs_mat_destroy(mats[i]);
  lrs_loss_destroy(&t->loss);
  lrs_loss_destroy(&t->test_loss);
  free(t->theta);
  free(t->grad);
  free(t->zbuf);
  free(t->ybuf);
  free(t);
  m->impl = NULL;
}

static const lrs_model_ops head_ops = {
    .kind = LRS_MODEL_LORA_HEAD,
    .param_count = op_param_count,
    .params = op_params,
    .eval = op_eval,
    .grad_storage = op_grad_storage,
    .observe = op_observe,
    .dump = op_dump,
    .summarize = op_summarize,
    .destroy = op_destroy,
};

/* A matrix rows×cols holding a column-major array. */
static lrs_status mat_from(lrs_linalg *la, size_t rows, size_t cols, const double *a,
                           lrs_mat **A) {
  LRS_TRY(lrs_mat_create(la, rows, cols, A));
  return a ? lrs_mat_set_global(*A, a) : lrs_mat_fill(*A, 0.0);
}

/* A (r×n) from the INIT stream: small, or spectral along W0's left singular
 * vectors (lrsweep/lora_head.h); B = 0. */
static lrs_status init_adapters(const lrs_point *p, lrs_linalg *la, head *t) {
  const size_t r = t->r, n = t->n, m = t->m, k = n < m ? n : m;
  const double alpha = lrs_point_init_std(p);
  gsl_rng *rng = NULL;
  lrs_mat *U = NULL, *Vt = NULL;
  double *a = calloc(r * n, sizeof *a), *u = NULL, *s = NULL;
  lrs_status st = LRS_CHECK_ALLOC(a);
  if (st == LRS_OK)
    st = lrs_problem_rng(p, LRS_STREAM_INIT, &rng);
  if (st != LRS_OK)
    goto done;
  if (p->init == LRS_INIT_SMALL) {
    lrs_problem_normals(rng, a, r * n, alpha);
  } else { /* spectral: row i = a_i u_iᵀ */
    double *coef = calloc(r, sizeof *coef);
    u = malloc(n * k * sizeof *u);
    s = malloc(k * sizeof *s);
    st = LRS_CHECK_ALLOC(coef && u && s ? (void *)u : NULL);
    if (st == LRS_OK)
      st = lrs_mat_create(la, n, k, &U);
    if (st == LRS_OK)
      st = lrs_mat_create(la, k, m, &Vt);
    if (st == LRS_OK)
      st = lrs_mat_svd(t->W0, s, U, Vt);
    if (st == LRS_OK)
      st = lrs_mat_get_global(U, u);
    if (st == LRS_OK) {
      lrs_problem_normals(rng, coef, r, alpha);
      for (size_t i = 0; i < r; i++)
        for (size_t j = 0; j < n; j++)
          a[i + j * r] = coef[i] * u[j + i * n];
    }
    free(coef);
    if (st != LRS_OK)
      goto done;
  }
  LRS_TRY_GOTO(st, lrs_mat_set_global(t->A, a), done);
  LRS_TRY_GOTO(st, lrs_mat_fill(t->B, 0.0), done);
  memcpy(t->theta, a, r * n * sizeof *a);
  memset(t->theta + r * n, 0, m * r * sizeof *t->theta);
done:
  gsl_rng_free(rng);
  lrs_mat_destroy(&U);
  lrs_mat_destroy(&Vt);
  free(a);
  free(u);
  free(s);
  return st;
}

/* U_r, V_r: top-r singular vectors of ΔW = W* − W0. */
static lrs_status target_directions(lrs_linalg *la, head *t) {
  const size_t n = t->n, m = t->m, k = n < m ? n : m, r = t->r < k ? t->r : k;
  lrs_mat *dW = NULL, *U = NULL, *Vt = NULL;
  double *s = malloc(k * sizeof *s), *u = malloc(n * k * sizeof *u), *vt = malloc(k * m * sizeof *vt);
  double *ur = calloc(n * t->r, sizeof *ur), *vr = calloc(m * t->r, sizeof *vr);
  lrs_status st = LRS_CHECK_ALLOC(s && u && vt && ur && vr ? (void *)s : NULL);
  if (st == LRS_OK)
    st = lrs_mat_create(la, n, m, &dW);
  if (st == LRS_OK)
    st = lrs_mat_copy(t->Wstar, dW);
  if (st == LRS_OK)
    st = lrs_mat_axpy(-1.0, t->W0, dW);
  if (st == LRS_OK)
    st = lrs_mat_create(la, n, k, &U);
  if (st == LRS_OK)
    st = lrs_mat_create(la, k, m, &Vt);
  if (st == LRS_OK)
    st = lrs_mat_svd(dW, s, U, Vt);
  if (st == LRS_OK)
    st = lrs_mat_get_global(U, u);
  if (st == LRS_OK)
    st = lrs_mat_get_global(Vt, vt);
  if (st == LRS_OK) { /* columns beyond min(n, m) stay zero */
    for (size_t i = 0; i < r; i++) {
      memcpy(ur + i * n, u + i * n, n * sizeof *ur);
      for (size_t j = 0; j < m; j++)
        vr[j + i * m] = vt[i + j * k];
    }
    st = lrs_mat_set_global(t->Ur, ur);
  }
  if (st == LRS_OK)
    st = lrs_mat_set_global(t->Vr, vr);
  lrs_mat_destroy(&dW);
  lrs_mat_destroy(&U);
  lrs_mat_destroy(&Vt);
  free(s);
  free(u);
  free(vt);
  free(ur);
  free(vr);
  return st;
}

/* ℓ* and W*, by Newton from W0 (the target update ΔW = W* − W0): most of a
 * point's set-up (a Newton system in all n·m entries), and the same for
 * every point of a sweep on one data file, which differ in init, rank,
 * steps and seed.  Kept in the set-up cache (lrsweep/problem.h), keyed by
 * all it depends on: the file's bytes (SHA-256), the sizes and the loss with
 * its parameters; data without a digest (built in memory) is not cached. */
static lrs_status loss_star(const lrs_loss_params *lp, const lrs_datafile *d, head *t) {
  lrs_setup_key key;
  lrs_setup_key_init(&key, 'H');
  const size_t hex = strlen(d->sha256);
  if (hex != LRS_SHA256_HEX - 1)
    lrs_setup_key_invalidate(&key);
  for (size_t i = 0; i + 8 <= hex; i += 8) {
    uint64_t word;
    memcpy(&word, d->sha256 + i, sizeof word);
    lrs_setup_key_add(&key, word);
  }
  const uint64_t sizes[] = {t->N, t->n, t->m};
  for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
    lrs_setup_key_add(&key, sizes[i]);
  lrs__model_key_loss(&key, lp);
  LRS_TRY(lrs_mat_copy(t->W0, t->Wstar)); /* Newton starts from W0 */
  return lrs__model_minimize_kept(t->loss, &key, t->Wstar, &t->star);
}

static lrs_status build(const lrs_point *p, const lrs_datafile *d, lrs_model *shell) {
  lrs_linalg *la = shell->la;
  if (lrs_linalg_size(la) != 1)
    return LRS_RAISE(LRS_ERR_UNSUPPORTED, "model lora_head runs on one rank (group size 1)");
  LRS_TRY(lrs_datafile_match(d, p)); /* sizes, and W0 present (data_W0) */
  head *t = calloc(1, sizeof *t);
  LRS_TRY(LRS_CHECK_ALLOC(t));
  shell->ops = &head_ops;
  shell->impl = t;
  t->N = d->N;
  t->n = d->n;
  t->m = d->m;
  t->r = (size_t)p->lora_rank;
  t->N_test = d->N_test;
  t->P = t->r * t->n + t->m * t->r;
  const size_t n = t->n, m = t->m, r = t->r, rows = t->N > t->N_test ? t->N : t->N_test;
  t->theta = calloc(t->P, sizeof *t->theta);
  t->grad = calloc(t->P, sizeof *t->grad);
  t->zbuf = malloc(rows * m * sizeof *t->zbuf);
  t->ybuf = malloc(rows * m * sizeof *t->ybuf);
  LRS_TRY(LRS_CHECK_ALLOC(t->theta && t->grad && t->zbuf && t->ybuf ? (void *)t->grad : NULL));
  LRS_TRY(mat_from(la, t->N, n, d->X, &t->X));
  LRS_TRY(mat_from(la, t->N, m, d->Y, &t->Y));
  LRS_TRY(mat_from(la, n, m, d->W0, &t->W0));
  LRS_TRY(mat_from(la, n, m, NULL, &t->W));
  LRS_TRY(mat_from(la, n, m, NULL, &t->G));
  LRS_TRY(mat_from(la, n, m, NULL, &t->Wstar));
  LRS_TRY(mat_from(la, n, m, NULL, &t->D));
  LRS_TRY(mat_from(la, r, n, NULL, &t->A));
  LRS_TRY(mat_from(la, m, r, NULL, &t->B));
  LRS_TRY(mat_from(la, r, n, NULL, &t->GA));
  LRS_TRY(mat_from(la, m, r, NULL, &t->GB));
  LRS_TRY(mat_from(la, n, r, NULL, &t->Ur));
  LRS_TRY(mat_from(la, m, r, NULL, &t->Vr));
  LRS_TRY(mat_from(la, r, m, NULL, &t->T1));
  LRS_TRY(mat_from(la, r, r, NULL, &t->T2));
  LRS_TRY(mat_from(la, t->N, m, NULL, &t->Z));
  const lrs_loss_params lp = {.kind = p->loss, .lambda = p->logistic_lambda,
                              .delta = p->huber_delta};
  LRS_TRY(lrs_loss_create(&lp, t->X, t->Y, m, &t->loss));
  if (t->N_test) {
    LRS_TRY(mat_from(la, t->N_test, n, d->X_test, &t->X_test));
    LRS_TRY(mat_from(la, t->N_test, m, d->Y_test, &t->Y_test));
    LRS_TRY(mat_from(la, t->N_test, m, NULL, &t->Zt));
    LRS_TRY(lrs_loss_create(&lp, t->X_test, t->Y_test, m, &t->test_loss));
  }
  LRS_TRY(loss_star(&lp, d, t));
  LRS_TRY(target_directions(la, t));
  return init_adapters(p, la, t);
}

lrs_status lrs_lora_head_create_from(const lrs_point *p, const lrs_datafile *d, lrs_linalg *la,
                                     lrs_model **model) {
  *model = NULL;
  LRS_TRY(lrs_kind_model_ok(p));
  LRS_TRY(lrs_model_shell_create(la, model));
  const lrs_status st = build(p, d, *model);
  if (st != LRS_OK)
    lrs_model_destroy(model);
  return st;
}

/* ------------------------------------------------------------ the catalog row */

static lrs_status init(const lrs_point *p, lrs_model *shell) {
  lrs_datafile *d = NULL;
  LRS_TRY(lrs_datafile_load(p->data_file, &d));
  const lrs_status st = build(p, d, shell);
  lrs_datafile_destroy(&d);
  return st;
}

static bool check(const lrs_point *p, lrs_violation *v) {
  const int64_t n = p->input_dim, m = p->output_dim, nm = n < m ? n : m;
  if (p->data != LRS_DATA_FILE)
    return lrs_violate(v, LRS_ERR_CONFIG, "data",
                       "model lora_head reads X, the labels and W0 from a data file: "
                       "data = \"file\" with data_file");
  if (p->init == LRS_INIT_SPECTRAL && p->lora_rank > nm)
    return lrs_violate(v, LRS_ERR_CONFIG, "lora_rank",
                       "lora_rank = %lld exceeds min(n, m) = %lld: the spectral init has that "
                       "many singular directions of W0",
                       (long long)p->lora_rank, (long long)nm);
  return true;
}

static int64_t solve_width(const lrs_point *p) { return p->lora_rank; }

/* XW (N×m), ∇ℓ's Xᵀ(P − Y), the adapter products; set-up: ℓ*'s Newton
 * (nm × nm Hessian, ~10 solves) and two SVDs. */
static void cost(const lrs_point *p, double *per_eval, double *setup) {
  const double n = (double)p->input_dim, m = (double)p->output_dim, r = (double)p->lora_rank;
  const double N = (double)p->samples > 0 ? (double)p->samples : n;
  *per_eval = 4 * N * n * m + 6 * n * m * r;
  *setup = 10 * (n * m) * (n * m) * (n * m) / 3 + 10 * N * n * m;
}

const lrs_model_type lrs_lora_head_type = {
    .inits = LRS_KIND_BIT(LRS_INIT_SMALL) | LRS_KIND_BIT(LRS_INIT_SPECTRAL),
    .losses = LRS_KIND_BIT(LRS_LOSS_SOFTMAX),
    .p1_theory = false,
    .data_file = true,
    .data_W0 = true,
    .check = check,
    .solve_width = solve_width,
    .cost = cost,
    .init = init,
};

bool lrs_lora_head_is(const lrs_model *m) { return m && m->ops == &head_ops; }
const lrs_mat *lrs_lora_head_W(const lrs_model *m) { return impl(m)->W; }
const lrs_mat *lrs_lora_head_Wstar(const lrs_model *m) { return impl(m)->Wstar; }
