/* harness/cmd_devices.c — `efbench devices [--json]`: every backend compiled in, each
 * device it finds with its facts, and every backend that is absent with the reason.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "backends/backend.h"
#include "harness/cli.h"

static void devices_usage(FILE *f)
{
    fputs("usage: efbench devices [--json]\n\n"
          "Lists every backend and device efbench can use, with name, vendor, driver and API\n"
          "version, memory, largest buffer and accepted input precisions; and every backend\n"
          "that is absent, with why.\n\n"
          "  --json   print one JSON document instead of the table\n"
          "  --help   this text\n", f);
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

int cmd_devices(int argc, char **argv)
{
    static const struct option opts[] = {{"json", no_argument, 0, 'j'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int as_json = 0, c;
    optind = 1;
    opterr = 0; /* our own one-line message below */
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'j') as_json = 1;
        else if (c == 'h') { devices_usage(stdout); return EF_EXIT_OK; }
        else { fprintf(stderr, "efbench devices: unknown option '%s' (see efbench devices --help)\n", argv[optind - 1]); return EF_EXIT_USAGE; }
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
        json_array_append_new(backends, json_pack("{s:s,s:s,s:b,s:o,s:o}", "name", be->name, "description",
                                                  be->description, "built", 1, "devices", devs,
                                                  "absent_reason", count > 0 ? json_null() : json_string(*err.msg ? err.msg : "no device")));
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
            json_array_append_new(devs, json_pack("{s:i,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:s,s:s,s:s}", "index", i,
                                                  "name", info.name, "vendor", info.vendor, "type", info.type,
                                                  "driver_version", info.driver_version, "api_version",
                                                  info.api_version, "memory_bytes", (json_int_t)info.memory_bytes,
                                                  "max_buffer_bytes", (json_int_t)info.max_buffer_bytes,
                                                  "precisions", prec, "accumulation",
                                                  info.out_dtype == EF_F64 ? "fp64" : "fp32", "notes", info.notes));
            if (!as_json)
                printf("  [%d] %s (%s)\n      vendor %s; driver %s; API %s\n      memory %.1f GiB, largest buffer %.1f GiB; inputs %s; %s\n",
                       i, info.name, info.type, info.vendor, info.driver_version, info.api_version,
                       info.memory_bytes / 1073741824.0, info.max_buffer_bytes / 1073741824.0, prec, info.notes);
        }
    }
    for (int i = 0; ef_backends_absent[i][0]; i++) {
        json_array_append_new(backends, json_pack("{s:s,s:b,s:[],s:s}", "name", ef_backends_absent[i][0], "built", 0,
                                                  "devices", "absent_reason", ef_backends_absent[i][1]));
        if (!as_json) printf("%s — %s\n", ef_backends_absent[i][0], ef_backends_absent[i][1]);
    }
    if (as_json) {
        json_dumpf(doc, stdout, JSON_INDENT(2));
        putchar('\n');
    }
    json_decref(doc);
    return EF_EXIT_OK;
}
