// OpenBLAS, loaded at run time on first use. Linked normally, it starts its thread pool in
// every process (threads that spin-wait on the cores for a while): ~40 ms of wall time and
// ~100 ms of CPU at each start, though only the `blas` GEMM path uses it.
#pragma once

#include <cblas.h>  // declarations only: the function types below

namespace crossenc::cpu {

struct BlasLibrary {
  decltype(&cblas_sgemm) sgemm = nullptr;
  decltype(&openblas_set_num_threads) set_num_threads = nullptr;
};

// Loads libopenblas (its ABI name, libopenblas.so.0, else libopenblas.so) once; throws Error
// saying what is missing if it cannot.
const BlasLibrary& blas();

}  // namespace crossenc::cpu
