// Scoring shared by gRPC and HTTP: the same limits, the same errors, the same metrics.
#include "scorer.h"

#include <exception>
#include <string>
#include <utility>

namespace crossenc::server {

Scorer::Scorer(std::vector<ServedModel> models, const ServerOptions& options,
               ServerMetrics& metrics)
    : models_(std::move(models)), options_(options), metrics_(metrics) {
  if (models_.empty()) throw Error("the server needs at least one model");
  for (size_t i = 0; i < models_.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (models_[i].name == models_[j].name) {
        throw Error("two models are named \"" + models_[i].name + "\"");
      }
    }
  }
}

const ServedModel& Scorer::model(std::string_view name) const {
  if (name.empty() || models_.size() == 1) return models_.front();
  std::string known;
  for (const ServedModel& m : models_) {
    if (m.name == name) return m;
    known += (known.empty() ? "\"" : ", \"") + m.name + "\"";
  }
  throw ApiError(ErrorKind::kNotFound, "model \"" + std::string(name) +
                                           "\" is not served here; the models are " + known +
                                           " (GET /v1/models)");
}

Scorer::Slot Scorer::admit() {
  if (!accepting_) throw ApiError(ErrorKind::kUnavailable, "the server is shutting down");
  const int limit = options_.max_concurrent_requests;
  if (in_flight_.fetch_add(1) >= limit) {
    in_flight_.fetch_sub(1);
    throw ApiError(ErrorKind::kOverloaded,
                   "model is overloaded: " + std::to_string(limit) +
                       " requests in flight (--max-concurrent-requests); retry later");
  }
  return Slot(&in_flight_);
}

void Scorer::check_batch_size(size_t pairs) const {
  const auto limit = static_cast<size_t>(options_.max_client_batch_size);
  if (pairs > limit) {
    throw ApiError(ErrorKind::kPayloadTooLarge,
                   "batch size " + std::to_string(pairs) + " > maximum allowed batch size " +
                       std::to_string(limit) + " (--max-client-batch-size)");
  }
}

Scorer::Result Scorer::score(const ScoreJob& job) {
  const std::vector<Pair>& pairs = job.pairs;
  check_batch_size(pairs.size());
  LongPairOptions long_pairs = job.long_pairs;
  if (long_pairs.max_windows == 0) {
    long_pairs.max_windows = static_cast<size_t>(options_.default_max_chunks_per_doc);
  }
  const ServedModel& served = model(job.model);
  Slot slot = admit();
  Result r;
  r.model = &served;
  try {
    r.scores = served.service->score(
        pairs,
        {.truncate = job.truncate.value_or(options_.default_truncate), .long_pairs = long_pairs},
        &r.timing);
  } catch (const OverloadedError& e) {
    throw ApiError(ErrorKind::kOverloaded, std::string("model is overloaded: ") + e.what());
  } catch (const InvalidRequestError& e) {
    throw ApiError(ErrorKind::kInvalid, e.what());
  } catch (const std::exception& e) {
    // After shutdown began the core refuses work; anything else is a server fault.
    if (!accepting_) throw ApiError(ErrorKind::kUnavailable, "the server is shutting down");
    throw ApiError(ErrorKind::kBackend, std::string("inference failed: ") + e.what());
  }
  if (r.scores.size() != pairs.size()) {
    throw ApiError(ErrorKind::kInternal, "inference returned " + std::to_string(r.scores.size()) +
                                             " scores for " + std::to_string(pairs.size()) +
                                             " pairs");
  }
  metrics_.record_scoring(r.timing, pairs.size());
  return r;
}

}  // namespace crossenc::server
