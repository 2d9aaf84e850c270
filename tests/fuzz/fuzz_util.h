// Helpers shared by the libFuzzer targets: input slicing, invariant checks, scratch files.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace crossenc::fuzz {

// A broken invariant: print it and abort, so libFuzzer saves the input as a crash.
[[noreturn]] inline void fail(const std::string& what) {
  std::fprintf(stderr, "FUZZ INVARIANT BROKEN: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

inline void require(bool ok, const std::string& what) {
  if (!ok) fail(what);
}

// Takes fixed-size fields from the front of the input; missing bytes read as zero.
class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}
  uint8_t u8() { return p_ < end_ ? *p_++ : 0; }
  uint16_t u16() {
    const uint16_t lo = u8();
    return static_cast<uint16_t>(lo | (u8() << 8));
  }
  // Up to n bytes (fewer at the end of the input).
  std::string_view take(size_t n) {
    n = std::min(n, remaining());
    std::string_view s(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return s;
  }
  std::string_view rest() { return take(remaining()); }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

// Strict UTF-8 (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF).
inline bool valid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  auto cont = [](unsigned char b) { return (b & 0xC0) == 0x80; };
  while (p < end) {
    const unsigned char b = *p;
    size_t n = 0;
    if (b < 0x80) {
      n = 1;
    } else if (b >= 0xC2 && b <= 0xDF) {
      n = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
      n = 3;
    } else if (b >= 0xF0 && b <= 0xF4) {
      n = 4;
    } else {
      return false;
    }
    if (static_cast<size_t>(end - p) < n) return false;
    for (size_t i = 1; i < n; ++i) {
      if (!cont(p[i])) return false;
    }
    if (n == 3 && b == 0xE0 && p[1] < 0xA0) return false;
    if (n == 3 && b == 0xED && p[1] > 0x9F) return false;
    if (n == 4 && b == 0xF0 && p[1] < 0x90) return false;
    if (n == 4 && b == 0xF4 && p[1] > 0x8F) return false;
    p += n;
  }
  return true;
}

// A per-process scratch folder under the temp directory, removed at exit.
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    auto d =
        std::filesystem::temp_directory_path() / ("crossenc_fuzz_" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(
          std::filesystem::temp_directory_path() / ("crossenc_fuzz_" + std::to_string(::getpid())),
          ec);
    });
    return d;
  }();
  return dir;
}

inline void write_file(const std::filesystem::path& p, std::string_view bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) fail("cannot write scratch file " + p.string());
}

// Splits on a separator that seed files put between the parts of a multi-file input.
inline std::vector<std::string_view> split(std::string_view s, std::string_view sep) {
  std::vector<std::string_view> parts;
  for (;;) {
    const size_t at = s.find(sep);
    if (at == std::string_view::npos) {
      parts.push_back(s);
      return parts;
    }
    parts.push_back(s.substr(0, at));
    s.remove_prefix(at + sep.size());
  }
}

// Separator of the converter fuzzer's multi-file input (see converter_fuzz.cc).
inline constexpr std::string_view kPartSeparator = "\n%%CROSSENC-FUZZ-PART%%\n";

}  // namespace crossenc::fuzz
