/* backends/vulkan/vk_instance.c — the Vulkan instance (shared, reference-counted), the
 * optional Khronos validation layer with an error-counting messenger (EF_VK_VALIDATION=1),
 * physical-device listing and ef_device_info. Device selection is the harness's: this
 * file only enumerates. Called by the ef_backend table (vk_device.c).
 */
#include "vk_internal.h"
#include "vk_validation.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VK_LAYER_VALIDATION "VK_LAYER_KHRONOS_validation"
#define VK_MAX_PHYSICAL 16

static struct {
    VkInstance instance;
    VkDebugUtilsMessengerEXT messenger;
    int refs;
} vk_inst;

static long vk_validation_count;
static char vk_validation_msg[1024];

long ef_vulkan_validation_errors(void)
{
    return __atomic_load_n(&vk_validation_count, __ATOMIC_SEQ_CST);
}
const char *ef_vulkan_validation_first(void) { return vk_validation_msg; }

const char *vk_result_name(VkResult r)
{
    switch (r) {
        case VK_SUCCESS: return "VK_SUCCESS";
        case VK_NOT_READY: return "VK_NOT_READY";
        case VK_TIMEOUT: return "VK_TIMEOUT";
        case VK_INCOMPLETE: return "VK_INCOMPLETE";
        case VK_ERROR_OUT_OF_HOST_MEMORY: return "VK_ERROR_OUT_OF_HOST_MEMORY";
        case VK_ERROR_OUT_OF_DEVICE_MEMORY: return "VK_ERROR_OUT_OF_DEVICE_MEMORY";
        case VK_ERROR_INITIALIZATION_FAILED: return "VK_ERROR_INITIALIZATION_FAILED";
        case VK_ERROR_DEVICE_LOST: return "VK_ERROR_DEVICE_LOST";
        case VK_ERROR_MEMORY_MAP_FAILED: return "VK_ERROR_MEMORY_MAP_FAILED";
        case VK_ERROR_LAYER_NOT_PRESENT: return "VK_ERROR_LAYER_NOT_PRESENT";
        case VK_ERROR_EXTENSION_NOT_PRESENT: return "VK_ERROR_EXTENSION_NOT_PRESENT";
        case VK_ERROR_FEATURE_NOT_PRESENT: return "VK_ERROR_FEATURE_NOT_PRESENT";
        case VK_ERROR_INCOMPATIBLE_DRIVER: return "VK_ERROR_INCOMPATIBLE_DRIVER";
        case VK_ERROR_TOO_MANY_OBJECTS: return "VK_ERROR_TOO_MANY_OBJECTS";
        case VK_ERROR_OUT_OF_POOL_MEMORY: return "VK_ERROR_OUT_OF_POOL_MEMORY";
        case VK_ERROR_INVALID_SHADER_NV: return "VK_ERROR_INVALID_SHADER_NV";
        default: return "VkResult (unnamed)";
    }
}

int vk_result_fail(ef_error *err, VkResult r, const char *what)
{
    int code = r == VK_ERROR_OUT_OF_HOST_MEMORY || r == VK_ERROR_OUT_OF_DEVICE_MEMORY ? EF_NOMEM
                                                                                      : EF_ERROR;
    return ef_fail(err, code, "vulkan: %s failed: %s (%d)%s", what, vk_result_name(r), (int)r,
                   r == VK_ERROR_DEVICE_LOST ? "; the device is lost" : "");
}

static VKAPI_ATTR VkBool32 VKAPI_CALL vk_validation_message(
    VkDebugUtilsMessageSeverityFlagBitsEXT severity, VkDebugUtilsMessageTypeFlagsEXT type,
    const VkDebugUtilsMessengerCallbackDataEXT *data, void *user)
{
    (void)type;
    (void)user;
    if (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) {
        if (__atomic_fetch_add(&vk_validation_count, 1, __ATOMIC_SEQ_CST) == 0)
            snprintf(vk_validation_msg, sizeof vk_validation_msg, "%s",
                     data && data->pMessage ? data->pMessage : "(no message)");
    }
    return VK_FALSE;
}

static int vk_validation_wanted(void)
{
    const char *v = getenv("EF_VK_VALIDATION");
    return v && strcmp(v, "1") == 0;
}

static int vk_layer_present(const char *name)
{
    uint32_t count = 0;
    if (vkEnumerateInstanceLayerProperties(&count, NULL) != VK_SUCCESS || count == 0) return 0;
    VkLayerProperties *layers = calloc(count, sizeof *layers);
    if (!layers) return 0;
    int found = 0;
    if (vkEnumerateInstanceLayerProperties(&count, layers) == VK_SUCCESS)
        for (uint32_t i = 0; i < count; i++)
            if (strcmp(layers[i].layerName, name) == 0) found = 1;
    free(layers);
    return found;
}

static int vk_instance_create(ef_error *err)
{
    int validate = vk_validation_wanted();
    if (validate && !vk_layer_present(VK_LAYER_VALIDATION))
        return ef_fail(err, EF_ERROR,
                       "vulkan: EF_VK_VALIDATION=1 but %s is not installed "
                       "(apt-get install vulkan-validationlayers)",
                       VK_LAYER_VALIDATION);
    const VkDebugUtilsMessengerCreateInfoEXT messenger_info = {
        .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
        .messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT |
                           VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT,
        .messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                       VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                       VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT,
        .pfnUserCallback = vk_validation_message,
    };
    const char *layers[] = {VK_LAYER_VALIDATION};
    const char *exts[] = {VK_EXT_DEBUG_UTILS_EXTENSION_NAME};
    const VkApplicationInfo app = {
        .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
        .pApplicationName = "efbench",
        .applicationVersion = 1,
        .pEngineName = "efbench",
        /* 1.2 so the driver-properties query is valid where the device has 1.2; devices
         * with 1.1 still run (the effective version is the smaller of the two) */
        .apiVersion = VK_API_VERSION_1_2,
    };
    const VkInstanceCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
        .pNext = validate ? &messenger_info : NULL,
        .pApplicationInfo = &app,
        .enabledLayerCount = validate ? 1 : 0,
        .ppEnabledLayerNames = validate ? layers : NULL,
        .enabledExtensionCount = validate ? 1 : 0,
        .ppEnabledExtensionNames = validate ? exts : NULL,
    };
    VkResult r = vkCreateInstance(&info, NULL, &vk_inst.instance);
    if (r == VK_ERROR_INCOMPATIBLE_DRIVER)
        return ef_fail(err, EF_ERROR,
                       "vulkan: no Vulkan 1.1 driver is installed "
                       "(lavapipe: apt-get install mesa-vulkan-drivers)");
    if (r != VK_SUCCESS) return vk_result_fail(err, r, "vkCreateInstance");
    if (validate) {
        PFN_vkCreateDebugUtilsMessengerEXT create =
            (PFN_vkCreateDebugUtilsMessengerEXT)vkGetInstanceProcAddr(
                vk_inst.instance, "vkCreateDebugUtilsMessengerEXT");
        if (!create) {
            vkDestroyInstance(vk_inst.instance, NULL);
            vk_inst.instance = VK_NULL_HANDLE;
            return ef_fail(err, EF_ERROR, "vulkan: validation layer without debug utils");
        }
        r = create(vk_inst.instance, &messenger_info, NULL, &vk_inst.messenger);
        if (r != VK_SUCCESS) {
            vkDestroyInstance(vk_inst.instance, NULL);
            vk_inst.instance = VK_NULL_HANDLE;
            return vk_result_fail(err, r, "vkCreateDebugUtilsMessengerEXT");
        }
    }
    return EF_OK;
}

int vk_instance_acquire(VkInstance *inst, ef_error *err)
{
    if (vk_inst.refs == 0) {
        int rc = vk_instance_create(err);
        if (rc != EF_OK) return rc;
    }
    vk_inst.refs++;
    *inst = vk_inst.instance;
    return EF_OK;
}

void vk_instance_release(void)
{
    if (vk_inst.refs <= 0 || --vk_inst.refs > 0) return;
    if (vk_inst.messenger) {
        PFN_vkDestroyDebugUtilsMessengerEXT destroy =
            (PFN_vkDestroyDebugUtilsMessengerEXT)vkGetInstanceProcAddr(
                vk_inst.instance, "vkDestroyDebugUtilsMessengerEXT");
        if (destroy) destroy(vk_inst.instance, vk_inst.messenger, NULL);
        vk_inst.messenger = VK_NULL_HANDLE;
    }
    vkDestroyInstance(vk_inst.instance, NULL);
    vk_inst.instance = VK_NULL_HANDLE;
}

int vk_physical_list(VkInstance inst, VkPhysicalDevice *out, uint32_t cap, uint32_t *count,
                     ef_error *err)
{
    *count = cap;
    VkResult r = vkEnumeratePhysicalDevices(inst, count, out);
    if (r != VK_SUCCESS && r != VK_INCOMPLETE)
        return vk_result_fail(err, r, "vkEnumeratePhysicalDevices");
    return EF_OK;
}

uint64_t vk_physical_max_buffer(VkPhysicalDevice phys)
{
    VkPhysicalDeviceMaintenance3Properties m3 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES,
    };
    VkPhysicalDeviceProperties2 p2 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
        .pNext = &m3,
    };
    vkGetPhysicalDeviceProperties2(phys, &p2);
    uint64_t range = p2.properties.limits.maxStorageBufferRange;
    return range < m3.maxMemoryAllocationSize ? range : m3.maxMemoryAllocationSize;
}

int vk_device_count(ef_error *err)
{
    VkInstance inst;
    if (vk_instance_acquire(&inst, err) != EF_OK) return 0;
    VkPhysicalDevice phys[VK_MAX_PHYSICAL];
    uint32_t count = 0;
    int rc = vk_physical_list(inst, phys, VK_MAX_PHYSICAL, &count, err);
    vk_instance_release();
    if (rc != EF_OK) return 0;
    if (count == 0) ef_fail(err, EF_ERROR, "vulkan: the loader found no physical device");
    return (int)count;
}

static const char *vk_type_name(VkPhysicalDeviceType t)
{
    switch (t) {
        case VK_PHYSICAL_DEVICE_TYPE_CPU: return "cpu";
        case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
        case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
        case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return "gpu";
        default: return "other";
    }
}

int vk_extension_present(VkPhysicalDevice phys, const char *name)
{
    uint32_t count = 0;
    if (vkEnumerateDeviceExtensionProperties(phys, NULL, &count, NULL) != VK_SUCCESS) return 0;
    VkExtensionProperties *ext = calloc(count ? count : 1, sizeof *ext);
    if (!ext) return 0;
    int found = 0;
    if (vkEnumerateDeviceExtensionProperties(phys, NULL, &count, ext) == VK_SUCCESS)
        for (uint32_t i = 0; i < count; i++)
            if (strcmp(ext[i].extensionName, name) == 0) found = 1;
    free(ext);
    return found;
}

static const char *vk_vendor_name(uint32_t id)
{
    switch (id) {
        case 0x10de: return "NVIDIA";
        case 0x1002: return "AMD";
        case 0x8086: return "Intel";
        case 0x13b5: return "ARM";
        case 0x5143: return "Qualcomm";
        case 0x106b: return "Apple";
        case 0x10005: return "Mesa";
        default: return NULL;
    }
}

void vk_driver_describe(VkPhysicalDevice phys, char *buf, size_t len)
{
    VkPhysicalDeviceProperties p;
    vkGetPhysicalDeviceProperties(phys, &p);
    /* Vulkan 1.2 drivers name themselves ("Mesa 22.3.6 (LLVM 15.0.6)", "565.57.01"). */
    if (p.apiVersion >= VK_API_VERSION_1_2) {
        VkPhysicalDeviceDriverProperties drv = {
            .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES,
        };
        VkPhysicalDeviceProperties2 p2 = {
            .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
            .pNext = &drv,
        };
        vkGetPhysicalDeviceProperties2(phys, &p2);
        if (drv.driverInfo[0]) {
            snprintf(buf, len, "%.40s %.60s", drv.driverName, drv.driverInfo);
            return;
        }
    }
    /* else the packed version as the vendor writes it (NVIDIA packs 10.8.8.6 bits) */
    uint32_t v = p.driverVersion;
    if (p.vendorID == 0x10de)
        snprintf(buf, len, "%u.%u.%u", v >> 22, (v >> 14) & 0xff, (v >> 6) & 0xff);
    else
        snprintf(buf, len, "%u.%u.%u", VK_API_VERSION_MAJOR(v), VK_API_VERSION_MINOR(v),
                 VK_API_VERSION_PATCH(v));
}

int vk_device_info(int index, ef_device_info *info, ef_error *err)
{
    VkInstance inst;
    int rc = vk_instance_acquire(&inst, err);
    if (rc != EF_OK) return rc;
    VkPhysicalDevice phys[VK_MAX_PHYSICAL];
    uint32_t count = 0;
    rc = vk_physical_list(inst, phys, VK_MAX_PHYSICAL, &count, err);
    if (rc != EF_OK) goto release;
    if (index < 0 || (uint32_t)index >= count) {
        rc = ef_fail(err, EF_ERROR, "vulkan: no device %d (%u found)", index, count);
        goto release;
    }
    VkPhysicalDeviceSubgroupProperties sub = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES,
    };
    VkPhysicalDeviceProperties2 p2 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
        .pNext = &sub,
    };
    vkGetPhysicalDeviceProperties2(phys[index], &p2);
    const VkPhysicalDeviceProperties *p = &p2.properties;
    VkPhysicalDeviceMemoryProperties mp;
    vkGetPhysicalDeviceMemoryProperties(phys[index], &mp);

    memset(info, 0, sizeof *info);
    snprintf(info->name, sizeof info->name, "%.127s", p->deviceName);
    const char *vendor = vk_vendor_name(p->vendorID);
    if (vendor) snprintf(info->vendor, sizeof info->vendor, "%s", vendor);
    else snprintf(info->vendor, sizeof info->vendor, "0x%04x", p->vendorID);
    vk_driver_describe(phys[index], info->driver_version, sizeof info->driver_version);
    snprintf(info->api_version, sizeof info->api_version, "Vulkan %u.%u.%u",
             VK_API_VERSION_MAJOR(p->apiVersion), VK_API_VERSION_MINOR(p->apiVersion),
             VK_API_VERSION_PATCH(p->apiVersion));
    snprintf(info->type, sizeof info->type, "%s", vk_type_name(p->deviceType));
    for (uint32_t h = 0; h < mp.memoryHeapCount; h++)
        if (mp.memoryHeaps[h].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT)
            info->memory_bytes += mp.memoryHeaps[h].size;
    info->max_buffer_bytes = vk_physical_max_buffer(phys[index]);
    /* fp16 / bf16 are read as packed 32-bit words and decoded in the shader, which every
     * Vulkan 1.1 device can do: no 16-bit storage feature is needed. */
    info->precisions = 1u << EF_PREC_FP32 | 1u << EF_PREC_FP16 | 1u << EF_PREC_BF16;
    info->out_dtype = EF_F32;
    char coop[320];
    vk_coop_describe(inst, phys[index], coop, sizeof coop);
    snprintf(info->notes, sizeof info->notes,
             "subgroup %u, shared %u KiB, max storage buffer %" PRIu64 " MiB, "
             "timestamp period %.3g ns, cooperative matrix: %s",
             sub.subgroupSize, p->limits.maxComputeSharedMemorySize / 1024,
             (uint64_t)p->limits.maxStorageBufferRange >> 20, (double)p->limits.timestampPeriod,
             coop);
release:
    vk_instance_release();
    return rc;
}
