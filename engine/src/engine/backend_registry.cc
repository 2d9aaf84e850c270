// make_backend: maps a backend name to its implementation.
#include "cpu_backend.h"
#include "crossenc/backend.h"
#include "crossenc/error.h"
#ifdef CROSSENC_HAVE_VULKAN
#include "vulkan_backend.h"
#endif

namespace crossenc {

std::unique_ptr<Backend> make_backend(const BackendOptions& options) {
  if (options.name == "cpu") return make_cpu_backend(options);
  if (options.name == "vulkan") {
#ifdef CROSSENC_HAVE_VULKAN
    return make_vulkan_backend(options);
#else
    throw Error(
        "the Vulkan backend is not built into this binary (configure with -DCROSSENC_VULKAN=ON)");
#endif
  }
  if (options.name == "auto") {
#ifdef CROSSENC_HAVE_VULKAN
    if (vulkan_has_real_gpu()) return make_vulkan_backend(options);
#endif
    BackendOptions cpu = options;
    cpu.name = "cpu";
    return make_cpu_backend(cpu);
  }
  throw Error("unknown backend '" + options.name + "' (expected cpu, vulkan or auto)");
}

}  // namespace crossenc
