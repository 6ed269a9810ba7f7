// shaders/vulkan/inputs4.glsl — 4 consecutive elements of an input (q or k, storage PREC)
// at once through its texel view: binding 7 (R32G32B32A32_SFLOAT, fp32), 8
// (R16G16B16A16_SFLOAT, fp16: the driver widens exactly) or 9 (R16G16B16A16_UINT, bf16:
// the bits shifted into a float). Element offset 4 idx; the host binds the input at the
// binding of its precision. Included by the CPU shape's decode passes after common.glsl.
layout(binding = 7, rgba32f) uniform readonly imageBuffer in32;
layout(binding = 8, rgba16f) uniform readonly imageBuffer in16f;
layout(binding = 9, rgba16ui) uniform readonly uimageBuffer in16u;

vec4 input4(int idx)
{
    if (PREC == 0) return imageLoad(in32, idx);
    if (PREC == 1) return imageLoad(in16f, idx);
    return uintBitsToFloat(imageLoad(in16u, idx) << 16);
}
