// libFuzzer target: protobuf InferRequest bytes, as the gRPC Infer call receives them.
//
// gRPC parses the message before InferenceServiceImpl::Infer runs, and the conversion to pairs
// is private to server/grpc_service.cc; this target does the same two steps (parse, then
// {query, document} -> Pair) and hands the texts to the tokenizer as the serving core would.
// Invariants: parsing never crashes; texts that are not valid UTF-8 are rejected by the
// tokenizer with crossenc::Error (the service's InvalidRequestError), valid ones tokenize;
// a parsed request re-serializes and parses back to the same pairs.
#include <google/protobuf/stubs/logging.h>

#include "crossenc/engine.h"
#include "crossenc/tokenizer.h"
#include "fuzz_util.h"
#include "inference.pb.h"

namespace {

using crossenc::fuzz::require;

const crossenc::Tokenizer& tokenizer() {
  static const crossenc::Tokenizer t = crossenc::Tokenizer::from_vocab_file(
      std::string(CROSSENC_TEST_DATA_DIR) + "/tiny-random/vocab.txt");
  return t;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);  // protobuf logs every invalid UTF-8 string
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > (1u << 20)) return 0;
  inference::InferRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;  // gRPC: INTERNAL/INVALID

  std::vector<crossenc::Pair> pairs;
  pairs.reserve(static_cast<size_t>(request.pairs_size()));
  for (const auto& p : request.pairs()) pairs.push_back({p.query(), p.document()});
  for (const auto& p : pairs) {
    const bool ok = crossenc::fuzz::valid_utf8(p.query) && crossenc::fuzz::valid_utf8(p.passage);
    try {
      tokenizer().encode_pair(p.query, p.passage, 16);
      require(ok, "invalid UTF-8 from a protobuf request was tokenized");
    } catch (const crossenc::Error& e) {
      require(!ok, std::string("a valid protobuf pair does not tokenize: ") + e.what());
    }
  }

  inference::InferRequest back;
  require(back.ParseFromString(request.SerializeAsString()),
          "re-serialized request does not parse");
  require(back.pairs_size() == request.pairs_size(), "round trip changed the pair count");
  for (int i = 0; i < back.pairs_size(); ++i) {
    require(back.pairs(i).query() == request.pairs(i).query() &&
                back.pairs(i).document() == request.pairs(i).document(),
            "round trip changed a pair");
  }
  return 0;
}
