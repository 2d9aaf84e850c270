// The CPU backend: kernels of cpu_ops.h behind the Backend interface.
#pragma once

#include <memory>

#include "crossenc/backend.h"

namespace crossenc {

std::unique_ptr<Backend> make_cpu_backend(const BackendOptions& options);

}  // namespace crossenc
