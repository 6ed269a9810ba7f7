/* backends/vulkan/vk_shaders.c — the SPIR-V of the shaders/vulkan compute shaders, embedded.
 * glslc writes each module as a C initialiser list (<name>.spv.h) at build time, and
 * vk_embed.py writes the table of them from the one shader list of meson.build; this file
 * only compiles that table. Read by vk_pipeline.c.
 */
#include "vk_internal.h"

#include "vulkan/vk_shader_table.inc"
