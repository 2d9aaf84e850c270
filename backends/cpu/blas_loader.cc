// Run-time loading of OpenBLAS (blas_loader.h): dlopen once, two entry points.
#include "blas_loader.h"

#include <dlfcn.h>

#include <string>

#include "crossenc/error.h"

namespace crossenc::cpu {

const BlasLibrary& blas() {
  static const BlasLibrary lib = [] {
    void* handle = nullptr;
    for (const char* name : {"libopenblas.so.0", "libopenblas.so"}) {
      handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
      if (handle) break;
    }
    if (!handle) {
      const char* why = dlerror();
      throw Error(std::string("the blas GEMM path needs OpenBLAS (libopenblas.so.0: ") +
                  (why ? why : "dlopen failed") +
                  "); install libopenblas0 or use --gemm own|eigen");
    }
    BlasLibrary l;
    l.sgemm = reinterpret_cast<decltype(l.sgemm)>(dlsym(handle, "cblas_sgemm"));
    l.set_num_threads =
        reinterpret_cast<decltype(l.set_num_threads)>(dlsym(handle, "openblas_set_num_threads"));
    if (!l.sgemm || !l.set_num_threads) throw Error("libopenblas lacks cblas_sgemm");
    return l;
  }();
  return lib;
}

}  // namespace crossenc::cpu
