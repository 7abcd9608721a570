/* `lrsweep params`: the sweep-file reference, generated from the parameter
 * table so that the README's copy can be checked against it. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void print_default(const lrs_param *p) {
  char text[64];
  if (p->type == LRS_PARAM_REAL && isnan(p->fallback)) {
    printf("unset");
    return;
  }
  char human[64];
  lrs_param_format(p, p->fallback, text, sizeof text);
  printf(p->type == LRS_PARAM_ENUM ? "\"%s\"" : "%s",
         lrs_cli_human_number(text, human, sizeof human));
}

static void print_type(const lrs_param *p) {
  if (p->type != LRS_PARAM_ENUM) {
    char lo[32];
    lrs_param_format(p, p->min, lo, sizeof lo);
    printf("%s %s %s", p->type == LRS_PARAM_INT ? "integer" : "number", p->min_open ? ">" : "≥",
           lo);
    if (isfinite(p->max) && p->max < 9007199254740992.0) {
      char hi[32];
      lrs_param_format(p, p->max, hi, sizeof hi);
      printf(", ≤ %s", hi);
    }
    return;
  }
  for (size_t i = 0; p->names[i]; i++)
    printf("%s\"%s\"", i ? " \\| " : "", p->names[i]);
}

static int params(int argc, char **argv) {
  if (argc != 1)
    return lrs_cli_usage_error("params", "takes no arguments");
  size_t n;
  const lrs_param *t = lrs_param_table(&n);
  printf("| section | key | type | default | meaning |\n|---|---|---|---|---|\n");
  for (size_t i = 0; i < n; i++) {
    const lrs_param *p = &t[i];
    bool seed = strcmp(p->section, "sweep") == 0;
    printf("| %s | `%s` | ", seed ? "grid only" : p->section, seed ? "seed" : p->name);
    print_type(p);
    printf(" | ");
    print_default(p);
    printf(" | %s |\n", p->doc);
    if (strcmp(p->name, "data") == 0) /* a string key, no axis (lrsweep/datafile.h) */
      printf("| problem | `data_file` | string (path) | unset | HDF5 file of data = file: X, Y "
             "or labels, optional X_test/Y_test/labels_test, W0; relative to the sweep file "
             "(README, Data files) |\n");
  }
  return LRS_EXIT_OK;
}

const lrs_cli_command lrs_cli_params = {
    "params", "print the sweep-file parameter reference (Markdown)",
    "usage: lrsweep params\n"
    "\n"
    "Prints every [problem] and [solver] parameter (each can also be a [grid]\n"
    "axis) with its type, allowed values, default and meaning, as a Markdown table.\n"
    "The README's reference is this output.\n",
    params};
