/* cli/cmd_devices.c — `efbench devices [--json] [--peak]`: every backend compiled in,
 * each device it finds with its facts (with --peak also its measured peaks, which opens
 * it), and every backend that is absent with the reason.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "backends/backend.h"
#include "cli/cli.h"
#include "harness/peak.h"

static void devices_usage(FILE *f)
{
    fputs(
        "usage: efbench devices [--json] [--peak]\n\n"
        "Lists every backend and device efbench can use, with name, vendor, driver and API\n"
        "version, memory, largest buffer and accepted input precisions; and every backend\n"
        "that is absent, with why.\n\n"
        "  --json   print one JSON document instead of the table\n"
        "  --peak   also open each device and measure its fp32 FMA and copy peaks (tenths of a s each)\n"
        "  --help   this text\n",
        f);
}

static void precisions_text(unsigned bits, char *buf, size_t len)
{
    buf[0] = '\0';
    for (int p = 0; p < EF_PREC_COUNT; p++)
        if (bits & (1u << p)) {
            size_t at = strlen(buf);
            snprintf(buf + at, len - at, "%s%s", at ? "," : "", ef_precision_name((ef_precision)p));
        }
}

/* Open device i, measure its peaks, close it; print them, add them to its JSON object. */
static void devices_peak_show(const ef_backend *be, int i, ef_device_info *info, json_t *dj,
                              int as_json)
{
    ef_error err = {{0}};
    ef_device *dev = NULL;
    int rc = be->device_open(i, &dev, &err);
    if (rc == EF_OK) {
        rc = peak_device_measure(be, dev, info, &err);
        be->device_close(dev);
    } else {
        snprintf(info->peak_method, sizeof info->peak_method, "failed to open: %.79s", err.msg);
    }
    json_object_set_new(dj, "peak_gflops",
                        rc == EF_OK ? json_real(info->peak_gflops) : json_null());
    json_object_set_new(dj, "peak_gbps", rc == EF_OK ? json_real(info->peak_gbps) : json_null());
    json_object_set_new(dj, "peak_method", json_string(info->peak_method));
    if (as_json) return;
    if (rc == EF_OK)
        printf("      measured peak %.4g GFLOP/s %s FMA, %.4g GB/s copy (%s)\n", info->peak_gflops,
               info->out_dtype == EF_F64 ? "fp64" : "fp32", info->peak_gbps, info->peak_method);
    else printf("      measured peak: none: %s\n", err.msg);
}

int cmd_devices(int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, 0, 'j'},
                                         {"peak", no_argument, 0, 'p'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int as_json = 0, peak = 0, c;
    optind = 1;
    opterr = 0; /* our own one-line message below */
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'j') as_json = 1;
        else if (c == 'p') peak = 1;
        else if (c == 'h') {
            devices_usage(stdout);
            return EF_EXIT_OK;
        } else {
            fprintf(stderr, "efbench devices: unknown option '%s' (see efbench devices --help)\n",
                    argv[optind - 1]);
            return EF_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "efbench devices: unexpected argument '%s'\n", argv[optind]);
        return EF_EXIT_USAGE;
    }
    json_t *doc = json_object(), *backends = json_array();
    json_object_set_new(doc, "backends", backends);
    for (int b = 0; ef_backends[b]; b++) {
        const ef_backend *be = ef_backends[b];
        ef_error err = {{0}};
        int count = be->device_count(&err);
        json_t *devs = json_array();
        json_array_append_new(
            backends,
            json_pack("{s:s,s:s,s:b,s:o,s:o}", "name", be->name, "description", be->description,
                      "built", 1, "devices", devs, "absent_reason",
                      count > 0 ? json_null() : json_string(*err.msg ? err.msg : "no device")));
        if (!as_json) {
            printf("%s — %s\n", be->name, be->description);
            if (count <= 0) printf("  no device: %s\n", *err.msg ? err.msg : "none reported");
        }
        for (int i = 0; i < count; i++) {
            ef_device_info info;
            if (be->device_info(i, &info, &err) != EF_OK) {
                if (!as_json) printf("  [%d] error: %s\n", i, err.msg);
                continue;
            }
            char prec[64];
            precisions_text(info.precisions, prec, sizeof prec);
            json_t *dj = json_pack(
                "{s:i,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:s,s:s,s:s}", "index", i, "name", info.name,
                "vendor", info.vendor, "type", info.type, "driver_version", info.driver_version,
                "api_version", info.api_version, "memory_bytes", (json_int_t)info.memory_bytes,
                "max_buffer_bytes", (json_int_t)info.max_buffer_bytes, "precisions", prec,
                "accumulation", info.out_dtype == EF_F64 ? "fp64" : "fp32", "notes", info.notes);
            json_array_append_new(devs, dj);
            if (!as_json)
                printf(
                    "  [%d] %s (%s)\n      vendor %s; driver %s; API %s\n      memory %.1f GiB, largest buffer %.1f GiB; inputs %s; %s\n",
                    i, info.name, info.type, info.vendor, info.driver_version, info.api_version,
                    info.memory_bytes / 1073741824.0, info.max_buffer_bytes / 1073741824.0, prec,
                    info.notes);
            if (peak && be->measure_peak) devices_peak_show(be, i, &info, dj, as_json);
        }
    }
    for (int i = 0; ef_backends_absent[i][0]; i++) {
        json_array_append_new(backends, json_pack("{s:s,s:b,s:[],s:s}", "name",
                                                  ef_backends_absent[i][0], "built", 0, "devices",
                                                  "absent_reason", ef_backends_absent[i][1]));
        if (!as_json) printf("%s — %s\n", ef_backends_absent[i][0], ef_backends_absent[i][1]);
    }
    if (as_json) {
        json_dumpf(doc, stdout, JSON_INDENT(2));
        putchar('\n');
    }
    json_decref(doc);
    return EF_EXIT_OK;
}
