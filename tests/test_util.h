// Test helpers: locating fixtures in tests/data and the optional ../shared folder.
#pragma once

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

namespace crossenc::test {

// Committed fixtures (tests/data), always present.
inline std::filesystem::path data_path(const std::string& rel) {
  return std::filesystem::path(CROSSENC_TEST_DATA_DIR) / rel;
}

// The project's shared folder (models, goldens, data): $CROSSENC_SHARED_DIR or ../shared
// next to the source tree. May be absent on a fresh clone.
inline std::filesystem::path shared_dir() {
  if (const char* env = std::getenv("CROSSENC_SHARED_DIR"); env && *env) return env;
  return std::filesystem::path(CROSSENC_SOURCE_DIR) / ".." / "shared";
}

inline std::filesystem::path shared_path(const std::string& rel) { return shared_dir() / rel; }

// This test program's scratch folder under the system temp dir, created on first use and removed
// with everything in it when the program exits (only by the process that made it, not by a
// forked child).
inline const std::filesystem::path& temp_dir() {
  struct Dir {
    std::filesystem::path path =
        std::filesystem::temp_directory_path() / ("crossenc_test_" + std::to_string(::getpid()));
    pid_t owner = ::getpid();
    Dir() { std::filesystem::create_directories(path); }
    ~Dir() {
      std::error_code ec;
      if (::getpid() == owner) std::filesystem::remove_all(path, ec);
    }
  };
  static const Dir dir;
  return dir.path;
}

// True when CI demands the shared files (CROSSENC_REQUIRE_SHARED=1): a missing file fails.
inline bool shared_required() {
  const char* env = std::getenv("CROSSENC_REQUIRE_SHARED");
  return env && std::string(env) == "1";
}

}  // namespace crossenc::test

// Skips the test when a shared file is missing, or fails it when CI requires shared files.
#define CROSSENC_REQUIRE_SHARED_FILE(path)                    \
  do {                                                        \
    if (!std::filesystem::exists(path)) {                     \
      if (::crossenc::test::shared_required())                \
        FAIL() << "required shared file missing: " << (path); \
      GTEST_SKIP() << "shared file not present: " << (path);  \
    }                                                         \
  } while (0)
