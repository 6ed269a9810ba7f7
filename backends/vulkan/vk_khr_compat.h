/* backends/vulkan/vk_khr_compat.h — the few Vulkan declarations of VK_KHR_cooperative_matrix
 * (header 1.3.255) and VK_KHR_shader_bfloat16 (1.4.311) that older headers lack: Debian
 * 12 ships 1.3.239 and Debian 13 1.4.309. The values are the registry's and never change;
 * each block applies only where the installed header does not declare the extension.
 * Included by vk_internal.h.
 */
#ifndef EF_VK_KHR_COMPAT_H
#define EF_VK_KHR_COMPAT_H

#include <vulkan/vulkan.h>

#ifndef VK_KHR_cooperative_matrix
#define VK_KHR_cooperative_matrix 1
#define VK_KHR_COOPERATIVE_MATRIX_EXTENSION_NAME "VK_KHR_cooperative_matrix"
/* the NV enums (1.1.x) have the same values as the KHR ones */
typedef VkComponentTypeNV VkComponentTypeKHR;
typedef VkScopeNV VkScopeKHR;
#define VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_KHR \
    ((VkStructureType)1000506000)
#define VK_STRUCTURE_TYPE_COOPERATIVE_MATRIX_PROPERTIES_KHR ((VkStructureType)1000506001)
#define VK_COMPONENT_TYPE_FLOAT16_KHR ((VkComponentTypeKHR)0)
#define VK_COMPONENT_TYPE_FLOAT32_KHR ((VkComponentTypeKHR)1)
#define VK_COMPONENT_TYPE_FLOAT64_KHR ((VkComponentTypeKHR)2)
#define VK_COMPONENT_TYPE_SINT8_KHR ((VkComponentTypeKHR)3)
#define VK_COMPONENT_TYPE_SINT16_KHR ((VkComponentTypeKHR)4)
#define VK_COMPONENT_TYPE_SINT32_KHR ((VkComponentTypeKHR)5)
#define VK_COMPONENT_TYPE_SINT64_KHR ((VkComponentTypeKHR)6)
#define VK_COMPONENT_TYPE_UINT8_KHR ((VkComponentTypeKHR)7)
#define VK_COMPONENT_TYPE_UINT16_KHR ((VkComponentTypeKHR)8)
#define VK_COMPONENT_TYPE_UINT32_KHR ((VkComponentTypeKHR)9)
#define VK_COMPONENT_TYPE_UINT64_KHR ((VkComponentTypeKHR)10)
#define VK_SCOPE_DEVICE_KHR ((VkScopeKHR)1)
#define VK_SCOPE_WORKGROUP_KHR ((VkScopeKHR)2)
#define VK_SCOPE_SUBGROUP_KHR ((VkScopeKHR)3)
#define VK_SCOPE_QUEUE_FAMILY_KHR ((VkScopeKHR)5)
typedef struct VkCooperativeMatrixPropertiesKHR {
    VkStructureType sType;
    void *pNext;
    uint32_t MSize, NSize, KSize;
    VkComponentTypeKHR AType, BType, CType, ResultType;
    VkBool32 saturatingAccumulation;
    VkScopeKHR scope;
} VkCooperativeMatrixPropertiesKHR;
typedef struct VkPhysicalDeviceCooperativeMatrixFeaturesKHR {
    VkStructureType sType;
    void *pNext;
    VkBool32 cooperativeMatrix;
    VkBool32 cooperativeMatrixRobustBufferAccess;
} VkPhysicalDeviceCooperativeMatrixFeaturesKHR;
typedef VkResult(VKAPI_PTR *PFN_vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR)(
    VkPhysicalDevice physicalDevice, uint32_t *pPropertyCount,
    VkCooperativeMatrixPropertiesKHR *pProperties);
#endif

#ifndef VK_KHR_shader_bfloat16
#define VK_KHR_shader_bfloat16 1
#define VK_KHR_SHADER_BFLOAT16_EXTENSION_NAME "VK_KHR_shader_bfloat16"
#define VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_BFLOAT16_FEATURES_KHR ((VkStructureType)1000141000)
#define VK_COMPONENT_TYPE_BFLOAT16_KHR ((VkComponentTypeKHR)1000141000)
typedef struct VkPhysicalDeviceShaderBfloat16FeaturesKHR {
    VkStructureType sType;
    void *pNext;
    VkBool32 shaderBFloat16Type;
    VkBool32 shaderBFloat16DotProduct;
    VkBool32 shaderBFloat16CooperativeMatrix;
} VkPhysicalDeviceShaderBfloat16FeaturesKHR;
#endif

#endif
