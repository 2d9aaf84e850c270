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
  if (truncation_side != "right" && truncation_side != "left") {
    throw Error("truncation side must be right or left, not " + truncation_side);
  }
  o.long_pairs.side = truncation_side == "left" ? TruncationSide::kLeft : TruncationSide::kRight;
  if (max_windows < 1) throw Error("max_windows must be >= 1");
  o.long_pairs.max_windows = static_cast<size_t>(max_windows);
  return o;
}

}  // namespace crossenc
