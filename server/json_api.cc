// The JSON helpers of the HTTP API: parsing with client-facing errors, field readers, scores.
#include "json_api.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <numeric>

namespace crossenc::server {

namespace {

// nlohmann's messages start with "[json.exception.parse_error.101] " and end with the bytes last
// read; clients need only the middle (and no echo of bytes that may not be UTF-8).
std::string strip_exception_id(const std::string& what) {
  const auto start = what.find("] ");
  std::string out = start == std::string::npos ? what : what.substr(start + 2);
  if (const auto end = out.find("; last read"); end != std::string::npos) out.resize(end);
  return out;
}

std::string quoted(const char* field) { return std::string("\"") + field + "\""; }

const json* present(const json& obj, const char* field) {
  const auto it = obj.find(field);
  return it == obj.end() || it->is_null() ? nullptr : &*it;
}

}  // namespace

void invalid(const std::string& message) { throw ApiError(ErrorKind::kInvalid, message); }

json parse_body(std::string_view body) {
  try {
    return json::parse(body.begin(), body.end());
  } catch (const json::exception& e) {  // parse_error, or out_of_range for a number like 9e999
    const std::string what = strip_exception_id(e.what());
    if (what.find("UTF-8") != std::string::npos) {
      invalid("request body is not valid UTF-8: " + what);
    }
    throw ApiError(ErrorKind::kMalformed, "malformed JSON: " + what);
  }
}

json parse_object(std::string_view body) {
  json v = parse_body(body);
  if (!v.is_object()) invalid("request body must be a JSON object");
  return v;
}

std::string string_field(const json& obj, const char* field) {
  const auto it = obj.find(field);
  if (it == obj.end()) invalid("missing field " + quoted(field));
  if (!it->is_string()) {
    invalid(quoted(field) + " must be a string, not " + std::string(it->type_name()));
  }
  return it->get<std::string>();
}

std::optional<std::string> optional_string(const json& obj, const char* field) {
  if (!present(obj, field)) return std::nullopt;
  return string_field(obj, field);
}

std::optional<bool> optional_bool(const json& obj, const char* field) {
  const json* v = present(obj, field);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) {
    invalid(quoted(field) + " must be true or false, not " + std::string(v->type_name()));
  }
  return v->get<bool>();
}

std::optional<size_t> optional_positive_int(const json& obj, const char* field) {
  const json* v = present(obj, field);
  if (!v) return std::nullopt;
  if (!v->is_number_integer() || v->get<int64_t>() < 1) {
    invalid(quoted(field) + " must be a positive integer");
  }
  return static_cast<size_t>(v->get<int64_t>());
}

const json& nonempty_array(const json& obj, const char* field) {
  const auto it = obj.find(field);
  if (it == obj.end()) invalid("missing field " + quoted(field));
  if (!it->is_array()) {
    invalid(quoted(field) + " must be an array, not " + std::string(it->type_name()));
  }
  if (it->empty()) throw ApiError(ErrorKind::kEmpty, quoted(field) + " cannot be empty");
  return *it;
}

std::vector<std::string> string_items(const json& array, const char* field) {
  std::vector<std::string> out;
  out.reserve(array.size());
  for (size_t i = 0; i < array.size(); ++i) {
    if (!array[i].is_string()) {
      invalid(item_name(field, i) + " must be a string, not " + array[i].type_name());
    }
    out.push_back(array[i].get<std::string>());
  }
  return out;
}

std::string item_name(const char* field, size_t i) {
  return quoted(field) + "[" + std::to_string(i) + "]";
}

void refuse_field(const json& obj, const char* field, std::string_view why) {
  if (present(obj, field)) invalid(quoted(field) + " is not supported: " + std::string(why));
}

float sigmoid(float logit) {
  return static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(logit))));
}

double tidy(float f) {
  if (!std::isfinite(f)) return f;
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof(buf) - 1, f);
  *r.ptr = '\0';
  return std::strtod(buf, nullptr);
}

std::vector<size_t> ranking(std::span<const float> scores) {
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  return order;
}

// Invalid UTF-8 never reaches a response (requests are validated), but never throw while
// answering either.
std::string dump(const ordered_json& v) {
  return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string error_body(ErrorKind kind, std::string_view message) {
  return dump({{"error", std::string(message)}, {"error_type", error_type(kind)}});
}

}  // namespace crossenc::server
