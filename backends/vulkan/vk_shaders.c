/* backends/vulkan/vk_shaders.c — the SPIR-V of the shaders/vulkan compute shaders, embedded. glslc
 * writes each module as a C initialiser list (<name>.spv.h) at build time; this file only
 * names them. Read by vk_pipeline.c.
 */
#include "vk_internal.h"

static const uint32_t spv_keys_decode[] =
#include "keys_decode.spv.h"
;
static const uint32_t spv_tree_level[] =
#include "tree_level.spv.h"
;
static const uint32_t spv_keys_center[] =
#include "keys_center.spv.h"
;
static const uint32_t spv_row_mean[] =
#include "row_mean.spv.h"
;
static const uint32_t spv_row_shift[] =
#include "row_shift.spv.h"
;
static const uint32_t spv_energy[] =
#include "energy.spv.h"
;
static const uint32_t spv_rowsum[] =
#include "rowsum.spv.h"
;
static const uint32_t spv_colenergy[] =
#include "colenergy.spv.h"
;
static const uint32_t spv_reduce[] =
#include "reduce.spv.h"
;
static const uint32_t spv_gram[] =
#include "gram.spv.h"
;
static const uint32_t spv_ranktail_proj[] =
#include "ranktail_proj.spv.h"
;
static const uint32_t spv_ranktail_resid[] =
#include "ranktail_resid.spv.h"
;
static const uint32_t spv_reduce_pairs[] =
#include "reduce_pairs.spv.h"
;
static const uint32_t spv_leverage[] =
#include "leverage.spv.h"
;
static const uint32_t spv_peak_fma[] =
#include "peak_fma.spv.h"
;
static const uint32_t spv_peak_copy[] =
#include "peak_copy.spv.h"
;
static const uint32_t spv_keys_transpose[] =
#include "keys_transpose.spv.h"
;
static const uint32_t spv_rows_decode[] =
#include "rows_decode.spv.h"
;
static const uint32_t spv_tree_level4[] =
#include "tree_level4.spv.h"
;
static const uint32_t spv_row_shift4[] =
#include "row_shift4.spv.h"
;
static const uint32_t spv_rowsum4[] =
#include "rowsum4.spv.h"
;
static const uint32_t spv_colenergy4[] =
#include "colenergy4.spv.h"
;
static const uint32_t spv_gram_reg[] =
#include "gram_reg.spv.h"
;
static const uint32_t spv_leverage_reg[] =
#include "leverage_reg.spv.h"
;
static const uint32_t spv_keys_decode4[] =
#include "keys_decode4.spv.h"
;
static const uint32_t spv_rows_decode4[] =
#include "rows_decode4.spv.h"
;
static const uint32_t spv_energy_reg[] =
#include "energy_reg.spv.h"
;
/* meson defines these where this glslc compiles GL_KHR_cooperative_matrix (Debian 13's
 * does, Debian 12's not) and, for bf16, GL_EXT_bfloat16 */
#ifdef EF_VK_COOPMAT_KHR
static const uint32_t spv_energy_coopmat_khr[] =
#include "energy_coopmat_khr.spv.h"
;
#endif
#ifdef EF_VK_COOPMAT_KHR_BF16
static const uint32_t spv_energy_coopmat_khr_bf16[] =
#include "energy_coopmat_khr_bf16.spv.h"
;
#endif

#define VK_SHADER(id, nm) [id] = {.name = #nm, .words = spv_##nm, .bytes = sizeof spv_##nm}
const vk_shader_code vk_shaders[VK_SH_COUNT] = {
    VK_SHADER(VK_SH_KEYS_DECODE, keys_decode),
    VK_SHADER(VK_SH_TREE_LEVEL, tree_level),
    VK_SHADER(VK_SH_KEYS_CENTER, keys_center),
    VK_SHADER(VK_SH_ROW_MEAN, row_mean),
    VK_SHADER(VK_SH_ROW_SHIFT, row_shift),
    VK_SHADER(VK_SH_ENERGY, energy),
    VK_SHADER(VK_SH_ROWSUM, rowsum),
    VK_SHADER(VK_SH_COLENERGY, colenergy),
    VK_SHADER(VK_SH_REDUCE, reduce),
    VK_SHADER(VK_SH_GRAM, gram),
    VK_SHADER(VK_SH_RANKTAIL_PROJ, ranktail_proj),
    VK_SHADER(VK_SH_RANKTAIL_RESID, ranktail_resid),
    VK_SHADER(VK_SH_REDUCE_PAIRS, reduce_pairs),
    VK_SHADER(VK_SH_LEVERAGE, leverage),
#ifdef EF_VK_COOPMAT_KHR
    VK_SHADER(VK_SH_ENERGY_COOPMAT_KHR, energy_coopmat_khr),
#else
    [VK_SH_ENERGY_COOPMAT_KHR] = {.name = "energy_coopmat_khr", .words = NULL, .bytes = 0},
#endif
#ifdef EF_VK_COOPMAT_KHR_BF16
    VK_SHADER(VK_SH_ENERGY_COOPMAT_KHR_BF16, energy_coopmat_khr_bf16),
#else
    [VK_SH_ENERGY_COOPMAT_KHR_BF16] = {.name = "energy_coopmat_khr_bf16", .words = NULL, .bytes = 0},
#endif
    VK_SHADER(VK_SH_PEAK_FMA, peak_fma),
    VK_SHADER(VK_SH_PEAK_COPY, peak_copy),
    VK_SHADER(VK_SH_KEYS_TRANSPOSE, keys_transpose),
    VK_SHADER(VK_SH_ROWS_DECODE, rows_decode),
    VK_SHADER(VK_SH_ENERGY_REG, energy_reg),
    VK_SHADER(VK_SH_TREE_LEVEL4, tree_level4),
    VK_SHADER(VK_SH_ROW_SHIFT4, row_shift4),
    VK_SHADER(VK_SH_ROWSUM4, rowsum4),
    VK_SHADER(VK_SH_COLENERGY4, colenergy4),
    VK_SHADER(VK_SH_GRAM_REG, gram_reg),
    VK_SHADER(VK_SH_LEVERAGE_REG, leverage_reg),
    VK_SHADER(VK_SH_KEYS_DECODE4, keys_decode4),
    VK_SHADER(VK_SH_ROWS_DECODE4, rows_decode4),
};
