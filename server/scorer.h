// Protocol-neutral handling of one scoring request: limits, admission, error mapping, timing.
#pragma once

#include <atomic>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api_error.h"
#include "crossenc/serving.h"
#include "server_metrics.h"
#include "server_options.h"

namespace crossenc::server {

// A model the server serves, and the name requests pick it by.
struct ServedModel {
  std::string name;
  Service* service = nullptr;
};

// The one request model behind every route and protocol: which model, (query, passage) pairs
// and how to treat texts longer than the model's window. Each API's adapter fills it from its
// own shape.
struct ScoreJob {
  std::string model;  // "": the first model served
  std::vector<Pair> pairs;
  std::optional<bool> truncate;                  // unset: the server default (--auto-truncate)
  LongPairOptions long_pairs{.max_windows = 0};  // max_windows 0: --max-chunks-per-doc
};

class Scorer {
 public:
  // models: at least one; the first answers requests that name none.
  Scorer(std::vector<ServedModel> models, const ServerOptions& options, ServerMetrics& metrics);

  // The model a request names: "" is the first one. With one model served every name is that
  // model (clients send names of their own, e.g. Cohere's SDK); with several an unknown name
  // throws ApiError(kNotFound) listing the served ones.
  const ServedModel& model(std::string_view name) const;
  const std::vector<ServedModel>& models() const { return models_; }

  // One of max_concurrent_requests places; given back when destroyed.
  class Slot {
   public:
    explicit Slot(std::atomic<int>* counter) : counter_(counter) {}
    Slot(Slot&& o) noexcept : counter_(std::exchange(o.counter_, nullptr)) {}
    Slot& operator=(Slot&&) = delete;
    ~Slot() {
      if (counter_) counter_->fetch_sub(1);
    }

   private:
    std::atomic<int>* counter_;
  };
  // Throws ApiError(kOverloaded) when every place is taken, kUnavailable when shutting down.
  Slot admit();

  struct Result {
    std::vector<float> scores;
    RequestTiming timing;
    const ServedModel* model = nullptr;  // the one that scored it
  };
  // Checks the request against the limits, waits for a place and scores it; scores are raw
  // logits in input order. Throws ApiError only. `job.pairs` must not be empty.
  Result score(const ScoreJob& job);

  // Throws ApiError(kPayloadTooLarge) when a request has more pairs than allowed.
  void check_batch_size(size_t pairs) const;

  // New requests get kUnavailable from now on; those already admitted run to the end.
  void stop_accepting() { accepting_ = false; }
  bool accepting() const { return accepting_; }
  int in_flight() const { return in_flight_; }

  Service& service() { return *models_.front().service; }  // the first model's
  const ServerOptions& options() const { return options_; }
  ServerMetrics& metrics() { return metrics_; }

 private:
  std::vector<ServedModel> models_;
  const ServerOptions& options_;
  ServerMetrics& metrics_;
  std::atomic<int> in_flight_{0};
  std::atomic<bool> accepting_{true};
};

}  // namespace crossenc::server
