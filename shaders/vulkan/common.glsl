// shaders/vulkan/common.glsl — shared by every efbench Vulkan compute shader: the one
// push-constant block (mirrors vk_push in backends/vulkan/vk_internal.h), the common
// specialization constants, and input decoding of fp32 / fp16 / bf16 storage.
// Included by the *.comp files; the C side never sees it.

// Specialization constants (ids fixed, see vk_spec in vk_internal.h).
layout(constant_id = 0) const int PREC = 0;      // 0 fp32, 1 fp16, 2 bf16 storage of q, k
layout(constant_id = 3) const int TM = 4;        // results per thread along rows
layout(constant_id = 4) const int TN = 4;        // results per thread along columns
layout(constant_id = 5) const int BK = 16;       // k-slice held in shared memory
layout(constant_id = 6) const int MASKED = 0;    // 1: causal / window mask with row shift
layout(constant_id = 7) const int SG = 1;        // the device's subgroup size (energy_reg)
layout(constant_id = 8) const int LEVELS = 1;    // levels of the key-sum tree (row_shift4)

layout(push_constant) uniform Push {
    int n, d;          // tokens, head dimension
    int row0, rows;    // query row block
    int window;        // keys visible: i - window < j <= i + shift (causal: window > n)
    int shift;         // 0, or 1 for the off-by-one fault
    int off_src, off_dst;  // element offsets into scratch buffers
    int count, len;    // workload-specific sizes (levels, chunks, partials)
    int aux0, aux1;
    int fold;          // workgroups per grid row of a folded 1-D launch (0: not folded)
    float scale;       // a
} pc;

// Index of this workgroup / invocation in a 1-D launch that the host folded into a 2-D
// grid of pc.fold workgroups per row when it exceeds maxComputeWorkGroupCount[0].
// Macros, not functions: gl_WorkGroupSize is only specialized after the shader's own
// `layout(local_size_x_id ...) in;`, which comes after this file is included.
#define EF_LINEAR_GROUP (gl_WorkGroupID.y * uint(pc.fold) + gl_WorkGroupID.x)
#define EF_LINEAR_ID (EF_LINEAR_GROUP * gl_WorkGroupSize.x + gl_LocalInvocationID.x)

// Element idx of a buffer of packed inputs (declared uint[]) in storage precision PREC.
// fp16 and bf16 pack two elements per uint, the lower index in the low half.
#define EF_DECODE(buf, idx) \
    (PREC == 0 ? uintBitsToFloat(buf[(idx)]) \
   : PREC == 1 ? unpackHalf2x16(buf[(idx) >> 1])[(idx) & 1u] \
   : uintBitsToFloat(((idx) & 1u) != 0u ? (buf[(idx) >> 1] & 0xffff0000u) \
                                        : (buf[(idx) >> 1] << 16)))
