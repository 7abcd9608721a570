/* lrsweep command-line entry point (skeleton; subcommands follow). */
#include <stdio.h>

#include "lrs_config.h"
#include "lrs_version.h"

int main(void) {
  printf("lrsweep %s (%s)\n", LRS_VERSION, LRS_GIT_DESCRIBE);
  return 0;
}
