/* tests/suite_test.c — the suite parser accepts the shipped suites and rejects malformed
 * ones with one message naming the file, line and key. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/suite.h"
#include "test_util.h"

static ef_suite suite;

static void expect_error(const char *text, const char *needle1, const char *needle2)
{
    ef_error err = {{0}};
    cr_assert_eq(suite_parse_string(text, "bad.ini", &suite, &err), EF_ERROR, "accepted:\n%s",
                 text);
    cr_assert(strstr(err.msg, needle1), "message '%s' lacks '%s'", err.msg, needle1);
    if (needle2) cr_assert(strstr(err.msg, needle2), "message '%s' lacks '%s'", err.msg, needle2);
    cr_assert(!strchr(err.msg, '\n'), "one line: '%s'", err.msg);
}

Test(suite, parses_everything)
{
    ef_error err = {{0}};
    const char *text =
        "[suite]\nname = t\nseed = 7\ntarget_time = 0.5\nmin_reps = 2\nmax_reps = 9\n"
        "[cases a]\nsources = gaussian, sink\nlengths = 64, 100\ndims = 16\n"
        "masks = full, causal, window:8\nprecisions = all\nworkloads = energy, gram\nheads = 3\n";
    cr_assert_eq(suite_parse_string(text, "t.ini", &suite, &err), EF_OK, "%s", err.msg);
    cr_assert_str_eq(suite.name, "t");
    cr_assert_eq(suite.seed, 7);
    cr_assert_float_eq(suite.target_time_s, 0.5, 1e-12);
    cr_assert_eq(suite.set_count, 1);
    ef_case_set *s = &suite.sets[0];
    cr_assert_eq(s->source_count, 2);
    cr_assert_eq(s->length_count, 2);
    cr_assert_eq(s->lengths[1], 100);
    cr_assert_eq(s->mask_count, 3);
    cr_assert_eq(s->masks[2].kind, EF_MASK_WINDOW);
    cr_assert_eq(s->masks[2].window, 8);
    cr_assert_eq(s->precision_count, 3);
    cr_assert_eq(s->workload_count, 2);
    cr_assert_eq(s->heads, 3);
}

Test(suite, shipped_suites_load)
{
    const char *names[] = {"quick", "default", "gpu"};
    for (int i = 0; i < 3; i++) {
        ef_error err = {{0}};
        cr_assert_eq(suite_load(names[i], &suite, &err), EF_OK, "%s: %s", names[i], err.msg);
        cr_assert_gt(suite.set_count, 0);
    }
}

Test(suite, rejects_unknown_key)
{
    expect_error("[suite]\nname = x\nspeed = 3\n", "bad.ini:3:", "'speed'");
}
Test(suite, rejects_unknown_section)
{
    expect_error("[suite]\n[runs]\nlengths = 5\n", "bad.ini:3:", "[runs]");
}
Test(suite, rejects_bad_length)
{
    expect_error("[cases a]\nsources = gaussian\nlengths = 64, 12x\n", "bad.ini:3:", "'12x'");
}
Test(suite, rejects_tiny_length)
{
    expect_error("[cases a]\nsources = gaussian\nlengths = 1\n", "bad.ini:3:", "lengths");
}
Test(suite, rejects_huge_length)
{
    expect_error("[cases a]\nsources = gaussian\nlengths = 99999999\n", "bad.ini:3:", "lengths");
}
Test(suite, rejects_bad_mask)
{
    expect_error("[cases a]\nsources = gaussian\nlengths = 8\nmasks = causal, window:0\n",
                 "bad.ini:4:", "window:0");
}
Test(suite, rejects_bad_precision)
{
    expect_error("[cases a]\nprecisions = fp8\n", "bad.ini:2:", "fp8");
}
Test(suite, rejects_bad_workload)
{
    expect_error("[cases a]\nworkloads = energy, softmax\n", "bad.ini:2:", "softmax");
}
Test(suite, rejects_unknown_source)
{
    expect_error("[cases a]\nsources = gaussian, noise\n", "bad.ini:2:", "noise");
}
Test(suite, rejects_big_seed)
{
    expect_error("[suite]\nseed = 18446744073709551615\n", "bad.ini:2:", "seed");
}
Test(suite, rejects_syntax)
{
    expect_error("[suite]\nname = x\nthis line has no equals\n", "bad.ini:3:", "syntax");
}
Test(suite, rejects_missing_lengths)
{
    expect_error("[cases a]\nsources = gaussian\n", "bad.ini", "lengths");
}
Test(suite, rejects_no_cases) { expect_error("[suite]\nname = x\n", "bad.ini", "[cases"); }
/* A window wider than the text is the causal mask, as on a model's local layer. */
Test(suite, accepts_window_wider_than_length)
{
    ef_error err = {{0}};
    cr_assert_eq(
        suite_parse_string("[cases a]\nsources = gaussian\nlengths = 16, 64\nmasks = window:32\n",
                           "w.ini", &suite, &err),
        EF_OK, "%s", err.msg);
}
Test(suite, rejects_min_over_max)
{
    expect_error("[suite]\nmin_reps = 9\nmax_reps = 2\n[cases a]\nsources=gaussian\nlengths=8\n",
                 "min_reps", NULL);
}

Test(suite, missing_file)
{
    ef_error err = {{0}};
    cr_assert_eq(suite_load("/nonexistent/x.ini", &suite, &err), EF_ERROR);
    cr_assert(strstr(err.msg, "/nonexistent/x.ini"), "%s", err.msg);
}

/* inih's default line buffer is 200 bytes: a longer line used to be split, its tail parsed
 * as a line of its own. A 185-character description followed by "seed = 5" on the same line
 * must not set the seed. */
Test(suite, long_line_is_not_split)
{
    char text[1024], desc[186];
    memset(desc, 'x', sizeof desc - 1);
    desc[sizeof desc - 1] = '\0';
    snprintf(text, sizeof text,
             "[suite]\ndescription = %sseed = 5\n[cases a]\nsources = gaussian\nlengths = 8\n",
             desc);
    ef_error err = {{0}};
    cr_assert_eq(suite_parse_string(text, "long.ini", &suite, &err), EF_OK, "%s", err.msg);
    cr_assert_neq(suite.seed, 5, "the tail of line 2 was parsed as a line of its own");
    cr_assert_eq(strlen(suite.description), strlen(desc) + strlen("seed = 5"));
}

/* A `lengths` list of 32 values is legitimate (EF_SUITE_MAX_LIST) and longer than 200. */
Test(suite, long_lengths_list_parses)
{
    char text[2048] = "[cases a]\nsources = gaussian\nlengths = ";
    for (int i = 0; i < EF_SUITE_MAX_LIST; i++) {
        size_t at = strlen(text);
        snprintf(text + at, sizeof text - at, "%s%d", i ? ", " : "", 100000 + i);
    }
    strcat(text, "\ndims = 16\n");
    cr_assert_gt(strlen(text), 200);
    ef_error err = {{0}};
    cr_assert_eq(suite_parse_string(text, "list.ini", &suite, &err), EF_OK, "%s", err.msg);
    cr_assert_eq(suite.sets[0].length_count, EF_SUITE_MAX_LIST);
    cr_assert_eq(suite.sets[0].lengths[EF_SUITE_MAX_LIST - 1], 100000 + EF_SUITE_MAX_LIST - 1);
    cr_assert_eq(suite.sets[0].dims[0], 16);
}

/* A long `model` path is kept whole (the field holds 511 bytes). */
Test(suite, long_model_path_kept_whole)
{
    char text[1024], path[400];
    memset(path, 'm', sizeof path - 1);
    path[0] = '/';
    path[sizeof path - 1] = '\0';
    snprintf(text, sizeof text, "[cases a]\nsources = model\nmodel = %s\nlengths = 8\n", path);
    ef_error err = {{0}};
    cr_assert_eq(suite_parse_string(text, "model.ini", &suite, &err), EF_OK, "%s", err.msg);
    cr_assert_str_eq(suite.sets[0].model, path);
}

/* Beyond the parser's line limit a line is an error naming its own line, not the next. */
Test(suite, overlong_line_names_its_line)
{
    size_t len = EF_SUITE_MAX_LINE + 100;
    char *text = malloc(len + 64);
    strcpy(text, "[suite]\ndescription = ");
    size_t at = strlen(text);
    memset(text + at, 'y', len);
    strcpy(text + at + len, "\nname = x\n");
    expect_error(text, "bad.ini:2:", "longer than");
    free(text);
}
