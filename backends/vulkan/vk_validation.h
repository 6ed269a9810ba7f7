/* backends/vulkan/vk_validation.h — what the Khronos validation layer said, for tests.
 * With EF_VK_VALIDATION=1 in the environment the Vulkan backend enables
 * VK_LAYER_KHRONOS_validation and a debug messenger that counts its error messages.
 * Called by tests/vulkan_test.c; needs nothing else from the backend.
 */
#ifndef EF_VK_VALIDATION_H
#define EF_VK_VALIDATION_H

/* Error messages reported by the validation layer since the process started. */
long ef_vulkan_validation_errors(void);
/* The first such message ("" when none); valid until the process ends. */
const char *ef_vulkan_validation_first(void);

#endif
