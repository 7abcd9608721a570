/* Sweep files that load: defaults, fixed values, axes, ranges, zip. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lrs_test.h"
#include "lrsweep/config.h"

static lrs_config *load(const char *text) {
  lrs_config *cfg = NULL;
  lrs_status st = lrs_config_load_string(text, strlen(text), "t.toml", &cfg);
  if (st != LRS_OK)
    printf("# load failed: %s\n", lrs_error_message());
  return cfg;
}

static const lrs_axis *axis(const lrs_config *cfg, const char *name) {
  const lrs_param *p = lrs_param_find(name);
  for (size_t i = 0; i < lrs_config_axis_count(cfg); i++)
    if (lrs_config_axis(cfg, i)->param == p)
      return lrs_config_axis(cfg, i);
  return NULL;
}

static void test_defaults(void) {
  lrs_config *cfg = load("");
  LRS_CHECK(cfg != NULL, "an empty file is a valid one-point sweep");
  if (!cfg)
    return;
  const lrs_point *b = lrs_config_base(cfg);
  LRS_CHECK(strcmp(lrs_config_name(cfg), "t") == 0, "name defaults to the file's base name");
  LRS_CHECK(strcmp(lrs_config_store(cfg), "t.h5") == 0, "store defaults to NAME.h5");
  LRS_CHECK(b->model == LRS_MODEL_TWO_LAYER && b->input_dim == 10 && b->output_dim == 10,
            "default model two_layer 10x10");
  LRS_CHECK(b->init_scale == 1.0 && isnan(b->init_exponent), "default init N(0,1)");
  LRS_CHECK(isnan(b->step_size) && b->step_rule == LRS_STEP_LOCAL,
            "default: local rule from η_max");
  LRS_CHECK(lrs_config_axis_count(cfg) == 1 && axis(cfg, "seed")->length == 1 &&
                axis(cfg, "seed")->values[0] == 0,
            "one replicate: the seed axis is [0]");
  lrs_config_destroy(&cfg);
  LRS_CHECK(cfg == NULL, "destroy clears the pointer");
  lrs_config_destroy(&cfg);
}

static void test_values_and_ranges(void) {
  lrs_config *cfg = load("[sweep]\nname = \"p1-fig1\"\nstore = \"out/s.h5\"\n"
                         "base_seed = 42\nreplicates = 3\n"
                         "[problem]\nsigma2 = 1\ninit_exponent = 0.375\n"
                         "[solver]\nmax_iter = 50\nrtol = 1e-9\n"
                         "[grid]\nstep_size = { log = [1e-4, 1.0], num = 5 }\n"
                         "width = { lin = [500, 2000], num = 4 }\n"
                         "loss = [\"squared\", \"logistic\"]\n"
                         "init_scale_free = 1\n");
  LRS_CHECK(cfg == NULL && strstr(lrs_error_message(), "t.toml:16:19: unknown key 'init_scale_free' in "
                                                       "[grid]; did you mean 'init_scale'?") != NULL,
            "unknown axis refused: %s", lrs_error_message());
  cfg = load("[sweep]\nname = \"p1-fig1\"\nstore = \"out/s.h5\"\n"
             "base_seed = 42\nreplicates = 3\n"
             "[problem]\nsigma2 = 1\ninit_exponent = 0.375\n"
             "[solver]\nmax_iter = 50\nrtol = 1e-9\n"
             "[grid]\nstep_size = { log = [1e-4, 1.0], num = 5 }\n"
             "width = { lin = [500, 2000], num = 4 }\n"
             "loss = [\"squared\", \"logistic\"]\n");
  LRS_CHECK(cfg != NULL, "a full sweep loads");
  if (!cfg)
    return;
  const lrs_point *b = lrs_config_base(cfg);
  LRS_CHECK(strcmp(lrs_config_name(cfg), "p1-fig1") == 0 &&
                strcmp(lrs_config_store(cfg), "out/s.h5") == 0 && b->seed == 42,
            "[sweep] keys read");
  LRS_CHECK(b->sigma2 == 1.0 && b->max_iter == 50 && b->rtol == 1e-9,
            "integers are accepted for reals; fixed values read");
  LRS_CHECK(isnan(b->init_scale) && b->init_exponent == 0.375,
            "init_exponent replaces the default init_scale");
  const lrs_axis *eta = axis(cfg, "step_size");
  bool log_ok = eta && eta->length == 5 && eta->log_scale;
  for (int i = 0; log_ok && i < 5; i++)
    log_ok = lrs_test_close(eta->values[i], pow(10.0, -4.0 + i), 1e-14, 0);
  LRS_CHECK(log_ok, "log range: 1e-4, 1e-3, ..., 1 (ends exact)");
  LRS_CHECK(eta && eta->values[0] == 1e-4 && eta->values[4] == 1.0, "log range ends exact");
  const lrs_axis *w = axis(cfg, "width");
  LRS_CHECK(w && w->length == 4 && w->values[0] == 500 && w->values[1] == 1000 &&
                w->values[2] == 1500 && w->values[3] == 2000 && !w->log_scale,
            "lin range over integers");
  const lrs_axis *loss = axis(cfg, "loss");
  LRS_CHECK(loss && loss->length == 2 && loss->values[0] == LRS_LOSS_SQUARED &&
                loss->values[1] == LRS_LOSS_LOGISTIC,
            "enum axis holds enum indices");
  const lrs_axis *seed = axis(cfg, "seed");
  LRS_CHECK(seed && seed->length == 3 && seed->values[2] == 2, "replicates = 3 → seeds 0..2");
  /* Canonical order: parameter-table order, seed last, whatever the file order. */
  size_t n = lrs_config_axis_count(cfg);
  LRS_CHECK(n == 4 && lrs_config_axis(cfg, 0)->param == lrs_param_find("width") &&
                lrs_config_axis(cfg, 1)->param == lrs_param_find("loss") &&
                lrs_config_axis(cfg, 2)->param == lrs_param_find("step_size") &&
                lrs_config_axis(cfg, 3)->param == lrs_param_find("seed"),
            "axes in canonical order");
  size_t len;
  LRS_CHECK(strncmp(lrs_config_text(cfg, &len), "[sweep]", 7) == 0 && len > 100,
            "the verbatim text is kept");
  lrs_config_destroy(&cfg);
}

static void test_int_log_range_and_zip(void) {
  lrs_config *cfg = load("[grid]\nwidth = { log = [100, 10000], num = 3 }\n"
                         "step_size = [0.1, 0.01, 0.001]\nzip = [[\"width\", \"step_size\"]]\n"
                         "seed = [7, 3]\n");
  LRS_CHECK(cfg != NULL, "zip and explicit seeds load");
  if (!cfg)
    return;
  const lrs_axis *w = axis(cfg, "width");
  LRS_CHECK(w && w->values[0] == 100 && w->values[1] == 1000 && w->values[2] == 10000,
            "integer log range rounds to 100, 1000, 10000");
  LRS_CHECK(w && axis(cfg, "step_size")->zip_group == w->zip_group && w->zip_group == 0 &&
                axis(cfg, "seed")->zip_group == -1,
            "zip groups recorded");
  LRS_CHECK(axis(cfg, "seed")->values[0] == 7, "explicit seed list kept in order");
  LRS_CHECK(lrs_config_run(cfg)->group_size == 0 && isnan(lrs_config_run(cfg)->drain_seconds),
            "no [run]: options unset");
  lrs_config_destroy(&cfg);
}

static void test_run_section(void) {
  lrs_config *cfg = load("[run]\ngroup_size = 4\ndrain_seconds = 30\n");
  LRS_CHECK(cfg && lrs_config_run(cfg)->group_size == 4 &&
                lrs_config_run(cfg)->drain_seconds == 30.0,
            "[run] group_size and drain_seconds read");
  lrs_config_destroy(&cfg);
}

static void test_param_format(void) {
  const lrs_param *eta = lrs_param_find("step_size"), *rule = lrs_param_find("step_rule");
  const lrs_param *width = lrs_param_find("width");
  char buf[64];
  lrs_param_format(eta, 0.1, buf, sizeof buf);
  LRS_CHECK(strcmp(buf, "0.1") == 0, "0.1 prints as 0.1 (shortest round trip)");
  lrs_param_format(eta, 1.0 / 3.0, buf, sizeof buf);
  LRS_CHECK(strtod(buf, NULL) == 1.0 / 3.0 && strlen(buf) <= 19, "1/3 round-trips: %s", buf);
  lrs_param_format(eta, 1e-5, buf, sizeof buf);
  LRS_CHECK(strcmp(buf, "1e-05") == 0, "1e-5 prints as 1e-05");
  lrs_param_format(rule, LRS_STEP_BACKTRACKING, buf, sizeof buf);
  LRS_CHECK(strcmp(buf, "backtracking") == 0, "enums print their name");
  lrs_param_format(width, 4000, buf, sizeof buf);
  LRS_CHECK(strcmp(buf, "4000") == 0, "integers print digits");
  LRS_CHECK(lrs_param_find("seed") == lrs_param_find("replicate"), "`seed` names the replicate");
  LRS_CHECK(lrs_param_find("nope") == NULL, "unknown parameter → NULL");
}

int main(void) {
  test_defaults();
  test_values_and_ranges();
  test_int_log_range_and_zip();
  test_param_format();
  test_run_section();
  return lrs_test_done();
}
