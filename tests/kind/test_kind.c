/* The kinds catalog (lrsweep/kind.h): every kind has a row, and each
 * constraint between parameters is one check that the sweep-file validator
 * and the numerics apply alike (the same verdict and the same words). */
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lrs_test.h"
#include "lrsweep/config.h"
#include "lrsweep/kind.h"
#include "lrsweep/loss.h"
#include "lrsweep/model.h"
#include "lrsweep/solve.h"
#include "numerics_point.h"

/* The validator's verdict on a point: NULL when accepted, else its message. */
static const char *config_verdict(const lrs_point *p, char *buf, size_t cap) {
  lrs_config *cfg = NULL;
  lrs_config_load_string("", 0, "empty.toml", &cfg);
  const lrs_status st = lrs_config_check_point(cfg, p);
  lrs_config_destroy(&cfg);
  if (st == LRS_OK)
    return NULL;
  snprintf(buf, cap, "%s", lrs_error_message());
  return buf;
}

/* The numerics' verdict: the point built and solved through the one door. */
static const char *solve_verdict(const lrs_point *p, char *buf, size_t cap) {
  lrs_result *r = NULL;
  lrs_result_create(8, &r);
  const lrs_status st = lrs_solve_point(p, MPI_COMM_SELF, r);
  snprintf(buf, cap, "%s", r->summary.message);
  lrs_result_destroy(&r);
  return st == LRS_OK ? NULL : buf;
}

/* Both refuse with the catalog's message, or both accept. */
static void agree(const lrs_point *p, const char *needle, const char *what) {
  char a[1024], b[1024];
  const char *cv = config_verdict(p, a, sizeof a), *sv = solve_verdict(p, b, sizeof b);
  if (!needle) {
    LRS_CHECK(!cv && !sv, "%s: accepted by the validator and solved (%s | %s)", what,
              cv ? cv : "-", sv ? sv : "-");
    return;
  }
  LRS_CHECK(cv && sv && strstr(cv, needle) && strstr(sv, needle),
            "%s: refused by the validator and by the numerics with \"%s\" (%s | %s)", what,
            needle, cv ? cv : "accepted", sv ? sv : "accepted");
}

static lrs_point small_point(void) {
  lrs_point p = lrs_test_point();
  p.input_dim = 3, p.output_dim = 4, p.width = 12;
  p.max_iter = 3;
  p.step_rule = LRS_STEP_FIXED;
  p.step_size = 0.01;
  return p;
}

static lrs_point lora_point(void) {
  lrs_point p = small_point();
  p.model = LRS_MODEL_LORA;
  p.init = LRS_INIT_SMALL;
  p.init_scale = 1e-3;
  p.lora_rank = 2;
  return p;
}

/* The record bound (lrs_point_max_records) against the records a solve
 * really appends, counted here from the schedule's definition
 * (lrsweep/solver.h: GD every k-th step below the last iteration plus the
 * final state; GF t = 0 plus the log-spaced times), and the loops'
 * reservation: a result created with room for 1 record ends with exactly the
 * bound's capacity, so the loop reserved it and never grew. */
static void check_records(const lrs_point *p, int64_t expect, const char *what) {
  lrs_result *r = NULL;
  lrs_result_create(1, &r);
  const lrs_status st = lrs_solve_point(p, MPI_COMM_SELF, r);
  const int64_t bound = lrs_point_max_records(p), n = (int64_t)r->n_records;
  bool increasing = true;
  for (size_t i = 1; i < r->n_records; i++)
    increasing = increasing && r->records[i].step > r->records[i - 1].step;
  LRS_CHECK(st == LRS_OK && increasing && (expect < 0 ? n <= bound : n == expect) &&
                n <= bound && r->cap_records == (size_t)bound,
            "%s: %lld records (expected %s%lld), bound %lld, capacity %zu reserved up front",
            what, (long long)n, expect < 0 ? "≤ " : "", (long long)(expect < 0 ? bound : expect),
            (long long)bound, r->cap_records);
  lrs_result_destroy(&r);
}

static void test_max_records(void) {
  lrs_point p = small_point();
  p.max_iter = 50;
  p.tol = 0.0; /* runs to max_iter */
  for (int64_t k = 1; k <= 11; k += 3) {
    p.record_every = k;
    int64_t expect = 1; /* the final state */
    for (int64_t t = 0; t < p.max_iter; t++)
      expect += t % k == 0;
    char what[64];
    snprintf(what, sizeof what, "GD, max_iter 50, record_every %lld", (long long)k);
    check_records(&p, expect, what);
  }
  p.record_every = 7; /* ⌈50/7⌉ = ⌊50/7⌋ + 1: the bound is attained */
  LRS_CHECK(lrs_point_max_records(&p) == 9, "record_every 7: bound 9 = 8 steps + the final");
  p.record_every = 0;
  p.records = 12;
  check_records(&p, -1, "GD, log-spaced, 12 records");
  p.method = LRS_METHOD_ADAM;
  p.record_every = 3;
  check_records(&p, 17 + 1, "Adam, max_iter 50, record_every 3");
  p = small_point();
  p.method = LRS_METHOD_GF;
  p.horizon = 2.0;
  p.records = 30;
  p.tol = 0.0;
  check_records(&p, 30 + 1, "GF rk8pd to the horizon, 30 records (+ t = 0)");
  p.ode_stepper = LRS_ODE_DOP853;
  check_records(&p, 30 + 1, "GF dop853 to the horizon, 30 records (+ t = 0)");
  p.tol_rel = 1e-6; /* stops between two record times */
  p.horizon = 20.0;
  check_records(&p, -1, "GF dop853 converging between records");
}

/* The parameter table's `methods` (lrsweep/config.h): a parameter flagged as
 * acting only with some methods changes nothing in a point of another method
 * (the records and summary of the solve are bitwise the same with the value
 * moved), and its doc starts with one of its methods' names; a doc that starts
 * with a method's name belongs to a flagged parameter (the selector `method`
 * aside). */
static bool same_solve(const lrs_point *a, const lrs_point *b) {
  lrs_status sa, sb;
  lrs_result *ra = lrs_test_solve(a, &sa), *rb = lrs_test_solve(b, &sb);
  bool same = sa == LRS_OK && sb == LRS_OK && ra->n_records == rb->n_records &&
              ra->summary.status == rb->summary.status &&
              memcmp(&ra->summary.final_loss, &rb->summary.final_loss, sizeof(double)) == 0;
  for (size_t i = 0; same && i < ra->n_records; i++)
    same = ra->records[i].step == rb->records[i].step &&
           memcmp(&ra->records[i].loss, &rb->records[i].loss, sizeof(double)) == 0 &&
           memcmp(&ra->records[i].time, &rb->records[i].time, sizeof(double)) == 0;
  lrs_result_destroy(&ra);
  lrs_result_destroy(&rb);
  return same;
}

/* Another valid value of the parameter. */
static double moved(const lrs_param *q, double v) {
  if (q->type == LRS_PARAM_ENUM) {
    int count = 0;
    while (q->names[count])
      count++;
    return (double)(((int)v + 1) % count);
  }
  if (q->type == LRS_PARAM_INT)
    return v + 1;
  return isfinite(q->max) ? 0.5 * (v + q->max) : v != 0.0 ? 1.37 * v : 0.5;
}

static bool starts_with_method(const char *doc, const lrs_param *q, bool *any) {
  bool own = false;
  *any = false;
  for (int k = 0; k < LRS_METHOD_COUNT; k++) {
    const size_t len = strlen(lrs_method_names[k]);
    if (strncasecmp(doc, lrs_method_names[k], len) != 0 || !strchr(" :,", doc[len]))
      continue;
    *any = true;
    own = own || (q->methods & LRS_PARAM_METHOD(k));
  }
  return own;
}

static void test_method_params(void) {
  size_t count;
  const lrs_param *t = lrs_param_table(&count);
  size_t flagged = 0;
  bool docs = true;
  for (size_t i = 0; i < count; i++) {
    const lrs_param *q = &t[i];
    bool any;
    const bool own = starts_with_method(q->doc, q, &any);
    if (strcmp(q->name, "method") != 0 && (q->methods ? !own : any)) {
      docs = false;
      printf("# %s: methods 0x%x, doc \"%s\"\n", q->name, q->methods, q->doc);
    }
    if (!q->methods)
      continue;
    flagged++;
    for (int k = 0; k < LRS_METHOD_COUNT; k++) {
      if (lrs_param_acts(q, (lrs_method)k))
        continue;
      lrs_point a = small_point();
      a.method = (lrs_method)k;
      a.max_iter = 20;
      a.horizon = 2.0;
      a.records = 12;
      lrs_point b = a;
      lrs_param_set(&b, q, moved(q, lrs_param_get(&a, q)));
      LRS_CHECK(lrs_param_get(&b, q) != lrs_param_get(&a, q) && same_solve(&a, &b),
                "%s acts only with its methods: moved in a %s point, the solve is the same",
                q->name, lrs_method_names[k]);
    }
  }
  LRS_CHECK(flagged >= 8 && lrs_param_acts(lrs_param_find("adam_eps"), LRS_METHOD_ADAM) &&
                !lrs_param_acts(lrs_param_find("adam_eps"), LRS_METHOD_GD) &&
                lrs_param_acts(lrs_param_find("tol"), LRS_METHOD_GF),
            "%zu parameters act with some methods only (Adam's, GF's, GD and Adam's)", flagged);
  LRS_CHECK(docs, "a method-only parameter's doc starts with its method, and only such docs do");
}

/* Bytes glibc's heap holds (arena and mmapped chunks); 0 under
 * AddressSanitizer, whose allocator is not glibc's. */
static double heap_bytes(void) {
#if defined(__SANITIZE_ADDRESS__)
  return 0.0;
#else
  const struct mallinfo2 mi = mallinfo2();
  return (double)mi.uordblks + (double)mi.hblkhd;
#endif
}

/* lrs_point_memory on points whose memory is the loss's data: matrix sensing
 * (X is the N×nm operator, not N×n), a tall squared-loss data set and the
 * softmax loss (its own state and nm×nm Newton system).  Against the arrays
 * counted here from the dims, and against the heap a built model holds. */
static void test_point_memory(void) {
  lrs_point p = small_point();
  p.loss = LRS_LOSS_SENSING;
  p.input_dim = 16, p.output_dim = 16, p.width = 16, p.samples = 600;
  p.data = LRS_DATA_GAUSSIAN;
  const double N = 600, nm = 256;
  /* What the sensing point really allocates for its data: the problem's
   * operator (N×nm) and measurements (N×1), lrs_loss_create's copy of y and
   * its Z, φ', φ'' and XW* (N each), vec(W), vec(∇ℓ) and a reshape buffer (nm
   * each); and the backend's copy of the operator for its singular values. */
  const double held = 8.0 * (N * nm + N + 5 * N + 3 * nm + N * nm);
  const double old_rule = 8.0 * (10.0 * 32 * 16 + N * 32); /* the data as N×(n+m) */
  const double mem = lrs_point_memory(&p);
  LRS_CHECK(mem >= held && held > 10 * old_rule,
            "sensing, N = 600, nm = 256: point memory %.3g B ≥ the %.3g B of its operator, "
            "copies and workspaces (N×(n+m) data would say %.3g B)",
            mem, held, old_rule);

  lrs_point cases[4] = {p, small_point(), small_point(), small_point()};
  const char *names[4] = {"sensing, N = 600, nm = 256", "squared, N = 6000, n = 12, m = 4",
                          "softmax, N = 2000, n = m = 10",
                          "reduced coordinates, h = 200000, n = m = 10"};
  cases[1].input_dim = 12, cases[1].output_dim = 4, cases[1].width = 4, cases[1].samples = 6000;
  cases[1].data = LRS_DATA_GAUSSIAN;
  cases[2].loss = LRS_LOSS_SOFTMAX;
  cases[2].input_dim = 10, cases[2].output_dim = 10, cases[2].width = 10, cases[2].samples = 2000;
  cases[2].data = LRS_DATA_GAUSSIAN;
  /* The default coordinates iterate on (n+m)×(n+m), but the set-up holds the
   * h-wide W1(0), W2(0) and the drift basis. */
  cases[3].input_dim = 10, cases[3].output_dim = 10, cases[3].width = 200000;
  cases[3].coordinates = LRS_COORDS_REDUCED;
  for (int i = 0; i < 4; i++) {
    lrs_status st = LRS_OK;
    double built = 0.0;
    /* Built twice: the first fills the process's set-up cache (bounded by
     * its own budget, lrsweep/problem.h, not a point's), the second is
     * measured: the model, its problem and loss, and its backend's scratch. */
    for (int pass = 0; pass < 2; pass++) {
      lrs_linalg *la = NULL;
      lrs_model *model = NULL;
      lrs_linalg_create_local(&la);
      const double before = heap_bytes();
      st = lrs_model_create(&cases[i], la, &model);
      built = heap_bytes() - before;
      lrs_model_destroy(&model);
      lrs_linalg_destroy(&la);
    }
    const double est = lrs_point_memory(&cases[i]) -
                       (double)lrs_point_max_records(&cases[i]) * (double)sizeof(lrs_record);
    if (built <= 0.0) {
      printf("# %s: the heap is not glibc's (sanitizers): not measured\n", names[i]);
      continue;
    }
    /* Held after construction ≤ the estimate (which also has the Newton
     * set-up's transient copies) ≤ 3× held; in reduced coordinates the set-up
     * also held W1(0), W2(0) and B(0)ᵀ ((n+m)×h each pair) beside the basis
     * it keeps: ≥ 2× held, ≤ 4×. */
    const double low = i == 3 ? 2.0 : 1.0, high = i == 3 ? 4.0 : 3.0;
    LRS_CHECK(st == LRS_OK && est >= low * built && est <= high * built,
              "%s: estimate %.3g B (records aside) vs %.3g B the built model holds", names[i],
              est, built);
  }
}

int main(void) {
  /* Every kind of every list has a row; values outside the lists none. */
  bool rows = true;
  for (int k = 0; k < LRS_MODEL_COUNT; k++)
    rows = rows && lrs_model_type_of((lrs_model_kind)k) &&
           lrs_model_type_of((lrs_model_kind)k)->init;
  for (int k = 0; k < LRS_LOSS_COUNT; k++)
    rows = rows && lrs_loss_type_of((lrs_loss_kind)k);
  for (int k = 0; k < LRS_STEP_RULE_COUNT; k++)
    rows = rows && lrs_step_rule_type_of((lrs_step_rule)k);
  LRS_CHECK(rows, "every model, loss and step rule has its catalog row");
  LRS_CHECK(!lrs_model_type_of(LRS_MODEL_COUNT) && !lrs_loss_type_of(LRS_LOSS_COUNT) &&
                !lrs_step_rule_type_of(LRS_STEP_RULE_COUNT),
            "no row outside the lists");

  /* two_layer width < min(n, m): one check for every init (the validator
   * refused it for every init, problem generation only for balanced). */
  lrs_point p = small_point();
  p.width = 2;
  agree(&p, "width = 2 is below min(input_dim, output_dim) = 3", "two_layer h < min(n, m), gaussian");
  p.init = LRS_INIT_BALANCED;
  agree(&p, "width = 2 is below min(input_dim, output_dim) = 3", "two_layer h < min(n, m), balanced");
  p.width = 3;
  agree(&p, NULL, "two_layer h = min(n, m), balanced");

  /* lora_rank > min(n, m): refused for the spectral init only (its rows use
   * the singular directions; the validator refused every lora point, the
   * model only spectral ones). */
  p = lora_point();
  p.lora_rank = 5;
  agree(&p, NULL, "lora small init with r = 5 > min(n, m) = 3");
  p.init = LRS_INIT_SPECTRAL;
  agree(&p, "lora_rank = 5 exceeds min(n, m) = 3", "lora spectral init with r > min(n, m)");
  p.lora_rank = 3;
  agree(&p, NULL, "lora spectral init with r = min(n, m)");

  /* [P1] rules and uncovered losses: the loss row's flag and reason, not a
   * hard-coded loss name. */
  p = small_point();
  p.step_rule = LRS_STEP_LOCAL;
  p.loss = LRS_LOSS_HUBER;
  const lrs_loss_ops *huber = lrs_loss_type_of(LRS_LOSS_HUBER);
  char needle[256];
  snprintf(needle, sizeof needle, "huber is %s", huber->uncovered_why);
  LRS_CHECK(!huber->covered && huber->uncovered_why, "huber's row: not covered, with a reason");
  agree(&p, needle, "local rule with the huber loss");
  p.loss = LRS_LOSS_LOGISTIC;
  agree(&p, NULL, "local rule with the covered logistic loss");
  p = lora_point();
  p.step_rule = LRS_STEP_GLOBAL;
  agree(&p, "uses [P1] theory, defined for two_layer only", "global rule on a lora model");
  p = lora_point();
  p.loss = LRS_LOSS_LOGISTIC;
  agree(&p, "model lora trains the squared loss only", "lora with the logistic loss");
  p = lora_point();
  p.init = LRS_INIT_BALANCED;
  agree(&p, "init = \"balanced\" is for two_layer or reference; model lora takes small or spectral",
        "lora with a two_layer init");

  /* The reference model (papers.md §3.4): fixed takes its own step 1/K when
   * none is given; the [P1] rules do not apply. */
  p = small_point();
  p.model = LRS_MODEL_REFERENCE;
  p.step_size = NAN;
  agree(&p, NULL, "reference model, fixed rule without step_size (η = 1/K)");
  p.step_rule = LRS_STEP_LOCAL;
  agree(&p, "uses [P1] theory, defined for two_layer only", "local rule on the reference model");

  /* The backtracking row's own parameters. */
  p = small_point();
  p.step_rule = LRS_STEP_BACKTRACKING;
  p.step_size = 1.0;
  p.bt_shrink = 1.0;
  agree(&p, "bt_shrink = 1 must be in (0, 1)", "backtracking that never shrinks");
  p.bt_shrink = 0.5;
  agree(&p, NULL, "backtracking with shrink 0.5");
  p.step_size = NAN;
  agree(&p, "step_size", "backtracking without η_bt");

  /* A violation names the parameter the validator points at. */
  lrs_violation v;
  p = lora_point();
  p.width = 1;
  const bool refused = !lrs_kind_check_point(&p, &v);
  LRS_CHECK(refused && strcmp(v.param, "width") == 0 && v.code == LRS_ERR_CONFIG,
            "a violation names its parameter (%s) and code", refused ? v.param : "-");

  /* The cost model: the rule's evaluations per step and the model's width. */
  p = small_point();
  const double fixed = lrs_point_cost(&p);
  p.step_rule = LRS_STEP_BACKTRACKING;
  const double bt = lrs_point_cost(&p);
  const double ratio = lrs_step_rule_type_of(LRS_STEP_BACKTRACKING)->evals_per_step /
                       lrs_step_rule_type_of(LRS_STEP_FIXED)->evals_per_step;
  LRS_CHECK(bt > fixed && bt < ratio * fixed, "backtracking costs more per iteration (%g vs %g)",
            bt, fixed);
  p = small_point();
  p.width = 4000;
  p.coordinates = LRS_COORDS_FULL;
  const int64_t full = lrs_point_solve_width(&p);
  p.coordinates = LRS_COORDS_REDUCED;
  LRS_CHECK(full == 4000 && lrs_point_solve_width(&p) == 7,
            "two_layer solve width: h in full coordinates, n + m reduced");
  p = lora_point();
  p.width = 4000;
  LRS_CHECK(lrs_point_solve_width(&p) == 4000, "lora solve width: h");

  test_max_records();
  test_method_params();
  test_point_memory();
  return lrs_test_done();
}
