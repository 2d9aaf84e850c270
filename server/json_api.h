// JSON helpers every HTTP API shares: body parsing with client-facing errors, typed field
// readers that name the field, score formatting and ranking. Route shapes live in server/api/.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "api_error.h"

namespace crossenc::server {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;  // responses keep their fields in a readable order

[[noreturn]] void invalid(const std::string& message);  // ApiError(kInvalid)

// The body as JSON: kMalformed when it is not JSON, kInvalid when it is not UTF-8.
json parse_body(std::string_view body);
// The same, and kInvalid unless it is an object.
json parse_object(std::string_view body);

// Typed readers of obj[field]; each throws kInvalid naming the field. "Absent" includes null.
std::string string_field(const json& obj, const char* field);
std::optional<std::string> optional_string(const json& obj, const char* field);
std::optional<bool> optional_bool(const json& obj, const char* field);
std::optional<size_t> optional_positive_int(const json& obj, const char* field);
// A non-empty array (kEmpty when empty).
const json& nonempty_array(const json& obj, const char* field);
// [strings], naming the item: "texts"[2] must be a string.
std::vector<std::string> string_items(const json& array, const char* field);
// "\"texts\"[2]"
std::string item_name(const char* field, size_t i);

// Refuses (kInvalid) a parameter of the imitated API that crossenc does not honour, when it is
// present and not null: a client must not believe it took effect.
void refuse_field(const json& obj, const char* field, std::string_view why);

float sigmoid(float logit);
// The shortest decimal that reads back as the same float: 0.8125 rather than 0.8125000000000.
double tidy(float f);
// Positions sorted by descending score; equal scores keep input order.
std::vector<size_t> ranking(std::span<const float> scores);
// Compact JSON text; never throws.
std::string dump(const ordered_json& v);

// TEI's error body {"error": message, "error_type": ...}.
std::string error_body(ErrorKind kind, std::string_view message);

}  // namespace crossenc::server
