// The CPU backend's public face: its registration (crossenc/backend.h) and direct creation.
#pragma once

#include <memory>

#include "crossenc/backend.h"

namespace crossenc {

const BackendRegistration& cpu_backend_registration();
std::unique_ptr<Backend> make_cpu_backend(const BackendOptions& options);

}  // namespace crossenc
