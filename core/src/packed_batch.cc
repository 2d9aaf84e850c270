// Building packed (padding-free) batches.
#include <algorithm>

#include "crossenc/backend.h"
#include "crossenc/error.h"

namespace crossenc {

void PackedBatch::add(const std::vector<int32_t>& ids, const std::vector<int32_t>& types) {
  if (ids.size() != types.size()) throw Error("input_ids and token_type_ids differ in length");
  if (ids.empty()) throw Error("empty token sequence");
  if (offsets.empty()) offsets.push_back(0);
  input_ids.insert(input_ids.end(), ids.begin(), ids.end());
  token_type_ids.insert(token_type_ids.end(), types.begin(), types.end());
  for (size_t i = 0; i < ids.size(); ++i) positions.push_back(static_cast<int32_t>(i));
  offsets.push_back(static_cast<int32_t>(input_ids.size()));
  max_seq_len = std::max<int32_t>(max_seq_len, static_cast<int32_t>(ids.size()));
}

}  // namespace crossenc
