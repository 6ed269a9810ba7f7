/* backends/vulkan/vk_coopmat.c — the energy field on cooperative matrices through
 * VK_KHR_cooperative_matrix (energy_coopmat_khr.comp, variant "coopmat-khr"): what the
 * device lists (vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR), the shapes this build
 * can run per input precision, the tiles the tuner tries, and the record function.
 * The features are enabled by vk_device.c, the listing printed by vk_instance.c, the
 * tiles timed by vk_tune_coopmat.c; vk_energy.c calls the record function.
 */
#include "vk_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VK_COOP_LIST_MAX 64

/* Subgroups (rows x keys) and accumulators per subgroup (rows x keys) of a tile; the
 * first is the default (before the tuner measures, and with EF_VK_TUNE=0). */
static const struct {
    uint32_t sr, sc, wm, wn;
} vk_coop_layouts[] = {
    {2, 2, 2, 2}, {2, 2, 4, 2}, {2, 2, 4, 4}, {4, 2, 2, 2}, {1, 1, 2, 2},
};
#define VK_COOP_LAYOUTS (int)(sizeof vk_coop_layouts / sizeof vk_coop_layouts[0])

static const char *vk_component_name(VkComponentTypeKHR t)
{
    switch ((int)t) {
        case VK_COMPONENT_TYPE_FLOAT16_KHR: return "f16";
        case VK_COMPONENT_TYPE_FLOAT32_KHR: return "f32";
        case VK_COMPONENT_TYPE_FLOAT64_KHR: return "f64";
        case VK_COMPONENT_TYPE_SINT8_KHR: return "s8";
        case VK_COMPONENT_TYPE_SINT16_KHR: return "s16";
        case VK_COMPONENT_TYPE_SINT32_KHR: return "s32";
        case VK_COMPONENT_TYPE_SINT64_KHR: return "s64";
        case VK_COMPONENT_TYPE_UINT8_KHR: return "u8";
        case VK_COMPONENT_TYPE_UINT16_KHR: return "u16";
        case VK_COMPONENT_TYPE_UINT32_KHR: return "u32";
        case VK_COMPONENT_TYPE_UINT64_KHR: return "u64";
        case VK_COMPONENT_TYPE_BFLOAT16_KHR: return "bf16";
        default: return "other";
    }
}

/* Every entry the device lists (at most cap), or 0 without the extension. */
static uint32_t vk_coop_list(VkInstance inst, VkPhysicalDevice phys,
                             VkCooperativeMatrixPropertiesKHR *p, uint32_t cap)
{
    if (!vk_extension_present(phys, VK_KHR_COOPERATIVE_MATRIX_EXTENSION_NAME)) return 0;
    PFN_vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR list =
        (PFN_vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR)vkGetInstanceProcAddr(
            inst, "vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR");
    uint32_t count = 0;
    if (!list || list(phys, &count, NULL) != VK_SUCCESS) return 0;
    count = count < cap ? count : cap;
    for (uint32_t i = 0; i < count; i++)
        p[i] = (VkCooperativeMatrixPropertiesKHR){
            .sType = VK_STRUCTURE_TYPE_COOPERATIVE_MATRIX_PROPERTIES_KHR};
    VkResult r = list(phys, &count, p);
    return r == VK_SUCCESS || r == VK_INCOMPLETE ? count : 0;
}

/* 1 if the shader runs entry p for inputs of precision prec: A and B of that type, C
 * and the result fp32, not saturating, subgroup scope (each subgroup of a workgroup owns
 * its accumulators; a workgroup-scope matrix would need another tiling), N a multiple of
 * 4 and K of 8 (the stage rows and the 8-half loads stay 16-byte aligned). */
static int vk_coop_entry_usable(const VkCooperativeMatrixPropertiesKHR *p, ef_precision prec)
{
    VkComponentTypeKHR in =
        prec == EF_PREC_FP16 ? VK_COMPONENT_TYPE_FLOAT16_KHR : VK_COMPONENT_TYPE_BFLOAT16_KHR;
    return prec != EF_PREC_FP32 && p->AType == in && p->BType == in &&
           p->CType == VK_COMPONENT_TYPE_FLOAT32_KHR &&
           p->ResultType == VK_COMPONENT_TYPE_FLOAT32_KHR && !p->saturatingAccumulation &&
           p->scope == VK_SCOPE_SUBGROUP_KHR && p->MSize >= 1 && p->MSize <= 64 &&
           p->NSize % 4 == 0 && p->NSize <= 64 && p->KSize % 8 == 0 && p->KSize <= 64;
}

vk_shader_id vk_coop_shader(ef_precision prec)
{
    return prec == EF_PREC_BF16 ? VK_SH_ENERGY_COOPMAT_KHR_BF16 : VK_SH_ENERGY_COOPMAT_KHR;
}

int vk_coop_query(VkInstance inst, VkPhysicalDevice phys, vk_coop_caps *caps)
{
    memset(caps, 0, sizeof *caps);
    VkCooperativeMatrixPropertiesKHR p[VK_COOP_LIST_MAX];
    uint32_t count = vk_coop_list(inst, phys, p, VK_COOP_LIST_MAX);
    if (count == 0) return 0;
    VkPhysicalDeviceShaderBfloat16FeaturesKHR bf = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_BFLOAT16_FEATURES_KHR,
    };
    VkPhysicalDeviceVulkanMemoryModelFeatures mm = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_MEMORY_MODEL_FEATURES,
    };
    VkPhysicalDeviceShaderFloat16Int8Features f16 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES,
        .pNext = &mm,
    };
    VkPhysicalDeviceCooperativeMatrixFeaturesKHR coop = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_KHR,
        .pNext = &f16,
    };
    caps->bf16_ext = vk_extension_present(phys, VK_KHR_SHADER_BFLOAT16_EXTENSION_NAME);
    if (caps->bf16_ext) mm.pNext = &bf; /* an unknown structure is not chained */
    VkPhysicalDeviceFeatures2 features = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
        .pNext = &coop,
    };
    vkGetPhysicalDeviceFeatures2(phys, &features);
    /* the module needs the cooperative matrices, the Vulkan memory model (glslang emits it
     * for every cooperative-matrix shader) and the input type */
    int base = coop.cooperativeMatrix && mm.vulkanMemoryModel;
    int ok[EF_PREC_COUNT] = {
        [EF_PREC_FP16] =
            base && f16.shaderFloat16 && vk_shaders[vk_coop_shader(EF_PREC_FP16)].words != NULL,
        [EF_PREC_BF16] = base && caps->bf16_ext && bf.shaderBFloat16Type &&
                         bf.shaderBFloat16CooperativeMatrix &&
                         vk_shaders[vk_coop_shader(EF_PREC_BF16)].words != NULL,
    };
    caps->listed = 1;
    for (uint32_t i = 0; i < count; i++)
        for (int prec = EF_PREC_FP16; prec <= EF_PREC_BF16; prec++) {
            if (!ok[prec] || !vk_coop_entry_usable(&p[i], prec) ||
                caps->nshapes[prec] == VK_COOP_SHAPES)
                continue;
            caps->shapes[prec][caps->nshapes[prec]++] =
                (vk_coop_shape){.m = p[i].MSize, .n = p[i].NSize, .k = p[i].KSize};
        }
    return caps->nshapes[EF_PREC_FP16] + caps->nshapes[EF_PREC_BF16];
}

void vk_coop_describe(VkInstance inst, VkPhysicalDevice phys, char *buf, size_t len)
{
    VkCooperativeMatrixPropertiesKHR p[VK_COOP_LIST_MAX];
    uint32_t count = vk_coop_list(inst, phys, p, VK_COOP_LIST_MAX);
    size_t w = 0;
    buf[0] = '\0';
    if (count == 0) {
        snprintf(buf, len, "%s",
                 vk_extension_present(phys, "VK_NV_cooperative_matrix")
                     ? "NV only (this build runs the KHR extension)"
                     : "none");
        return;
    }
    /* "KHR f16*f16+f32 16x16x16 16x8x16, bf16*bf16+f32 16x16x16 (subgroup)" */
    w += (size_t)snprintf(buf + w, len - w, "KHR");
    for (uint32_t i = 0; i < count && w < len; i++) {
        int same = i > 0 && p[i].AType == p[i - 1].AType && p[i].BType == p[i - 1].BType &&
                   p[i].CType == p[i - 1].CType && p[i].ResultType == p[i - 1].ResultType &&
                   p[i].scope == p[i - 1].scope &&
                   p[i].saturatingAccumulation == p[i - 1].saturatingAccumulation;
        if (!same)
            w += (size_t)snprintf(buf + w, len - w, "%s %s*%s+%s%s%s", i ? "," : "",
                                  vk_component_name(p[i].AType), vk_component_name(p[i].BType),
                                  vk_component_name(p[i].CType),
                                  p[i].saturatingAccumulation ? " sat" : "",
                                  p[i].scope == VK_SCOPE_SUBGROUP_KHR ? "" : " workgroup-scope");
        if (w < len)
            w +=
                (size_t)snprintf(buf + w, len - w, " %ux%ux%u", p[i].MSize, p[i].NSize, p[i].KSize);
    }
    vk_coop_caps caps;
    vk_coop_query(inst, phys, &caps);
    if (w < len)
        w += (size_t)snprintf(buf + w, len - w, " (subgroup scope; variant %s: %s%s%s)",
                              VK_VARIANT_COOPMAT_KHR, caps.nshapes[EF_PREC_FP16] ? "fp16" : "",
                              caps.nshapes[EF_PREC_FP16] && caps.nshapes[EF_PREC_BF16] ? ", " : "",
                              caps.nshapes[EF_PREC_BF16]   ? "bf16"
                              : caps.nshapes[EF_PREC_FP16] ? ""
                                                           : "none usable by this build");
}

int vk_coop_candidate(const ef_device *dev, ef_precision prec, int i, vk_coop_tile *t)
{
    if (prec < 0 || prec >= EF_PREC_COUNT || i < 0 ||
        i >= dev->coop.nshapes[prec] * VK_COOP_LAYOUTS)
        return 0;
    int l = i % VK_COOP_LAYOUTS;
    *t = (vk_coop_tile){.s = dev->coop.shapes[prec][i / VK_COOP_LAYOUTS],
                        .sr = vk_coop_layouts[l].sr,
                        .sc = vk_coop_layouts[l].sc,
                        .wm = vk_coop_layouts[l].wm,
                        .wn = vk_coop_layouts[l].wn};
    return 1;
}

int vk_coop_tile_check(const ef_device *dev, const vk_coop_tile *t)
{
    const VkPhysicalDeviceLimits *l = &dev->props.limits;
    uint64_t threads = (uint64_t)t->sr * t->sc * dev->subgroup_size;
    uint64_t stage = 4ull * t->sr * t->sc * t->s.m * (t->wn * t->s.n + 4);
    return threads <= l->maxComputeWorkGroupInvocations &&
           threads <= l->maxComputeWorkGroupSize[0] && stage <= l->maxComputeSharedMemorySize;
}

int vk_coop_fits(const ef_device *dev, const ef_op *op, const vk_coop_tile *t, char *why,
                 size_t len)
{
    if (!dev->coop.nshapes[op->precision]) {
        snprintf(why, len,
                 "needs VK_KHR_cooperative_matrix with %s x %s -> fp32 at subgroup "
                 "scope%s",
                 ef_precision_name(op->precision), ef_precision_name(op->precision),
                 vk_shaders[vk_coop_shader(op->precision)].words
                     ? ""
                     : " (and a glslc that compiles the shader at build time)");
        return 0;
    }
    if (op->rows < (int)t->s.m || op->n < (int)t->s.n || op->d % (int)t->s.k || op->d % 8) {
        snprintf(why, len,
                 "needs rows >= %u, n >= %u and d a multiple of %u and 8 "
                 "(rows = %d, n = %d, d = %d)",
                 t->s.m, t->s.n, t->s.k, op->rows, op->n, op->d);
        return 0;
    }
    return 1;
}

int vk_energy_coopmat_record(ef_device *dev, const ef_op *op, const vk_coop_tile *t,
                             ef_run_result *res, ef_error *err)
{
    char why[160];
    if (!vk_coop_fits(dev, op, t, why, sizeof why))
        return ef_fail(err, EF_UNSUPPORTED, "vulkan: variant %s %s", VK_VARIANT_COOPMAT_KHR, why);
    int masked = op->mask.kind != EF_MASK_FULL,
        fault = masked && op->fault == EF_FAULT_MASK_OFF_BY_ONE;
    int npad;
    uint64_t tree;
    vk_push pc;
    int rc = vk_energy_prepare(dev, op, &npad, &tree, &pc, err);
    if (rc != EF_OK) return rc;
    /* the full field's shift is the mean over all keys: hi = n - 1 in row_mean */
    pc.shift = !masked ? op->n : fault;
    if ((rc = vk_cmd_begin(dev, err)) != EF_OK) return rc;
    if ((rc = vk_keys_record(dev, op, npad, VK_KEYS_RAW_TREE, err)) != EF_OK) return rc;
    if ((rc = vk_shift_record(dev, op, &pc, npad, tree, err)) != EF_OK) return rc;
    if (!masked) pc.shift = 0;
    vk_spec spec = vk_spec_1d(op->precision);
    spec.v[VK_SPEC_WGX] = t->sr * t->sc * dev->subgroup_size;
    spec.v[VK_SPEC_TM] = t->wm;
    spec.v[VK_SPEC_TN] = t->wn;
    spec.v[VK_SPEC_MASKED] = (uint32_t)masked;
    spec.v[VK_SPEC_CM] = t->s.m;
    spec.v[VK_SPEC_CN] = t->s.n;
    spec.v[VK_SPEC_CK] = t->s.k;
    spec.v[VK_SPEC_SR] = t->sr;
    spec.v[VK_SPEC_SC] = t->sc;
    ef_buffer *bufs[VK_BINDINGS] = {op->q, op->k, dev->scratch, op->e};
    uint32_t bm = t->sr * t->wm * t->s.m, bn = t->sc * t->wn * t->s.n;
    rc = vk_cmd_dispatch(dev, vk_coop_shader(op->precision), &spec, bufs, &pc,
                         vk_groups((uint64_t)op->n, bn), vk_groups((uint64_t)op->rows, bm), 1, err);
    if (rc != EF_OK) return rc;
    snprintf(res->path, sizeof res->path, "coopmat-khr-%s-%ux%ux%u-%ux%u%s",
             ef_precision_name(op->precision), t->s.m, t->s.n, t->s.k, bm, bn,
             fault ? "-fault" : "");
    return vk_cmd_submit(dev, &res->time_ms, err);
}
