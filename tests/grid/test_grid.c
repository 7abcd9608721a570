/* Grid expansion: order, zip, keys, hashes, seeds (lrsweep/grid.h). */
#include <stdlib.h>
#include <string.h>

#include "lrs_test.h"
#include "lrsweep/grid.h"
#include "lrsweep/kind.h"

static lrs_grid *make(const char *text, lrs_config **cfg) {
  lrs_grid *grid = NULL;
  if (lrs_config_load_string(text, strlen(text), "g.toml", cfg) != LRS_OK ||
      lrs_grid_create(*cfg, &grid) != LRS_OK)
    printf("# setup failed: %s\n", lrs_error_message());
  return grid;
}

static const char *const sweep_a = "[sweep]\nreplicates = 2\n"
                                   "[grid]\nwidth = [500, 1000, 4000]\n"
                                   "step_size = [0.1, 0.01]\nloss = [\"squared\", \"logistic\"]\n";
/* The same sweep with keys and sections in another order. */
static const char *const sweep_b = "[grid]\nloss = [\"squared\", \"logistic\"]\n"
                                   "step_size = [0.1, 0.01]\nwidth = [500, 1000, 4000]\n"
                                   "[sweep]\nreplicates = 2\n";

static void test_order_and_keys(void) {
  lrs_config *ca = NULL, *cb = NULL;
  lrs_grid *a = make(sweep_a, &ca), *b = make(sweep_b, &cb);
  if (!LRS_CHECK(a && b, "grids build"))
    goto done;
  LRS_CHECK(lrs_grid_size(a) == 3 * 2 * 2 * 2, "size is the product of axis lengths");
  /* Canonical order (width, loss, step_size, seed), last fastest: nested loops. */
  const double widths[] = {500, 1000, 4000}, etas[] = {0.1, 0.01};
  uint64_t i = 0;
  bool order_ok = true, same_keys = true;
  for (int w = 0; w < 3; w++)
    for (int l = 0; l < 2; l++)
      for (int e = 0; e < 2; e++)
        for (int s = 0; s < 2; s++, i++) {
          lrs_point p, q;
          char ka[LRS_GRID_KEY_MAX], kb[LRS_GRID_KEY_MAX];
          lrs_grid_point(a, i, &p);
          lrs_grid_point(b, i, &q);
          order_ok &= p.index == i && p.width == (int64_t)widths[w] && (int)p.loss == l &&
                      p.step_size == etas[e] && p.replicate == s;
          lrs_grid_key(a, &p, ka, sizeof ka);
          lrs_grid_key(b, &q, kb, sizeof kb);
          same_keys &= strcmp(ka, kb) == 0 && lrs_key_hash(ka) == lrs_key_hash(kb);
        }
  LRS_CHECK(order_ok, "index → point follows nested loops, last axis fastest");
  LRS_CHECK(same_keys, "reordering the file changes neither indices, keys nor hashes");
  lrs_point p;
  char key[LRS_GRID_KEY_MAX];
  lrs_grid_point(a, 13, &p); /* width 1000, loss logistic, step 0.01... */
  lrs_grid_key(a, &p, key, sizeof key);
  LRS_CHECK(strcmp(key, "loss=logistic,seed=1,step_size=0.1,width=1000") == 0,
            "key lists axes by name with canonical values: %s", key);
  LRS_CHECK(lrs_grid_point(a, lrs_grid_size(a), &p) == LRS_ERR_RANGE,
            "an index past the end is refused");
done:
  lrs_grid_destroy(&a);
  lrs_grid_destroy(&b);
  lrs_config_destroy(&ca);
  lrs_config_destroy(&cb);
}

static void test_zip(void) {
  lrs_config *cfg = NULL;
  lrs_grid *g = make("[grid]\nwidth = [500, 1000]\nstep_size = [0.2, 0.1]\n"
                     "sigma2 = [0.01, 0.1, 1.0]\nzip = [[\"width\", \"step_size\"]]\n",
                     &cfg);
  if (LRS_CHECK(g != NULL, "zipped grid builds")) {
    LRS_CHECK(lrs_grid_size(g) == 2 * 3, "a zip group is one dimension: 2 × 3 points");
    bool paired = true;
    for (uint64_t i = 0; i < lrs_grid_size(g); i++) {
      lrs_point p;
      lrs_grid_point(g, i, &p);
      paired &= (p.width == 500 && p.step_size == 0.2) || (p.width == 1000 && p.step_size == 0.1);
    }
    LRS_CHECK(paired, "zipped axes advance together");
  }
  lrs_grid_destroy(&g);
  lrs_config_destroy(&cfg);
}

static void test_hash_vectors(void) {
  /* Published FNV-1a 64-bit test vectors. */
  LRS_CHECK(lrs_key_hash("") == 0xcbf29ce484222325ULL, "FNV-1a(\"\")");
  LRS_CHECK(lrs_key_hash("a") == 0xaf63dc4c8601ec8cULL, "FNV-1a(\"a\")");
  LRS_CHECK(lrs_key_hash("foobar") == 0x85944171f73967e8ULL, "FNV-1a(\"foobar\")");
}

static void test_big_grid(void) {
  lrs_config *cfg = NULL;
  lrs_grid *g = make("[sweep]\nreplicates = 10\n[grid]\n"
                     "width = { lin = [100, 1090], num = 100 }\n"
                     "step_size = { log = [1e-6, 1.0], num = 100 }\n"
                     "sigma2 = { log = [1e-3, 1.0], num = 10 }\n"
                     "[solver]\nstep_rule = \"fixed\"\n",
                     &cfg);
  if (LRS_CHECK(g != NULL, "10^6-point grid builds")) {
    LRS_CHECK(lrs_grid_size(g) == 1000000, "10^6 points");
    /* Spot checks against the mixed-radix decode done by hand. */
    const uint64_t probes[] = {0, 1, 9, 10, 999, 123456, 999999};
    bool ok = true;
    for (size_t k = 0; k < sizeof probes / sizeof probes[0]; k++) {
      uint64_t i = probes[k];
      lrs_point p;
      lrs_grid_point(g, i, &p);
      /* Canonical order: width, sigma2 (problem), step_size (solver), seed; range
       * points are short decimals within LRS_RANGE_RTOL of the ideal ones. */
      uint64_t seed = i % 10, eta = (i / 10) % 100, sig = (i / 1000) % 10, w = i / 10000;
      ok &= p.replicate == (int64_t)seed && p.width == (int64_t)(100 + 10 * w);
      ok &= lrs_test_close(p.step_size, pow(10.0, -6.0 + 6.0 * (double)eta / 99.0), LRS_RANGE_RTOL + 1e-15, 0);
      ok &= lrs_test_close(p.sigma2, pow(10.0, -3.0 + 3.0 * (double)sig / 9.0), LRS_RANGE_RTOL + 1e-15, 0);
    }
    LRS_CHECK(ok, "decoded points match the hand decode");
    LRS_CHECK(lrs_grid_validate(g) == LRS_OK, "all 10^6 points validate");
  }
  lrs_grid_destroy(&g);
  lrs_config_destroy(&cfg);
}

static void test_stream_seeds(void) {
  lrs_config *cfg = NULL;
  lrs_grid *g = make("[sweep]\nreplicates = 2\n[grid]\nwidth = [500, 1000]\n"
                     "step_size = [0.1, 0.01]\ninit_scale = [1.0, 0.5]\n",
                     &cfg);
  if (!LRS_CHECK(g != NULL, "seed grid builds"))
    return;
  lrs_point base, eta, scale, wide, rep;
  lrs_grid_point(g, 0, &base);  /* width 500, scale 1, eta 0.1, seed 0 */
  lrs_grid_point(g, 2, &eta);   /* only step_size differs */
  lrs_grid_point(g, 4, &scale); /* only init_scale differs (axis order: width, init_scale, step) */
  lrs_grid_point(g, 8, &wide);  /* only width differs */
  lrs_grid_point(g, 1, &rep);   /* only the replicate differs */
  LRS_CHECK(eta.step_size != base.step_size && scale.init_scale != base.init_scale &&
                wide.width != base.width && rep.replicate != base.replicate,
            "probe points differ where intended");
  bool crn = true, distinct = true;
  for (int s = 0; s < LRS_STREAM_COUNT; s++) {
    crn &= lrs_point_stream_seed(&eta, s) == lrs_point_stream_seed(&base, s) &&
           lrs_point_stream_seed(&scale, s) == lrs_point_stream_seed(&base, s);
    distinct &= lrs_point_stream_seed(&wide, s) != lrs_point_stream_seed(&base, s) &&
                lrs_point_stream_seed(&rep, s) != lrs_point_stream_seed(&base, s);
  }
  LRS_CHECK(crn, "step size and init scale do not change the random streams");
  LRS_CHECK(distinct, "width and replicate do");
  LRS_CHECK(lrs_point_stream_seed(&base, LRS_STREAM_DATA) !=
                lrs_point_stream_seed(&base, LRS_STREAM_INIT),
            "streams of one point differ");
  LRS_CHECK(lrs_point_cost(&wide) > lrs_point_cost(&base) &&
                lrs_point_cost(&base) > 0,
            "cost grows with width");
  { /* reduced coordinates iterate on k = n + m columns: only the set-up QR
     * (4k²h flops) grows with h; full ones iterate on h */
    lrs_point r1 = base, r2 = base, f1 = base;
    r1.coordinates = r2.coordinates = LRS_COORDS_REDUCED;
    f1.coordinates = LRS_COORDS_FULL;
    r1.width = f1.width = 4000;
    r2.width = 8000;
    const double k = (double)(base.input_dim + base.output_dim);
    LRS_CHECK(lrs_point_solve_width(&r1) == base.input_dim + base.output_dim &&
                  lrs_point_solve_width(&f1) == 4000 &&
                  lrs_point_cost(&r2) - lrs_point_cost(&r1) == 4 * k * k * 4000 &&
                  lrs_point_cost(&f1) > 10 * lrs_point_cost(&r1),
              "reduced coordinates: solver width n + m, cost grows with h by the set-up QR "
              "only");
  }
  lrs_grid_destroy(&g);
  lrs_config_destroy(&cfg);
}

static void test_shards(void) {
  lrs_config *cfg = NULL;
  lrs_grid *g = make("[sweep]\nreplicates = 5\n[grid]\nwidth = [10, 40, 160, 640]\n"
                     "sigma2 = [0.01, 0.1, 1.0]\n",
                     &cfg);
  if (!LRS_CHECK(g != NULL, "shard grid builds"))
    return;
  const uint64_t n = lrs_grid_size(g);
  int *owner = calloc(n, sizeof *owner);
  double cost[3] = {0, 0, 0}, total = 0;
  bool ascending_ok = true;
  for (uint32_t s = 0; s < 3; s++) {
    uint64_t *idx = NULL, k = 0;
    lrs_grid_shard(g, s, 3, &idx, &k);
    for (uint64_t j = 0; j < k; j++) {
      owner[idx[j]]++;
      lrs_point p;
      lrs_grid_point(g, idx[j], &p);
      cost[s] += lrs_point_cost(&p);
      ascending_ok &= j == 0 || idx[j] > idx[j - 1];
    }
    total += cost[s];
    free(idx);
  }
  bool once = true;
  for (uint64_t i = 0; i < n; i++)
    once &= owner[i] == 1;
  LRS_CHECK(once && ascending_ok, "3 shards cover every point exactly once, ascending");
  /* Round-robin over decreasing costs: a shard's excess over the mean is at
   * most one of the most expensive points. */
  lrs_point big;
  lrs_grid_point(g, n - 1, &big); /* width 640 is the costliest */
  double worst = 0;
  for (int s = 0; s < 3; s++)
    worst = fmax(worst, fabs(cost[s] - total / 3));
  LRS_CHECK(worst <= lrs_point_cost(&big), "shards balanced by cost");
  uint64_t *idx = NULL, k = 0;
  LRS_CHECK(lrs_grid_shard(g, 3, 3, &idx, &k) == LRS_ERR_USAGE && !idx,
            "shard index ≥ count refused");
  free(owner);
  lrs_grid_destroy(&g);
  lrs_config_destroy(&cfg);
}

int main(void) {
  test_shards();
  test_order_and_keys();
  test_zip();
  test_hash_vectors();
  test_big_grid();
  test_stream_seeds();
  return lrs_test_done();
}
