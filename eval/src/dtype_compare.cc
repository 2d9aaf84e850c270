// The dtype comparison: the same candidates reranked in each precision, measured against f32.
#include <algorithm>

#include "crossenc/eval/rerank.h"

namespace crossenc::eval {

std::vector<DType> with_reference_first(const std::vector<DType>& dtypes) {
  std::vector<DType> out = {DType::F32};
  for (const DType d : dtypes) {
    if (std::find(out.begin(), out.end(), d) == out.end()) out.push_back(d);
  }
  return out;
}

std::vector<DtypeComparison> compare_dtypes(const std::string& model, const Options& base,
                                            const std::vector<DType>& requested,
                                            const Dataset& dataset, const RerankOptions& options) {
  std::vector<DtypeComparison> out;
  std::map<std::string, std::vector<double>> reference;
  for (const DType dtype : with_reference_first(requested)) {
    Options o = base;
    o.dtype = dtype;
    Engine engine = Engine::open(model, o);
    Reranked r = rerank(engine, dataset, options);
    DtypeComparison c{.dtype = dtype,
                      .metrics = evaluate_run(r.run, dataset.qrels),
                      .pairs_per_s = r.pairs_per_s()};
    if (dtype == DType::F32) {
      reference = r.model_scores;
    } else {
      for (const auto& [qid, scores] : r.model_scores) {
        const double rho = spearman(reference.at(qid), scores);
        if (c.worst_qid.empty() || rho < c.worst_spearman) {
          c.worst_spearman = rho;
          c.worst_qid = qid;
        }
      }
    }
    c.details = std::move(r);
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace crossenc::eval
