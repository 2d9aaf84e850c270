// EngineFlags::options: the one mapping of engine flags to Options.
#include "crossenc/engine_flags.h"

namespace crossenc {

Options EngineFlags::options() const {
  Options o;
  o.backend = backend;
  o.threads = threads;
  o.batch_size = batch_size;
  o.max_batch_tokens = max_batch_tokens;
  o.max_length = max_length;
  if (!dtype.empty()) o.dtype = parse_dtype(dtype);
  o.device = device;
  o.gemm = gemm;
  o.profile = profile;
  return o;
}

}  // namespace crossenc
