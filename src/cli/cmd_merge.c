/* `lrsweep merge OUT.h5 IN.h5...`: combine the stores of one sweep file. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "lrsweep/store.h"

static int merge(int argc, char **argv) {
  if (argc < 3)
    return lrs_cli_usage_error("merge", "expected an output store and at least one input");
  for (int i = 1; i < argc; i++)
    if (argv[i][0] == '-')
      return lrs_cli_bad_option(&lrs_cli_merge, argv[i], i + 1 == argc);
  lrs_merge_report rep;
  lrs_status st = lrs_store_merge(argv[1], (const char *const *)argv + 2, (size_t)(argc - 2), &rep);
  if (st != LRS_OK)
    return lrs_cli_fail(st);
  printf("merged     %" PRIu64 " point%s into %s\n", rep.merged, rep.merged == 1 ? "" : "s",
         argv[1]);
  printf("duplicates %" PRIu64 " (identical results)\n", rep.duplicates);
  printf("conflicts  %" PRIu64 "%s%s\n", rep.conflicts, rep.conflicts ? ": " : "",
         rep.first_conflict);
  if (rep.missing) /* the hint only when there is something to finish */
    printf("missing    %" PRIu64 " point%s no input holds (run the sweep on %s to finish)\n",
           rep.missing, rep.missing == 1 ? "" : "s", argv[1]);
  else
    printf("missing    0 (every point of the sweep is in %s)\n", argv[1]);
  if (rep.unstored[0]) /* docs/store.md: records written before a column existed */
    printf("note       an input's records predate %s: NaN for its points in %s\n", rep.unstored,
           argv[1]);
  return rep.conflicts ? LRS_EXIT_FAILURE : LRS_EXIT_OK;
}

const lrs_cli_command lrs_cli_merge = {
    "merge", "combine the stores of one sweep file (job-array shards)",
    "usage: lrsweep merge OUT.h5 IN1.h5 [IN2.h5 ...]\n"
    "\n"
    "Copies every computed point of the input stores into OUT.h5 (created, or\n"
    "completed if it already holds the sweep).  The inputs must come from the same\n"
    "sweep file (same SHA-256); mixing is refused.  A point present in several\n"
    "inputs is taken once; if its results differ, that is a conflict: it is\n"
    "reported, the first input's result kept, and the exit code is 1.\n",
    merge};
