// crossenc._native: the pybind11 glue over crossenc::Engine and crossenc_eval. The Python layer
// (crossenc/*.py) gives it the sentence-transformers CrossEncoder shape; this file only converts
// values, releases the GIL around engine work and maps errors to Python exceptions.
#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <vector>

#include "crossenc/calibration.h"
#include "crossenc/converter.h"
#include "crossenc/engine.h"
#include "crossenc/eval/rerank.h"

namespace py = pybind11;

namespace {

// A text of pair `index`: a str that encodes to UTF-8 (lone surrogates do not), else ValueError.
std::string text_of(PyObject* obj, size_t index, const char* role) {
  const std::string where = "pair " + std::to_string(index) + ": the " + role;
  if (!PyUnicode_Check(obj)) {
    throw py::value_error(where + " must be a str, not " + Py_TYPE(obj)->tp_name);
  }
  Py_ssize_t size = 0;
  const char* utf8 = PyUnicode_AsUTF8AndSize(obj, &size);
  if (!utf8) {
    PyErr_Clear();
    throw py::value_error(where + " is not valid Unicode text (it holds a lone surrogate)");
  }
  return std::string(utf8, static_cast<size_t>(size));
}

std::vector<crossenc::Pair> pairs_of(const py::sequence& items) {
  std::vector<crossenc::Pair> pairs;
  pairs.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    py::object item = items[i];
    if (!(PyList_Check(item.ptr()) || PyTuple_Check(item.ptr())) || py::len(item) != 2) {
      throw py::value_error("pair " + std::to_string(i) +
                            ": expected a (query, passage) tuple or list of two str");
    }
    py::sequence seq = item.cast<py::sequence>();
    pairs.push_back({text_of(py::object(seq[0]).ptr(), i, "query"),
                     text_of(py::object(seq[1]).ptr(), i, "passage")});
  }
  return pairs;
}

// Bad option values are the caller's mistake: ValueError, with the engine's wording.
crossenc::Options options_of(const std::string& backend, const std::optional<std::string>& dtype,
                             int threads, int device, int max_length, int batch_size) {
  if (threads < 0) throw py::value_error("threads must be >= 0");
  if (batch_size < 1) throw py::value_error("batch_size must be >= 1");
  if (max_length < 0) throw py::value_error("max_length must be >= 0");
  crossenc::Options o;
  o.backend = backend;
  o.threads = threads;
  o.device = device;
  o.max_length = max_length;
  o.batch_size = batch_size;
  try {
    if (dtype) o.dtype = crossenc::parse_dtype(*dtype);  // the parser the CLI's --dtype uses
  } catch (const crossenc::Error& e) {
    throw py::value_error(e.what());
  }
  return o;
}

// Which end of a long text is cut, and how many windows a long passage is scored in.
crossenc::Options with_long_pairs(crossenc::Options o, const std::string& side, int max_windows) {
  if (side != "right" && side != "left") {
    throw py::value_error("truncation_side must be \"right\" or \"left\", not \"" + side + "\"");
  }
  if (max_windows < 1) throw py::value_error("max_windows must be >= 1");
  o.long_pairs.side =
      side == "left" ? crossenc::TruncationSide::kLeft : crossenc::TruncationSide::kRight;
  o.long_pairs.max_windows = static_cast<size_t>(max_windows);
  return o;
}

py::dict config_of(const crossenc::ModelConfig& c) {
  py::dict d;
  d["architectures"] = py::make_tuple(c.architecture);
  d["vocab_size"] = c.vocab_size;
  d["hidden_size"] = c.hidden_size;
  d["num_hidden_layers"] = c.num_layers;
  d["num_attention_heads"] = c.num_heads;
  d["intermediate_size"] = c.intermediate_size;
  d["max_position_embeddings"] = c.max_position_embeddings;
  d["type_vocab_size"] = c.type_vocab_size;
  d["num_labels"] = c.num_labels;
  d["layer_norm_eps"] = c.layer_norm_eps;
  d["hidden_act"] = c.hidden_act;
  return d;
}

class PyEngine {
 public:
  PyEngine(const std::string& path, const std::string& backend,
           const std::optional<std::string>& dtype, int threads, int device, int max_length,
           int batch_size, const std::string& truncation_side, int max_windows)
      : engine_(crossenc::Engine::open(
            path,
            with_long_pairs(options_of(backend, dtype, threads, device, max_length, batch_size),
                            truncation_side, max_windows))) {}

  // Raw logits in input order, in batches of `batch_size` pairs (each one forward pass, as
  // `crossenc score --batch-size` forms them); progress(done) after each batch, with the GIL.
  py::array_t<float> score(const py::sequence& items, size_t batch_size,
                           const std::optional<py::function>& progress) {
    if (batch_size < 1) throw py::value_error("batch_size must be >= 1");
    const std::vector<crossenc::Pair> pairs = pairs_of(items);
    py::array_t<float> out(static_cast<py::ssize_t>(pairs.size()));
    float* dst = out.mutable_data();
    for (size_t k = 0; k < pairs.size(); k += batch_size) {
      const size_t n = std::min(batch_size, pairs.size() - k);
      std::vector<float> s;
      {
        py::gil_scoped_release release;
        s = engine_.score(std::span(pairs).subspan(k, n));
      }
      std::copy(s.begin(), s.end(), dst + k);
      if (progress) (*progress)(k + n);
    }
    return out;
  }

  py::dict info() const {
    const crossenc::EngineInfo& i = engine_.info();
    py::dict d;
    d["model_path"] = i.model_path;
    d["dtype"] = std::string(crossenc::dtype_name(i.dtype));
    d["backend"] = i.backend;
    d["device"] = i.device;
    d["warnings"] = i.warnings;
    d["max_length"] = i.max_length;
    d["config"] = config_of(i.config);
    return d;
  }

 private:
  crossenc::Engine engine_;
};

py::dict metrics_of(const crossenc::eval::Metrics& m) {
  py::dict d;
  d["ndcg@10"] = m.ndcg10;
  d["mrr@10"] = m.mrr10;
  d["recall@100"] = m.recall100;
  return d;
}

py::dict run_metrics_of(const crossenc::eval::RunMetrics& r) {
  py::dict per_query;
  for (const auto& [qid, m] : r.per_query) per_query[py::str(qid)] = metrics_of(m);
  py::dict d = metrics_of(r.mean);
  d["per_query"] = per_query;
  return d;
}

// The numbers `crossenc eval` prints, as a dict; with compare_dtypes also its dtype table.
py::dict evaluate(const std::string& model, const std::string& dataset, const std::string& data_dir,
                  size_t top_k, const std::string& backend, const std::optional<std::string>& dtype,
                  int threads, int device, int max_length, int batch_size,
                  const std::optional<std::vector<std::string>>& compare_dtypes,
                  const std::optional<py::function>& progress) {
  namespace ev = crossenc::eval;
  if (top_k < 1) throw py::value_error("top_k must be >= 1");
  const crossenc::Options options =
      options_of(backend, dtype, threads, device, max_length, batch_size);
  std::vector<crossenc::DType> dtypes;
  for (const auto& name : compare_dtypes.value_or(std::vector<std::string>{})) {
    dtypes.push_back(
        options_of(backend, name, threads, device, max_length, batch_size).dtype.value());
  }
  py::dict out;
  ev::RerankOptions ro{.top_k = top_k};
  if (progress) {
    ro.progress = [&progress](size_t done, size_t total) {
      py::gil_scoped_acquire gil;
      (*progress)(done, total);
    };
  }
  ev::Evaluation e;
  std::vector<ev::DtypeComparison> rows;
  {
    py::gil_scoped_release release;
    const ev::Dataset ds = ev::load_dataset(dataset, data_dir);
    if (dtypes.empty()) {
      crossenc::Engine engine = crossenc::Engine::open(model, options);
      e = ev::evaluate(engine, ds, ro);
    } else {
      rows = ev::compare_dtypes(model, options, dtypes, ds, ro);
      e.first_stage = ev::evaluate_run(ev::first_stage_run(ds), ds.qrels);
      e.reranked = rows.front().metrics;
      e.details = rows.front().details;
    }
  }
  out["dataset"] = dataset;
  out["queries"] = e.reranked.per_query.size();
  out["bm25"] = run_metrics_of(e.first_stage);
  out["reranked"] = run_metrics_of(e.reranked);
  out["pairs"] = e.details.pairs;
  out["seconds"] = e.details.seconds;
  out["pairs_per_s"] = e.details.pairs_per_s();
  if (!rows.empty()) {
    py::list table;
    for (const auto& r : rows) {
      py::dict row = run_metrics_of(r.metrics);
      row["dtype"] = std::string(crossenc::dtype_name(r.dtype));
      row["worst_spearman"] = r.worst_spearman;
      row["worst_qid"] = r.worst_qid;
      row["pairs_per_s"] = r.pairs_per_s;
      table.append(row);
    }
    out["dtypes"] = table;
  }
  return out;
}

// crossenc.convert: what `crossenc convert` does (tools/cmd_convert.cc), the calibration pairs
// given as (query, passage) items instead of a JSONL file; same bytes for the same pairs.
py::dict convert(const std::string& model, const std::string& output, const std::string& dtype,
                 const std::optional<py::sequence>& calibration, int threads) {
  if (threads < 0) throw py::value_error("threads must be >= 0");
  crossenc::ConvertOptions options;
  try {
    options.dtype = crossenc::parse_dtype(dtype);
  } catch (const crossenc::Error& e) {
    throw py::value_error(e.what());
  }
  if (!crossenc::is_hf_folder(model)) {
    throw py::value_error(model + " is not a Hugging Face model folder (it has no config.json)");
  }
  std::vector<crossenc::Pair> pairs;
  if (calibration) {
    if (options.dtype != crossenc::DType::I8) {
      throw py::value_error("calibration_pairs go with dtype=\"int8\" (GPTQ rounding)");
    }
    pairs = pairs_of(*calibration);
    if (pairs.empty()) throw py::value_error("calibration_pairs is empty");
  }
  std::shared_ptr<const crossenc::ModelFile> written;
  {
    py::gil_scoped_release release;
    crossenc::InputGrams grams;
    if (!pairs.empty()) {
      const auto f32 = crossenc::open_model(model, crossenc::DType::F32);
      const crossenc::Tokenizer tokenizer(f32->vocab(), f32->tokenizer_config());
      std::vector<crossenc::Encoding> encodings;
      encodings.reserve(pairs.size());
      for (const auto& p : pairs) encodings.push_back(tokenizer.encode_pair(p.query, p.passage));
      grams = crossenc::collect_input_grams(f32, encodings, threads);
      options.input_grams = &grams;
    }
    crossenc::write_model_file(output, crossenc::convert_hf_folder(model, options));
    written = crossenc::ModelFile::open(output);  // prove it loads, as the CLI does
  }
  py::dict d;
  d["path"] = output;
  d["dtype"] = std::string(crossenc::dtype_name(written->config().dtype));
  d["gptq"] = !pairs.empty();
  d["calibration_pairs"] = pairs.size();
  d["size_bytes"] = written->file_size();
  d["config"] = config_of(written->config());
  return d;
}

}  // namespace

PYBIND11_MODULE(_native, m) {
  m.doc() = "crossenc native engine (use the crossenc package, not this module)";
  // An InputError names one bad input (ValueError); any other crossenc::Error is RuntimeError.
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const crossenc::InputError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const crossenc::Error& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what());
    }
  });
  py::class_<PyEngine>(m, "Engine")
      .def(py::init<const std::string&, const std::string&, const std::optional<std::string>&, int,
                    int, int, int, const std::string&, int>(),
           py::arg("path"), py::arg("backend") = "cpu", py::arg("dtype") = py::none(),
           py::arg("threads") = 0, py::arg("device") = -1, py::arg("max_length") = 0,
           py::arg("batch_size") = 32, py::arg("truncation_side") = "right",
           py::arg("max_windows") = 1, py::call_guard<py::gil_scoped_release>())
      .def("score", &PyEngine::score, py::arg("pairs"), py::arg("batch_size") = 32,
           py::arg("progress") = py::none())
      .def("info", &PyEngine::info);
  m.def("evaluate", &evaluate, py::arg("model"), py::arg("dataset"), py::arg("data_dir") = "",
        py::arg("top_k") = 100, py::arg("backend") = "cpu", py::arg("dtype") = py::none(),
        py::arg("threads") = 0, py::arg("device") = -1, py::arg("max_length") = 0,
        py::arg("batch_size") = 32, py::arg("compare_dtypes") = py::none(),
        py::arg("progress") = py::none());
  m.def("convert", &convert, py::arg("model"), py::arg("output"), py::arg("dtype") = "f32",
        py::arg("calibration_pairs") = py::none(), py::arg("threads") = 0);
  m.def("default_data_dirs", &crossenc::eval::default_data_dirs);
}
