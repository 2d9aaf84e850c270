// The registry: every backend built into this binary, known only through its registration
// (crossenc/backend.h); make_backend and describe_devices look names up here.
#include <span>
#include <string>

#include "crossenc/backend.h"
#include "crossenc/backends/cpu.h"
#include "crossenc/device_list.h"
#include "crossenc/error.h"
#ifdef CROSSENC_HAVE_VULKAN
#include "crossenc/backends/vulkan.h"
#endif

namespace crossenc {

namespace {

// In the order `--backend auto` tries them; the CPU, never accelerated, is the fallback.
std::span<const BackendRegistration* const> registered_backends() {
  static const BackendRegistration* const kAll[] = {
#ifdef CROSSENC_HAVE_VULKAN
      &vulkan_backend_registration(),
#endif
      &cpu_backend_registration(),
  };
  return kAll;
}

}  // namespace

std::unique_ptr<Backend> make_backend(const BackendOptions& options) {
  if (options.name == "auto") {
    for (const BackendRegistration* r : registered_backends()) {
      if (r->accelerated()) return r->create(options);
    }
    BackendOptions cpu = options;
    cpu.name = "cpu";
    return cpu_backend_registration().create(cpu);
  }
  for (const BackendRegistration* r : registered_backends()) {
    if (options.name == r->name) return r->create(options);
  }
  if (options.name == "vulkan") {
    throw Error(
        "the Vulkan backend is not built into this binary (configure with -DCROSSENC_VULKAN=ON)");
  }
  throw Error("unknown backend '" + options.name + "' (expected cpu, vulkan or auto)");
}

std::string describe_devices() {
  std::string out;
  // The CPU first, as `info --devices` has always listed it.
  out += cpu_backend_registration().describe_devices();
  for (const BackendRegistration* r : registered_backends()) {
    if (r != &cpu_backend_registration()) out += r->describe_devices();
  }
#ifndef CROSSENC_HAVE_VULKAN
  out += "vulkan   not built into this binary\n";
#endif
  return out;
}

}  // namespace crossenc
