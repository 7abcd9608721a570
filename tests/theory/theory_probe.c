/* tests/theory/theory_probe: prints lrs_theory_init's inputs and results as
 * `key value` lines, for tests that recompute them independently
 * (test_eta2_mpmath.py).
 *   theory_probe point KEY=VALUE...  the two_layer point of tests/numerics_point.h
 *       with overrides (width, init_scale, init_exponent, sigma2, loss,
 *       logistic_lambda, replicate, beta2_norm, theory_d), through the model;
 *   theory_probe in KEY=VALUE...     lrs_theory_in fields given directly. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lrsweep/model.h"
#include "lrsweep/theory.h"
#include "lrsweep/two_layer.h"
#include "numerics_point.h"

static void put(const char *k, double v) {
  if (isinf(v))
    printf("%s %sinf\n", k, v < 0 ? "-" : "");
  else
    printf("%s %.17g\n", k, v);
}

static void print_state(const lrs_theory_state *ts) {
  const lrs_theory_in *in = &ts->in;
  const lrs_theory *t = &ts->th;
  put("mu", in->mu), put("K", in->K), put("L0", in->L0), put("c", in->c), put("d", in->d);
  put("lmax_D", in->lmax_D), put("lmax_negD", in->lmax_negD), put("ln_D", in->ln_D);
  put("lm_negD", in->lm_negD), put("smin_Wstar", in->smin_Wstar);
  put("smax_Wstar", in->smax_Wstar), put("fro_Wstar", in->fro_Wstar), put("dist0", in->dist0);
  put("beta2_frobenius", in->beta2_frobenius);
  put("alpha1", t->alpha1), put("alpha2", t->alpha2), put("beta2", t->beta2);
  put("alpha2_fro", t->alpha2_fro), put("beta2_fro", t->beta2_fro);
  put("eta1", t->eta1), put("eta2", t->eta2), put("eta_max", t->eta_max);
  printf("eta_max_bound %s\n", lrs_eta_bound_names[t->eta_max_bound]);
}

static int from_point(int argc, char **argv) {
  lrs_point p = lrs_test_point();
  for (int i = 0; i < argc; i++) {
    char *eq = strchr(argv[i], '=');
    if (!eq)
      return fprintf(stderr, "theory_probe: %s is not KEY=VALUE\n", argv[i]), 2;
    *eq = '\0';
    const char *k = argv[i], *v = eq + 1;
    if (!strcmp(k, "width"))
      p.width = atoll(v);
    else if (!strcmp(k, "init_scale"))
      p.init_scale = atof(v), p.init_exponent = NAN;
    else if (!strcmp(k, "init_exponent"))
      p.init_exponent = atof(v), p.init_scale = NAN;
    else if (!strcmp(k, "sigma2"))
      p.sigma2 = atof(v);
    else if (!strcmp(k, "logistic_lambda"))
      p.logistic_lambda = atof(v);
    else if (!strcmp(k, "replicate"))
      p.replicate = atoll(v);
    else if (!strcmp(k, "theory_d"))
      p.theory_d = atof(v);
    else if (!strcmp(k, "loss"))
      p.loss = (lrs_loss_kind)lrs_name_lookup(lrs_loss_names, v);
    else if (!strcmp(k, "beta2_norm"))
      p.beta2_norm = (lrs_beta2_norm)lrs_name_lookup(lrs_beta2_norm_names, v);
    else
      return fprintf(stderr, "theory_probe: unknown key %s\n", k), 2;
  }
  lrs_linalg *la = NULL;
  lrs_model *m = NULL;
  int rc = 1;
  if (lrs_linalg_create_local(&la) == LRS_OK && lrs_model_create(&p, la, &m) == LRS_OK &&
      lrs_two_layer_is(m) && lrs_two_layer_theory(m)->th.applicable) {
    print_state(lrs_two_layer_theory(m));
    rc = 0;
  } else {
    fprintf(stderr, "theory_probe: %s\n", lrs_error_message());
  }
  lrs_model_destroy(&m);
  lrs_linalg_destroy(&la);
  return rc;
}

static int from_inputs(int argc, char **argv) {
  lrs_theory_in in = {.c = 0.5, .d = 1.01};
  struct {
    const char *k;
    double *v;
  } f[] = {{"mu", &in.mu},           {"K", &in.K},
           {"L0", &in.L0},           {"c", &in.c},
           {"d", &in.d},             {"lmax_D", &in.lmax_D},
           {"lmax_negD", &in.lmax_negD}, {"ln_D", &in.ln_D},
           {"lm_negD", &in.lm_negD}, {"smin_Wstar", &in.smin_Wstar},
           {"smax_Wstar", &in.smax_Wstar}, {"fro_Wstar", &in.fro_Wstar},
           {"dist0", &in.dist0}};
  for (int i = 0; i < argc; i++) {
    char *eq = strchr(argv[i], '=');
    if (!eq)
      return fprintf(stderr, "theory_probe: %s is not KEY=VALUE\n", argv[i]), 2;
    *eq = '\0';
    size_t j = 0;
    while (j < sizeof f / sizeof f[0] && strcmp(f[j].k, argv[i]))
      j++;
    if (j < sizeof f / sizeof f[0])
      *f[j].v = strtod(eq + 1, NULL);
    else if (!strcmp(argv[i], "beta2_frobenius"))
      in.beta2_frobenius = atoi(eq + 1) != 0;
    else
      return fprintf(stderr, "theory_probe: unknown key %s\n", argv[i]), 2;
  }
  lrs_theory_opts o = lrs_theory_opts_default();
  lrs_theory_state ts;
  if (lrs_theory_init(&in, &o, &ts) != LRS_OK)
    return fprintf(stderr, "theory_probe: %s\n", lrs_error_message()), 1;
  print_state(&ts);
  printf("eta2_evals %lld\n", (long long)o.eta2_evals);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 2 && !strcmp(argv[1], "point"))
    return from_point(argc - 2, argv + 2);
  if (argc >= 2 && !strcmp(argv[1], "in"))
    return from_inputs(argc - 2, argv + 2);
  fprintf(stderr, "usage: theory_probe point|in KEY=VALUE...\n");
  return 2;
}
