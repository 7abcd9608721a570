/* The status table and the error record (lrsweep/status.h). */
#include "lrsweep/status.h"

#include <math.h>
#include <string.h>

#include "lrs_test.h"

static lrs_status fails_deep(void) { return LRS_RAISE(LRS_ERR_RANGE, "width %d < %d", 3, 10); }
static lrs_status passes_up(void) {
  LRS_TRY(fails_deep());
  return LRS_OK;
}

int main(void) {
  LRS_CHECK(strcmp(lrs_strerror(LRS_OK), "success") == 0, "LRS_OK reads 'success'");
  LRS_CHECK(strcmp(lrs_strerror(LRS_ERR_NOMEM), "out of memory") == 0,
            "table order matches the enum");
  LRS_CHECK(strcmp(lrs_strerror((lrs_status)9999), "unknown status") == 0,
            "out-of-range status is named, not read past the table");
  for (int s = 0; s < LRS_STATUS_COUNT; s++)
    if (!LRS_CHECK(lrs_strerror((lrs_status)s)[0] != '\0', "status %d has text", s))
      break;

  lrs_error_clear();
  LRS_CHECK(lrs_error_status() == LRS_OK && lrs_error_message()[0] == '\0',
            "a cleared record is empty");
  lrs_status st = passes_up();
  LRS_CHECK(st == LRS_ERR_RANGE, "LRS_TRY passes the status up");
  LRS_CHECK(strcmp(lrs_error_message(), "width 3 < 10") == 0, "message formatted");
  LRS_CHECK(strstr(lrs_error_origin(), "test_status.c:") != NULL &&
                strstr(lrs_error_origin(), "fails_deep") != NULL,
            "origin names file and function: %s", lrs_error_origin());
  lrs_error_prefix(st, "point %d", 7);
  LRS_CHECK(strcmp(lrs_error_message(), "point 7: width 3 < 10") == 0,
            "prefix adds context: %s", lrs_error_message());
  static const char *const names[] = {"width", "sigma2", "step_size", "step_rule"};
  LRS_CHECK(lrs_closest_name("widht", 5, lrs_name_in_array, names, 4) == names[0],
            "a transposition is one typo away: widht → width");
  LRS_CHECK(lrs_closest_name("step_rle", 8, lrs_name_in_array, names, 4) == names[3],
            "a missing letter: step_rle → step_rule");
  LRS_CHECK(lrs_closest_name("loss", 4, lrs_name_in_array, names, 4) == NULL,
            "nothing close: no suggestion");
  /* Durations: 3 significant digits in the unit that fits, never "1e+03 ms"
   * at a unit's upper edge, minutes and hours as a person writes them. */
  static const struct {
    double s;
    const char *text;
  } durations[] = {{4.2e-7, "0.42 µs"}, {8.5e-4, "850 µs"},     {0.0009996, "1 ms"},
                   {0.01537, "15.4 ms"}, {0.9996, "1 s"},        {2.349, "2.35 s"},
                   {59.4, "59.4 s"},     {59.6, "1 min"},        {192.4, "3 min 12 s"},
                   {600.2, "10 min"},    {3599.6, "1 h"},        {7500, "2 h 05 min"},
                   {172800, "2 d"},      {273600, "3 d 4 h"},
                   {-1, "?"},            {NAN, "?"}};
  for (size_t i = 0; i < sizeof durations / sizeof *durations; i++) {
    char buf[32];
    LRS_CHECK(strcmp(lrs_format_seconds(durations[i].s, buf, sizeof buf), durations[i].text) == 0,
              "%g s reads \"%s\" (got \"%s\")", durations[i].s, durations[i].text, buf);
  }
  /* Progress lines off a terminal: 2 s, then half the elapsed time, at most
   * the longest interval. */
  const struct { double elapsed, longest, due; } gaps[] = {
      {0, 30, 2}, {3, 30, 2}, {4, 30, 2}, {10, 30, 5}, {60, 30, 30}, {1e5, 30, 30}, {10, 3, 3}};
  for (size_t i = 0; i < sizeof gaps / sizeof *gaps; i++)
    LRS_CHECK(lrs_progress_interval(gaps[i].elapsed, gaps[i].longest) == gaps[i].due,
              "%g s in (longest %g s): next line after %g s (got %g)", gaps[i].elapsed,
              gaps[i].longest, gaps[i].due, lrs_progress_interval(gaps[i].elapsed, gaps[i].longest));
  return lrs_test_done();
}
