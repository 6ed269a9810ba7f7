/* backends/opencl/ocl_device.c — OpenCL platforms and devices through the ICD loader:
 * every platform's devices flattened into one index, device facts for `efbench devices`,
 * open/close (context, profiling queue), error names, and the backend table. Device
 * selection by name, index or type is the harness's, from device_info.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocl_internal.h"

enum { OCL_MAX_PLATFORMS = 16, OCL_MAX_DEVICES = 64 };

const char *ocl_error_name(cl_int e)
{
    switch (e) {
#define N(x) \
    case x: return #x
        N(CL_SUCCESS);
        N(CL_DEVICE_NOT_FOUND);
        N(CL_DEVICE_NOT_AVAILABLE);
        N(CL_COMPILER_NOT_AVAILABLE);
        N(CL_MEM_OBJECT_ALLOCATION_FAILURE);
        N(CL_OUT_OF_RESOURCES);
        N(CL_OUT_OF_HOST_MEMORY);
        N(CL_PROFILING_INFO_NOT_AVAILABLE);
        N(CL_MEM_COPY_OVERLAP);
        N(CL_IMAGE_FORMAT_MISMATCH);
        N(CL_IMAGE_FORMAT_NOT_SUPPORTED);
        N(CL_BUILD_PROGRAM_FAILURE);
        N(CL_MAP_FAILURE);
        N(CL_MISALIGNED_SUB_BUFFER_OFFSET);
        N(CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST);
        N(CL_COMPILE_PROGRAM_FAILURE);
        N(CL_LINKER_NOT_AVAILABLE);
        N(CL_LINK_PROGRAM_FAILURE);
        N(CL_DEVICE_PARTITION_FAILED);
        N(CL_KERNEL_ARG_INFO_NOT_AVAILABLE);
        N(CL_INVALID_VALUE);
        N(CL_INVALID_DEVICE_TYPE);
        N(CL_INVALID_PLATFORM);
        N(CL_INVALID_DEVICE);
        N(CL_INVALID_CONTEXT);
        N(CL_INVALID_QUEUE_PROPERTIES);
        N(CL_INVALID_COMMAND_QUEUE);
        N(CL_INVALID_HOST_PTR);
        N(CL_INVALID_MEM_OBJECT);
        N(CL_INVALID_IMAGE_FORMAT_DESCRIPTOR);
        N(CL_INVALID_IMAGE_SIZE);
        N(CL_INVALID_SAMPLER);
        N(CL_INVALID_BINARY);
        N(CL_INVALID_BUILD_OPTIONS);
        N(CL_INVALID_PROGRAM);
        N(CL_INVALID_PROGRAM_EXECUTABLE);
        N(CL_INVALID_KERNEL_NAME);
        N(CL_INVALID_KERNEL_DEFINITION);
        N(CL_INVALID_KERNEL);
        N(CL_INVALID_ARG_INDEX);
        N(CL_INVALID_ARG_VALUE);
        N(CL_INVALID_ARG_SIZE);
        N(CL_INVALID_KERNEL_ARGS);
        N(CL_INVALID_WORK_DIMENSION);
        N(CL_INVALID_WORK_GROUP_SIZE);
        N(CL_INVALID_WORK_ITEM_SIZE);
        N(CL_INVALID_GLOBAL_OFFSET);
        N(CL_INVALID_EVENT_WAIT_LIST);
        N(CL_INVALID_EVENT);
        N(CL_INVALID_OPERATION);
        N(CL_INVALID_GL_OBJECT);
        N(CL_INVALID_BUFFER_SIZE);
        N(CL_INVALID_MIP_LEVEL);
        N(CL_INVALID_GLOBAL_WORK_SIZE);
        N(CL_INVALID_PROPERTY);
        N(CL_INVALID_IMAGE_DESCRIPTOR);
        N(CL_INVALID_COMPILER_OPTIONS);
        N(CL_INVALID_LINKER_OPTIONS);
        N(CL_INVALID_DEVICE_PARTITION_COUNT);
#undef N
        case -1001: return "CL_PLATFORM_NOT_FOUND_KHR";
        default: return "unknown OpenCL error";
    }
}

int ocl_error_code(cl_int e)
{
    return e == CL_MEM_OBJECT_ALLOCATION_FAILURE || e == CL_OUT_OF_HOST_MEMORY ? EF_NOMEM
                                                                               : EF_ERROR;
}

int ocl_fail(ef_error *err, cl_int e, const char *what)
{
    return ef_fail(err, ocl_error_code(e), "%s: %s (%d)", what, ocl_error_name(e), (int)e);
}

/* Device `index` of the flattened platform x device list. */
static int ocl_device_find(int index, cl_platform_id *platform, cl_device_id *device, int *count,
                           ef_error *err)
{
    cl_platform_id plats[OCL_MAX_PLATFORMS];
    cl_uint np = 0;
    cl_int e = clGetPlatformIDs(OCL_MAX_PLATFORMS, plats, &np);
    if (e == -1001 || (e == CL_SUCCESS && np == 0)) {
        *count = 0;
        return ef_fail(err, EF_ERROR,
                       "no OpenCL platform is installed (the ICD loader found "
                       "none; e.g. apt-get install pocl-opencl-icd)");
    }
    if (e != CL_SUCCESS) return ocl_fail(err, e, "listing OpenCL platforms (clGetPlatformIDs)");
    int seen = 0;
    for (cl_uint p = 0; p < np && p < OCL_MAX_PLATFORMS; p++) {
        cl_device_id devs[OCL_MAX_DEVICES];
        cl_uint nd = 0;
        e = clGetDeviceIDs(plats[p], CL_DEVICE_TYPE_ALL, OCL_MAX_DEVICES, devs, &nd);
        if (e == CL_DEVICE_NOT_FOUND) continue;
        if (e != CL_SUCCESS) continue; /* a broken platform hides only itself */
        for (cl_uint i = 0; i < nd && i < OCL_MAX_DEVICES; i++, seen++) {
            if (seen == index) {
                *platform = plats[p];
                *device = devs[i];
            }
        }
    }
    *count = seen;
    if (seen == 0) return ef_fail(err, EF_ERROR, "the OpenCL platforms list no devices");
    if (index >= 0 && index >= seen)
        return ef_fail(err, EF_ERROR, "no OpenCL device %d (there are %d)", index, seen);
    return EF_OK;
}

static int ocl_device_count(ef_error *err)
{
    cl_platform_id p;
    cl_device_id d;
    int count = 0;
    if (ocl_device_find(-1, &p, &d, &count, err) != EF_OK) return 0;
    return count;
}

/* A device string, cut to fit `buf` (the query itself needs room for all of it). */
static void ocl_info_string(cl_device_id d, cl_device_info what, char *buf, size_t len)
{
    char tmp[8192];
    if (clGetDeviceInfo(d, what, sizeof tmp, tmp, NULL) != CL_SUCCESS)
        snprintf(tmp, sizeof tmp, "?");
    tmp[sizeof tmp - 1] = '\0';
    size_t m = strlen(tmp) < len ? strlen(tmp) : len - 1;
    memcpy(buf, tmp, m);
    buf[m] = '\0';
}

static void ocl_info_fill(cl_platform_id p, cl_device_id d, ef_device_info *info)
{
    char plat[128] = "", ext[8192] = "";
    cl_device_type type = 0;
    cl_ulong mem = 0, alloc = 0, local = 0;
    cl_uint cus = 0, mhz = 0;
    size_t wg = 0;
    memset(info, 0, sizeof *info);
    ocl_info_string(d, CL_DEVICE_NAME, info->name, sizeof info->name);
    ocl_info_string(d, CL_DEVICE_VENDOR, info->vendor, sizeof info->vendor);
    ocl_info_string(d, CL_DRIVER_VERSION, info->driver_version, sizeof info->driver_version);
    ocl_info_string(d, CL_DEVICE_VERSION, info->api_version, sizeof info->api_version);
    ocl_info_string(d, CL_DEVICE_EXTENSIONS, ext, sizeof ext);
    if (clGetPlatformInfo(p, CL_PLATFORM_NAME, sizeof plat, plat, NULL) != CL_SUCCESS)
        snprintf(plat, sizeof plat, "?");
    plat[sizeof plat - 1] = '\0';
    clGetDeviceInfo(d, CL_DEVICE_TYPE, sizeof type, &type, NULL);
    clGetDeviceInfo(d, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof mem, &mem, NULL);
    clGetDeviceInfo(d, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof alloc, &alloc, NULL);
    clGetDeviceInfo(d, CL_DEVICE_LOCAL_MEM_SIZE, sizeof local, &local, NULL);
    clGetDeviceInfo(d, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof cus, &cus, NULL);
    clGetDeviceInfo(d, CL_DEVICE_MAX_CLOCK_FREQUENCY, sizeof mhz, &mhz, NULL);
    clGetDeviceInfo(d, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof wg, &wg, NULL);
    snprintf(info->type, sizeof info->type, "%s",
             type & CL_DEVICE_TYPE_GPU           ? "gpu"
             : type & CL_DEVICE_TYPE_CPU         ? "cpu"
             : type & CL_DEVICE_TYPE_ACCELERATOR ? "accelerator"
                                                 : "other");
    info->memory_bytes = mem;
    info->max_buffer_bytes = alloc;
    info->precisions = 1u << EF_PREC_FP32 | 1u << EF_PREC_FP16 | 1u << EF_PREC_BF16;
    info->out_dtype = EF_F32;
    char notes[1024];
    snprintf(notes, sizeof notes,
             "platform %s; %u compute units at %u MHz; local memory %llu KiB; max "
             "workgroup %zu; fp16/bf16 as storage (vload_half, bit shift)%s%s",
             plat, cus, mhz, (unsigned long long)(local / 1024), wg,
             strstr(ext, "cl_khr_fp16") ? "; cl_khr_fp16" : "",
             strstr(plat, "NVIDIA") ? "; fp16/bf16 energy on tensor cores (PTX mma.sync, "
                                      "self-checked at first use)"
                                    : "");
    size_t m = strlen(notes) < sizeof info->notes ? strlen(notes) : sizeof info->notes - 1;
    memcpy(info->notes, notes, m);
    info->notes[m] = '\0';
}

static int ocl_device_info(int index, ef_device_info *info, ef_error *err)
{
    cl_platform_id p;
    cl_device_id d;
    int count, rc;
    if (index < 0) return ef_fail(err, EF_ERROR, "no OpenCL device %d", index);
    if ((rc = ocl_device_find(index, &p, &d, &count, err)) != EF_OK) return rc;
    ocl_info_fill(p, d, info);
    return EF_OK;
}

static void ocl_device_close(ef_device *dev)
{
    if (!dev) return;
    ocl_scratch_free_all(dev);
    for (int p = 0; p < 2; p++)
        if (dev->mma_k[p]) clReleaseKernel(dev->mma_k[p]);
    if (dev->mma) clReleaseProgram(dev->mma);
    for (int p = 0; p < EF_PREC_COUNT; p++) {
        if (dev->energy_k[p]) clReleaseKernel(dev->energy_k[p]);
        if (dev->energy[p]) clReleaseProgram(dev->energy[p]);
    }
    for (size_t i = 0; i < sizeof dev->k / sizeof dev->k[0]; i++)
        if (dev->k[i]) clReleaseKernel(dev->k[i]);
    for (int w = 0; w < EF_WL_COUNT; w++)
        for (int p = 0; p < EF_PREC_COUNT; p++)
            if (dev->generic[w][p]) clReleaseKernel(dev->generic[w][p]);
    if (dev->aux) clReleaseProgram(dev->aux);
    if (dev->queue) clReleaseCommandQueue(dev->queue);
    if (dev->ctx) clReleaseContext(dev->ctx);
    free(dev);
}

static int ocl_device_open(int index, ef_device **out, ef_error *err)
{
    cl_platform_id p;
    cl_device_id d;
    cl_int e;
    int count, rc;
    *out = NULL;
    if (index < 0) return ef_fail(err, EF_ERROR, "no OpenCL device %d", index);
    if ((rc = ocl_device_find(index, &p, &d, &count, err)) != EF_OK) return rc;
    ef_device *dev = calloc(1, sizeof *dev);
    if (!dev) return ef_fail(err, EF_NOMEM, "out of host memory opening an OpenCL device");
    dev->platform = p;
    dev->id = d;
    ocl_info_fill(p, d, &dev->info);
    clGetPlatformInfo(p, CL_PLATFORM_NAME, sizeof dev->platform_name, dev->platform_name, NULL);
    dev->platform_name[sizeof dev->platform_name - 1] = '\0';
    dev->is_cpu = strcmp(dev->info.type, "cpu") == 0;
    dev->is_nvidia = strstr(dev->platform_name, "NVIDIA") != NULL;
    clGetDeviceInfo(d, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof dev->max_wg, &dev->max_wg, NULL);
    clGetDeviceInfo(d, CL_DEVICE_LOCAL_MEM_SIZE, sizeof dev->local_mem, &dev->local_mem, NULL);
    dev->red_wg = 256;
    while ((size_t)dev->red_wg > dev->max_wg && dev->red_wg > 1) dev->red_wg /= 2;
    if (dev->max_wg < 256) {
        rc = ef_fail(err, EF_UNSUPPORTED,
                     "%s: workgroups of at most %zu items; efbench's "
                     "OpenCL kernels need 256",
                     dev->info.name, dev->max_wg);
        goto fail;
    }

    cl_context_properties props[] = {CL_CONTEXT_PLATFORM, (cl_context_properties)p, 0};
    dev->ctx = clCreateContext(props, 1, &d, NULL, NULL, &e);
    if (e != CL_SUCCESS) {
        rc = ocl_fail(err, e, "creating an OpenCL context");
        goto fail;
    }
    dev->queue = clCreateCommandQueue(dev->ctx, d, CL_QUEUE_PROFILING_ENABLE, &e);
    if (e != CL_SUCCESS) {
        rc = ocl_fail(err, e, "creating a profiling command queue");
        goto fail;
    }
    ocl_tiles_init(dev);
    *out = dev;
    return EF_OK;
fail:
    ocl_device_close(dev);
    return rc;
}

static int ocl_backend_run(ef_device *dev, const ef_op *op, ef_run_result *res, ef_error *err)
{
    return ocl_workload_run(dev, op, res, err);
}

static const char *ocl_variant_name(ef_device *dev, const ef_op *op, int i)
{
    (void)dev;
    /* clBLAST's SGEMM gives the full field (a masked field is not a plain GEMM) */
    if (op->workload == EF_WL_ENERGY && op->mask.kind == EF_MASK_FULL && i == 0 &&
        ocl_clblast_available())
        return "clblast";
    return NULL;
}

const ef_backend ef_backend_opencl = {
    .name = "opencl",
    .description = "OpenCL 1.2+ through the ICD loader: fused tiled kernels, clBLAST variant",
    .device_count = ocl_device_count,
    .device_info = ocl_device_info,
    .device_open = ocl_device_open,
    .device_close = ocl_device_close,
    .buffer_alloc = ocl_buffer_alloc,
    .buffer_free = ocl_buffer_free,
    .buffer_upload = ocl_buffer_upload,
    .buffer_download = ocl_buffer_download,
    .run = ocl_backend_run,
    .variant_name = ocl_variant_name,
    .tune = ocl_tune_all,
    .measure_peak = ocl_peak_measure,
    .scratch_bytes = ocl_scratch_bytes,
};
