/* backends/opencl/ocl_program.c — the OpenCL C sources (shaders/opencl, embedded at build
 * time into ocl_kernels.h) assembled into programs, built once per device and cached as
 * program binaries per device + driver + source + options under
 * $XDG_CACHE_HOME/efbench/opencl (else ~/.cache/efbench/opencl). A failed build returns
 * EF_ERROR with the build log. Callers: ocl_workloads.c (aux), ocl_tune.c (energy).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backends/trace.h"
#include "ocl_internal.h"
#include "opencl/ocl_kernels.h"

static const char *const prec_suffix[EF_PREC_COUNT] = {"f32", "f16", "bf16"};

/* Defines that paste a templated file once for precision p. */
static const char *const prec_prelude[EF_PREC_COUNT] = {
    "#define SUF f32\n#define IN_T float\n#define LOAD_IN(p, i) ((p)[i])\n"
    "#define LOAD_IN4(p, i) vload4(0, (p) + (i))\n"
    "#define LOAD_IN8(p, i) vload8(0, (p) + (i))\n"
    "#define LOAD_IN16(p, i) vload16(0, (p) + (i))\n",
    "#define SUF f16\n#define IN_T half\n#define LOAD_IN(p, i) vload_half((i), (p))\n"
    "#define LOAD_IN4(p, i) vload_half4((i) / 4, (p))\n" /* i % 4 == 0 */
    "#define LOAD_IN8(p, i) vload_half8(0, (p) + (i))\n"
    "#define LOAD_IN16(p, i) vload_half16(0, (p) + (i))\n",
    "#define SUF bf16\n#define IN_T ushort\n"
    "#define LOAD_IN(p, i) as_float((uint)(p)[i] << 16)\n"
    "#define LOAD_IN4(p, i) as_float4(convert_uint4(vload4(0, (p) + (i))) << 16)\n"
    "#define LOAD_IN8(p, i) as_float8(convert_uint8(vload8(0, (p) + (i))) << 16)\n"
    "#define LOAD_IN16(p, i) as_float16(convert_uint16(vload16(0, (p) + (i))) << 16)\n",
};
static const char prec_epilogue[] =
    "#undef SUF\n#undef IN_T\n#undef LOAD_IN\n#undef LOAD_IN4\n#undef LOAD_IN8\n#undef LOAD_IN16\n";

static const char *const aux_names[OCLK_COUNT] = {
    [OCLK_TREE_FIRST] = "keys_tree_first",
    [OCLK_CENTER] = "keys_center",
    [OCLK_CENTER_T] = "keys_center_t",
    [OCLK_ROW_SHIFT] = "row_shift",
    [OCLK_TO_F32] = "to_f32",
    [OCLK_GRAM_PARTIAL] = "gram_partial",
    [OCLK_TREE_NEXT] = "keys_tree_next",
    [OCLK_ROWSUM] = "field_rowsum",
    [OCLK_COLENERGY] = "field_colenergy",
    [OCLK_GRAM_REDUCE] = "gram_reduce",
    [OCLK_RANK_W_PARTIAL] = "rank_w_partial",
    [OCLK_RANK_W_REDUCE] = "rank_w_reduce",
    [OCLK_RANK_RESID] = "rank_resid",
    [OCLK_SUM_PAIRS] = "sum_pairs",
    [OCLK_LEVERAGE] = "leverage",
    [OCLK_ROW_CENTER] = "row_center",
    [OCLK_GRAM_ROWS] = "gram_rows",
    [OCLK_ROWSUM_ROWS] = "rowsum_rows",
    [OCLK_COLENERGY_STRIPS] = "colenergy_strips",
    [OCLK_TRANSPOSE_PAD] = "transpose_pad",
    [OCLK_LEVERAGE_ROWS] = "leverage_rows",
    [OCLK_ROW_SQUARES] = "row_squares",
    [OCLK_RANK_W_ROWS] = "rank_w_rows",
    [OCLK_RANK_RESID_ROWS] = "rank_resid_rows",
};

unsigned long long ocl_hash(unsigned long long h, const char *s)
{
    if (h == 0) h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return (h ^ 0xff) * 1099511628211ull; /* separator, so ("ab","c") != ("a","bc") */
}

unsigned long long ocl_sources_hash(void)
{
    unsigned long long h = 0;
    for (int i = 0; i < EF_CL_FILES; i++) h = ocl_hash(h, ef_cl_all[i]);
    return h;
}

void ocl_cache_stem(const ef_device *dev, char *buf, size_t len)
{
    size_t o = 0;
    for (const char *s = dev->info.name; *s && o + 1 < len && o < 40; s++)
        buf[o++] = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')
                       ? *s
                       : '-';
    buf[o] = '\0';
}

void ocl_cache_dir(char *buf, size_t len)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    char base[512];
    if (xdg && xdg[0] == '/') snprintf(base, sizeof base, "%s", xdg);
    else if (home && home[0]) snprintf(base, sizeof base, "%s/.cache", home);
    else {
        buf[0] = '\0';
        return;
    }
    snprintf(buf, len, "%s/efbench/opencl", base);
    /* mkdir -p, component by component */
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        mkdir(buf, 0755);
        *p = '/';
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST) buf[0] = '\0';
}

/* Append src to a growing string. */
static int ocl_src_append(char **s, size_t *len, size_t *cap, const char *src)
{
    size_t n = strlen(src);
    if (*len + n + 1 > *cap) {
        size_t cap2 = (*len + n + 1) * 2;
        char *s2 = realloc(*s, cap2);
        if (!s2) return EF_NOMEM;
        *s = s2;
        *cap = cap2;
    }
    memcpy(*s + *len, src, n + 1);
    *len += n;
    return EF_OK;
}

/* common.cl, then each templated file once per precision, then the float-only files. */
static char *ocl_source_assemble(const char *const *templated, int nt, const char *const *plain,
                                 int np)
{
    char *s = NULL;
    size_t len = 0, cap = 0;
    int rc = ocl_src_append(&s, &len, &cap, ef_cl_common);
    for (int p = 0; p < EF_PREC_COUNT && rc == EF_OK; p++) {
        rc = ocl_src_append(&s, &len, &cap, prec_prelude[p]);
        for (int t = 0; t < nt && rc == EF_OK; t++)
            rc = ocl_src_append(&s, &len, &cap, templated[t]);
        if (rc == EF_OK) rc = ocl_src_append(&s, &len, &cap, prec_epilogue);
    }
    for (int t = 0; t < np && rc == EF_OK; t++) rc = ocl_src_append(&s, &len, &cap, plain[t]);
    if (rc != EF_OK) {
        free(s);
        return NULL;
    }
    return s;
}

static int ocl_binary_load(ef_device *dev, const char *path, const char *opts, cl_program *out)
{
    FILE *f = fopen(path, "rb");
    if (!f) return EF_ERROR;
    unsigned char *bin = NULL;
    size_t size = 0;
    cl_program prog = NULL;
    int rc = EF_ERROR;
    if (fseek(f, 0, SEEK_END) != 0) goto close_file;
    long sz = ftell(f);
    if (sz <= 0 || fseek(f, 0, SEEK_SET) != 0) goto close_file;
    size = (size_t)sz;
    if (!(bin = malloc(size)) || fread(bin, 1, size, f) != size) goto free_bin;
    cl_int status, e;
    const unsigned char *bins[1] = {bin};
    prog = clCreateProgramWithBinary(dev->ctx, 1, &dev->id, &size, bins, &status, &e);
    if (e != CL_SUCCESS || status != CL_SUCCESS) goto free_prog;
    if (clBuildProgram(prog, 1, &dev->id, opts, NULL, NULL) != CL_SUCCESS) goto free_prog;
    *out = prog;
    prog = NULL;
    rc = EF_OK;
free_prog:
    if (prog) clReleaseProgram(prog);
free_bin:
    free(bin);
close_file:
    fclose(f);
    return rc;
}

/* Best effort: a cache that cannot be written only costs the next run a build. */
static void ocl_binary_save(cl_program prog, const char *path)
{
    size_t size = 0;
    if (clGetProgramInfo(prog, CL_PROGRAM_BINARY_SIZES, sizeof size, &size, NULL) != CL_SUCCESS ||
        size == 0)
        return;
    unsigned char *bin = malloc(size);
    if (!bin) return;
    unsigned char *bins[1] = {bin};
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
    if (clGetProgramInfo(prog, CL_PROGRAM_BINARIES, sizeof bins, bins, NULL) == CL_SUCCESS) {
        FILE *f = fopen(tmp, "wb");
        if (f) {
            int ok = fwrite(bin, 1, size, f) == size;
            ok = fclose(f) == 0 && ok;
            if (!ok || rename(tmp, path) != 0) remove(tmp);
        }
    }
    free(bin);
}

/* EF_OPENCL_DUMP=DIR: write each program's source as DIR/<label>.cl, its build options on
 * the first line, so it can be compiled outside the driver (scripts/ptx-check.sh assembles
 * them for NVIDIA's sm_90 with clang and ptxas). A failed write is traced, not fatal. */
static void ocl_program_dump(const char *src, const char *opts, const char *label)
{
    const char *dir = getenv("EF_OPENCL_DUMP");
    if (!dir || !dir[0]) return;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.cl", dir, label);
    FILE *f = fopen(path, "w");
    int ok = f && fprintf(f, "// options: %s\n%s", opts, src) > 0;
    if (f) ok = fclose(f) == 0 && ok;
    if (!ok) ef_trace("efbench: EF_OPENCL_DUMP: cannot write %s: %s", path, strerror(errno));
}

/* Build `src` with `opts` for the device, through the binary cache. */
static int ocl_program_build(ef_device *dev, const char *src, const char *opts, const char *label,
                             cl_program *out, ef_error *err)
{
    ocl_program_dump(src, opts, label);
    char dir[600], stem[64], path[1024] = "";
    ocl_cache_dir(dir, sizeof dir);
    ocl_cache_stem(dev, stem, sizeof stem);
    unsigned long long h = ocl_hash(0, dev->platform_name);
    h = ocl_hash(h, dev->info.name);
    h = ocl_hash(h, dev->info.driver_version);
    h = ocl_hash(h, dev->info.api_version);
    h = ocl_hash(h, opts);
    h = ocl_hash(h, src);
    if (dir[0]) {
        snprintf(path, sizeof path, "%s/%s-%s-%016llx.bin", dir, stem, label, h);
        if (ocl_binary_load(dev, path, opts, out) == EF_OK) return EF_OK;
    }

    cl_int e;
    cl_program prog = clCreateProgramWithSource(dev->ctx, 1, &src, NULL, &e);
    if (e != CL_SUCCESS) return ocl_fail(err, e, "creating an OpenCL program from source");
    e = clBuildProgram(prog, 1, &dev->id, opts, NULL, NULL);
    if (e != CL_SUCCESS) {
        char log[600] = "";
        size_t got = 0;
        clGetProgramBuildInfo(prog, dev->id, CL_PROGRAM_BUILD_LOG, sizeof log - 1, log, &got);
        log[sizeof log - 1] = '\0';
        clReleaseProgram(prog);
        return ef_fail(err, EF_ERROR,
                       "building the OpenCL %s program (%s) for %s: %s (%d); "
                       "build log: %s",
                       label, opts, dev->info.name, ocl_error_name(e), (int)e,
                       log[0] ? log : "(empty)");
    }
    if (path[0]) ocl_binary_save(prog, path);
    *out = prog;
    return EF_OK;
}

static int ocl_kernel_create(cl_program prog, const char *name, const char *suffix, cl_kernel *k,
                             ef_error *err)
{
    char full[96];
    cl_int e;
    snprintf(full, sizeof full, suffix ? "%s_%s" : "%s", name, suffix);
    *k = clCreateKernel(prog, full, &e);
    if (e == CL_SUCCESS) return EF_OK;
    return ef_fail(err, ocl_error_code(e), "creating OpenCL kernel %s: %s (%d)", full,
                   ocl_error_name(e), (int)e);
}

int ocl_generic_kernel(ef_device *dev, ef_workload w, ef_precision p, cl_kernel *k, ef_error *err)
{
    cl_kernel *slot = &dev->generic[w][p];
    if (!*slot) {
        char name[64];
        snprintf(name, sizeof name, "wl_%s", ef_workload_name(w));
        ef_error why = {{0}};
        if (ocl_kernel_create(dev->aux, name, prec_suffix[p], slot, &why) != EF_OK)
            return ef_fail(err, EF_ERROR,
                           "opencl has no launcher for %s and no generic "
                           "kernel %s_%s in shaders/opencl/workloads.cl",
                           ef_workload_name(w), name, prec_suffix[p]);
    }
    *k = *slot;
    return EF_OK;
}

cl_kernel ocl_kernel_get(ef_device *dev, ocl_kernel_id id, ef_precision p)
{
    if (id < OCLK_PER_PREC_COUNT) return dev->k[id * EF_PREC_COUNT + p];
    return dev->k[OCLK_PER_PREC_COUNT * EF_PREC_COUNT + (id - OCLK_PER_PREC_COUNT)];
}

int ocl_program_aux_build(ef_device *dev, ef_error *err)
{
    if (dev->aux) return EF_OK;
    const char *templated[] = {ef_cl_keys, ef_cl_gram, ef_cl_workloads};
    char opts[128];
    snprintf(opts, sizeof opts, "-cl-std=CL1.2 -DRED_WG=%d", dev->red_wg);
    const char *plain[] = {ef_cl_field, ef_cl_passes};
    char *src = ocl_source_assemble(templated, 3, plain, 2);
    if (!src) return ef_fail(err, EF_NOMEM, "out of host memory assembling OpenCL sources");
    int rc = ocl_program_build(dev, src, opts, "aux", &dev->aux, err);
    free(src);
    if (rc != EF_OK) return rc;
    for (int id = 0; id < OCLK_COUNT && rc == EF_OK; id++) {
        if (id < OCLK_PER_PREC_COUNT) {
            for (int p = 0; p < EF_PREC_COUNT && rc == EF_OK; p++)
                rc = ocl_kernel_create(dev->aux, aux_names[id], prec_suffix[p],
                                       &dev->k[id * EF_PREC_COUNT + p], err);
        } else {
            rc = ocl_kernel_create(
                dev->aux, aux_names[id], NULL,
                &dev->k[OCLK_PER_PREC_COUNT * EF_PREC_COUNT + (id - OCLK_PER_PREC_COUNT)], err);
        }
    }
    return rc;
}

int ocl_program_peak_build(ef_device *dev, int width, cl_program *prog, ef_error *err)
{
    char opts[64];
    snprintf(opts, sizeof opts, "-cl-std=CL1.2 -DPEAK_W=%d", width);
    return ocl_program_build(dev, ef_cl_peak, opts, "peak", prog, err);
}

/* One precision's copy of the templated file: common.cl, the prelude, the file. */
static char *ocl_source_one(const char *templated, ef_precision p)
{
    char *s = NULL;
    size_t len = 0, cap = 0;
    int rc = ocl_src_append(&s, &len, &cap, ef_cl_common);
    if (rc == EF_OK) rc = ocl_src_append(&s, &len, &cap, prec_prelude[p]);
    if (rc == EF_OK) rc = ocl_src_append(&s, &len, &cap, templated);
    if (rc == EF_OK) rc = ocl_src_append(&s, &len, &cap, prec_epilogue);
    if (rc != EF_OK) {
        free(s);
        return NULL;
    }
    return s;
}

int ocl_program_energy_build(ef_device *dev, ocl_tiles t, ef_precision p, cl_program *prog,
                             cl_kernel *kernel, ef_error *err)
{
    const char *templated = t.vec == OCL_FORM_CPU   ? ef_cl_energy_cpu
                            : t.vec == OCL_FORM_VEC ? ef_cl_energy_vec
                                                    : ef_cl_energy;
    char opts[192], label[64], shape[32];
    ocl_tiles_name(t, shape, sizeof shape);
    snprintf(label, sizeof label, "energy-%s-%s", prec_suffix[p], shape);
    if (t.vec == OCL_FORM_CPU)
        snprintf(opts, sizeof opts, "-cl-std=CL1.2 -DRED_WG=%d -DTM=%d -DVW=%d -DNV=%d -DGI=%d",
                 dev->red_wg, t.tm, t.tn, t.bn / t.tn, t.bm / t.tm);
    else
        snprintf(opts, sizeof opts,
                 "-cl-std=CL1.2 -DRED_WG=%d -DBM=%d -DBN=%d -DBK=%d -DTM=%d "
                 "-DTN=%d",
                 dev->red_wg, t.bm, t.bn, t.bk, t.tm, t.tn);
    char *src = ocl_source_one(templated, p);
    if (!src) return ef_fail(err, EF_NOMEM, "out of host memory assembling OpenCL sources");
    *prog = NULL;
    *kernel = NULL;
    int rc = ocl_program_build(dev, src, opts, label, prog, err);
    free(src);
    if (rc == EF_OK) rc = ocl_kernel_create(*prog, "energy", prec_suffix[p], kernel, err);
    if (rc != EF_OK && *prog) {
        clReleaseProgram(*prog);
        *prog = NULL;
    }
    return rc;
}

int ocl_program_mma_build(ef_device *dev, int emulate, cl_program *prog, cl_kernel k[2],
                          ef_error *err)
{
    static const char decode[] =
        "float ef_decode_f16(ushort x) { return vload_half(0, (const half *)&x); }\n"
        "float ef_decode_bf16(ushort x) { return as_float((uint)x << 16); }\n";
    static const char *const type_defs[2] = {
        "#define SUF f16\n#define MMA_T \"f16\"\n#define MMA_DECODE(x) ef_decode_f16(x)\n",
        "#define SUF bf16\n#define MMA_T \"bf16\"\n#define MMA_DECODE(x) ef_decode_bf16(x)\n",
    };
    static const char undefs[] = "#undef SUF\n#undef MMA_T\n#undef MMA_DECODE\n#undef MMA\n";
    char *s = NULL, opts[160];
    size_t len = 0, cap = 0;
    int rc = ocl_src_append(&s, &len, &cap, ef_cl_common);
    if (rc == EF_OK) rc = ocl_src_append(&s, &len, &cap, decode);
    for (int t = 0; t < 2 && rc == EF_OK; t++) {
        rc = ocl_src_append(&s, &len, &cap, type_defs[t]);
        if (rc == EF_OK) rc = ocl_src_append(&s, &len, &cap, ef_cl_energy_mma);
        if (rc == EF_OK) rc = ocl_src_append(&s, &len, &cap, undefs);
    }
    if (rc != EF_OK) {
        free(s);
        return ef_fail(err, EF_NOMEM, "out of host memory assembling OpenCL sources");
    }
    snprintf(opts, sizeof opts, "-cl-std=CL1.2 -DRED_WG=%d%s", dev->red_wg,
             emulate ? " -DEF_MMA_EMULATE=1" : "");
    *prog = NULL;
    k[0] = k[1] = NULL;
    rc = ocl_program_build(dev, s, opts, emulate ? "mma-emulated" : "mma", prog, err);
    free(s);
    if (rc == EF_OK) rc = ocl_kernel_create(*prog, "energy_mma", "f16", &k[0], err);
    if (rc == EF_OK) rc = ocl_kernel_create(*prog, "energy_mma", "bf16", &k[1], err);
    if (rc != EF_OK) {
        for (int p = 0; p < 2; p++)
            if (k[p]) clReleaseKernel(k[p]);
        if (*prog) clReleaseProgram(*prog);
        *prog = NULL;
    }
    return rc;
}
