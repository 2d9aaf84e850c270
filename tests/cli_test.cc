// The crossenc command line, run as a user would: outputs, exit codes and error messages.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "crossenc/engine.h"
#include "crossenc/model_file.h"
#include "test_util.h"

namespace {

namespace fs = std::filesystem;

struct Result {
  int code;
  std::string out, err;
};

fs::path work_dir() {
  static const fs::path dir = [] {
    auto d = ::crossenc::test::temp_dir() / "cli";
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// Runs `crossenc ARGS` with optional stdin text through the shell.
Result run(const std::string& args, const std::string& stdin_text = "") {
  const auto in = work_dir() / "stdin", out = work_dir() / "stdout", err = work_dir() / "stderr";
  std::ofstream(in, std::ios::binary) << stdin_text;
  const std::string cmd = std::string(CROSSENC_CLI_PATH) + " " + args + " < " + in.string() +
                          " > " + out.string() + " 2> " + err.string();
  const int status = std::system(cmd.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
}

const std::string& model() {
  static const std::string path = [] {
    const auto p = work_dir() / "tiny.cenc";
    const auto r =
        run("convert " + crossenc::test::data_path("tiny-random").string() + " " + p.string());
    EXPECT_EQ(r.code, 0) << r.err;
    return p.string();
  }();
  return path;
}

std::vector<nlohmann::json> json_lines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

TEST(Cli, HelpForEveryCommand) {
  for (const char* cmd : {"", "convert", "info", "tokenize", "score", "rank", "bench", "serve"}) {
    const auto r = run(std::string(cmd) + " --help");
    EXPECT_EQ(r.code, 0) << cmd;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << cmd;
  }
}

// A bare `crossenc` prints the help; a wrong command line exits 2 and names the unknown word with
// the nearest command or flag; a failed command exits 1.
TEST(Cli, WrongCommandLinesNameTheWordAndSuggestTheNearest) {
  Result r = run("");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("Exit codes"), std::string::npos) << r.out;
  r = run("rnak");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("unknown command 'rnak'; did you mean 'rank'?"), std::string::npos) << r.err;
  r = run("frobnicate");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("unknown command 'frobnicate'"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("did you mean"), std::string::npos) << r.err;
  r = run("score --modle " + model());
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("unknown option '--modle' for 'crossenc score'; did you mean '--model'?"),
            std::string::npos)
      << r.err;
  r = run("rank -m " + model() + " --max-window=2 -q q");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("did you mean '--max-windows'?"), std::string::npos) << r.err;
  r = run("score --batch-size x -m " + model());
  EXPECT_EQ(r.code, 2) << r.err;  // CLI11's own checks are usage errors too
  EXPECT_EQ(run("info /no/such/model.cenc").code, 1);
}

TEST(Cli, ConvertAndInfo) {
  const auto r = run("info " + model());
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("crossenc v" + std::to_string(crossenc::kModelFormatVersion)),
            std::string::npos);
  EXPECT_NE(r.out.find("layers 2, hidden 32, heads 2"), std::string::npos);
  EXPECT_NE(r.out.find("layer.1.ffn.out.weight"), std::string::npos);
  EXPECT_NE(r.out.find("tensors (33)"), std::string::npos);
  const auto f16 = (work_dir() / "tiny16.cenc").string();
  ASSERT_EQ(run("convert " + crossenc::test::data_path("tiny-random").string() + " " + f16 +
                " --dtype f16")
                .code,
            0);
  EXPECT_NE(run("info " + f16).out.find("weights f16"), std::string::npos);
  const auto devices = run("info --devices");
  EXPECT_EQ(devices.code, 0);
  EXPECT_NE(devices.out.find("AMX-BF16 "), std::string::npos) << devices.out;  // yes or no
}

// convert --dtype int8 --calibrate: GPTQ rounding from a pairs file, and its misuses refused
// with a message that says what to do.
TEST(Cli, ConvertInt8WithCalibration) {
  const std::string hf = crossenc::test::data_path("tiny-random").string();
  const std::string pairs = std::string(CROSSENC_SOURCE_DIR) + "/examples/calibration_dl19.jsonl";
  const auto out = (work_dir() / "tiny-gptq.cenc").string();
  auto r = run("convert " + hf + " " + out + " --dtype int8 --calibrate " + pairs +
               " --calibrate-pairs 8 --threads 2");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("calibration: 8 pairs, "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("int8 weights (GPTQ-rounded)"), std::string::npos) << r.err;
  const auto scored = run("score -m " + out + " --dtype int8 -i -",
                          R"({"query": "what is a flea", "passage": "A flea is an insect."})");
  ASSERT_EQ(scored.code, 0) << scored.err;

  r = run("convert " + hf + " " + out + " --calibrate " + pairs);  // f32
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("--calibrate goes with --dtype int8"), std::string::npos) << r.err;
  r = run("convert " + hf + " " + out + " --dtype int8 --calibrate " + pairs +
          " --calibrate-pairs 33");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("has 32 pairs; --calibrate-pairs asks for 33"), std::string::npos) << r.err;
  r = run("convert " + hf + " " + out + " --dtype int8 --calibrate -", "{\"query\": \"q\"}\n");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("-:1: missing field \"passage\""), std::string::npos) << r.err;
  r = run("convert " + hf + " " + out + " --dtype int8 --calibrate - --calibrate-pairs 1",
          "{\"input_ids\": [101, 999999, 102]}\n");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("-: token id 999999 is outside the vocabulary"), std::string::npos) << r.err;
  r = run("convert " + hf + " " + out + " --dtype int8 --calibrate - --calibrate-pairs 1",
          "{\"query\": \"q\xff\", \"passage\": \"p\"}\n");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("-:1: invalid UTF-8"), std::string::npos) << r.err;
  r = run("convert " + hf + " " + out + " --dtype int8 --calibrate /no/such/pairs.jsonl");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("/no/such/pairs.jsonl"), std::string::npos) << r.err;
}

// --progress into a file or pipe (not a terminal): whole lines, no carriage returns, and a
// summary at the end.
TEST(Cli, ProgressIntoAFileIsLinesAndASummary) {
  std::string input;
  for (int i = 0; i < 40; ++i) {
    input += R"({"query": "what is a flea", "passage": "A flea is an insect )" + std::to_string(i) +
             "\"}\n";
  }
  const auto r = run("score -m " + model() + " -i - --progress", input);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err.find('\r'), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("done: 40 pairs in "), std::string::npos) << r.err;
  EXPECT_EQ(r.err.back(), '\n');
}

TEST(Cli, ScoreKeepsFieldsAndOrder) {
  const std::string input =
      R"({"id": 1, "query": "what is a flea", "passage": "A flea is an insect."})"
      "\n"
      R"({"id": 2, "query": "berlin", "passage": "Berlin is a city.", "extra": [1, 2]})"
      "\n"
      R"({"id": 3, "input_ids": [101, 2054, 102, 4068, 102], "token_type_ids": [0, 0, 0, 1, 1]})"
      "\n";
  const auto r = run("score -m " + model() + " -i -", input);
  ASSERT_EQ(r.code, 0) << r.err;
  const auto lines = json_lines(r.out);
  ASSERT_EQ(lines.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(lines[i]["id"], i + 1);
    EXPECT_TRUE(lines[i]["score"].is_number_float());
  }
  EXPECT_EQ(lines[1]["extra"], nlohmann::json({1, 2}));
  // The same pair as text and as ids scores the same.
  const auto as_text =
      run("score -m " + model() + " -i -", R"({"query": "what", "passage": "berlin"})");
  // (Within float rounding: a different batch may take a different GEMM blocking.)
  EXPECT_NEAR(json_lines(as_text.out)[0]["score"].get<double>(), lines[2]["score"].get<double>(),
              1e-5);
}

TEST(Cli, TokenizeAddsIds) {
  const auto r =
      run("tokenize -m " + model() + " -i - --max-length 6",
          R"({"query": "How many people live in Berlin?", "passage": "Berlin", "k": "v"})");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = json_lines(r.out).at(0);
  EXPECT_EQ(j["k"], "v");
  EXPECT_EQ(j["input_ids"].size(), 6u);
  EXPECT_EQ(j["input_ids"][0], 101);
  EXPECT_EQ(j["token_type_ids"].back(), 1);
}

TEST(Cli, BadLinesAreNamedAndNothingIsWritten) {
  const auto out = work_dir() / "bad_out.jsonl";
  const std::string input = std::string(R"({"query": "a", "passage": "b"})") + "\n" +
                            "{not json\n" + R"({"query": "a"})" + "\n" +
                            "{\"query\": \"a\", \"passage\": \"\xff\"}\n" +
                            R"({"query": 5, "passage": "b"})" + "\n";
  const auto r = run("score -m " + model() + " -i - -o " + out.string(), input);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("-:2: malformed JSON"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("-:3: missing field \"passage\""), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("-:4: invalid UTF-8"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("-:5: field \"query\" must be a string"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out)) << "partial output written";

  const auto skip =
      run("score -m " + model() + " -i - -o " + out.string() + " --skip-invalid", input);
  EXPECT_EQ(skip.code, 3);
  const auto lines = json_lines(slurp(out));
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_TRUE(lines[0].contains("score"));
  EXPECT_EQ(lines[1]["line"], 2);
  EXPECT_TRUE(lines[1].contains("error"));
}

TEST(Cli, MissingFilesAndCorruptModels) {
  auto r = run("score -m " + model() + " -i /nonexistent.jsonl");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("cannot read"), std::string::npos) << r.err;
  r = run("score -m /nonexistent.cenc -i -", "");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("does not exist"), std::string::npos) << r.err;
  auto bytes = slurp(model());
  bytes[bytes.size() / 2] ^= 0x5a;
  const auto corrupt = work_dir() / "corrupt.cenc";
  std::ofstream(corrupt, std::ios::binary) << bytes;
  r = run("rank -m " + corrupt.string() + " -q q p1 p2");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("corrupt"), std::string::npos) << r.err;
  std::ofstream(work_dir() / "trunc.cenc", std::ios::binary) << bytes.substr(0, 1000);
  r = run("info " + (work_dir() / "trunc.cenc").string());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("truncated"), std::string::npos) << r.err;
}

TEST(Cli, RankPrintsBestFirst) {
  const auto passages = work_dir() / "passages.txt";
  std::ofstream(passages) << "A flea is an insect.\nBerlin is a city.\n\nParis is in France.\n";
  auto r = run("rank -m " + model() + " -q 'what is a flea' -p " + passages.string() + " --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.size(), 3u);
  EXPECT_GE(j[0]["score"].get<double>(), j[1]["score"].get<double>());
  EXPECT_EQ(j[0]["rank"], 1);
  r = run("rank -m " + model() + " -q 'what is a flea' -k 1 'first passage' 'second passage'");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("rank"), std::string::npos);
  EXPECT_NE(r.err.find("ranked 2 passages"), std::string::npos);
  EXPECT_EQ(run("rank -m " + model() + " -q q").code, 1);  // no passages
}

// --max-windows and --truncation-side give what the Engine gives with the same options.
TEST(Cli, LongPassagesTruncateOrScoreAsTheirBestWindow) {
  const std::string query = "which fox jumps";
  std::string passage;
  for (int j = 0; j < 1500; ++j) {
    passage.append("fox").append(std::to_string(j * 7919 % 1000)).append(" jumps ");
  }
  const std::string input = nlohmann::json{{"query", query}, {"passage", passage}}.dump() + "\n";
  const auto cli_score = [&](const std::string& flags) {
    const Result r = run("score -m " + model() + " --threads 2 " + flags + " -i -", input);
    EXPECT_EQ(r.code, 0) << r.err;
    return r.code == 0 ? json_lines(r.out).at(0)["score"].get<float>() : 0.0f;
  };
  const auto engine_score = [&](crossenc::LongPairOptions o) {
    auto e = crossenc::Engine::open(model(), {.threads = 2, .long_pairs = o});
    return e.score({{query, passage}})[0];
  };
  const float truncated = cli_score("");
  EXPECT_NEAR(truncated, engine_score({}), 1e-5);
  const float best = cli_score("--max-windows 20");
  EXPECT_NEAR(best, engine_score({.max_windows = 20}), 1e-5);
  EXPECT_GT(best, truncated + 1e-4);  // the best window is not the first here
  const float left = cli_score("--truncation-side left");
  EXPECT_NEAR(left, engine_score({.side = crossenc::TruncationSide::kLeft}), 1e-5);
  EXPECT_GT(std::fabs(left - truncated), 1e-4);
  // rank takes the same flags.
  const auto passages = work_dir() / "long_passage.txt";
  std::ofstream(passages) << passage << "\n";
  const Result r = run("rank -m " + model() + " --threads 2 --max-windows 20 -q '" + query +
                       "' -p " + passages.string() + " --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NEAR(nlohmann::json::parse(r.out)[0]["score"].get<float>(), best, 1e-5);
  // Bad values are refused by name.
  for (const char* bad : {"--max-windows 0", "--truncation-side middle"}) {
    const Result b = run("score -m " + model() + " " + bad + " -i -", input);
    EXPECT_NE(b.code, 0) << bad;
    EXPECT_NE(b.err.find(std::string(bad).substr(0, std::string(bad).find(' '))), std::string::npos)
        << b.err;
  }
}

TEST(Cli, RankNamesTheBadPassageLineAndRefusesFolders) {
  // Line 3 (after a blank line) holds invalid UTF-8: the message gives file:line.
  const auto passages = work_dir() / "bad_passages.txt";
  std::ofstream(passages, std::ios::binary) << "fine\n\nbad \xff here\n";
  auto r = run("rank -m " + model() + " -q q -p " + passages.string());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(passages.string() + ":3: invalid UTF-8 in passage at byte offset 4"),
            std::string::npos)
      << r.err;
  r = run("rank -m " + model() + " -q q ok \"$(printf 'bad \\377')\"");  // /bin/sh: no $'..'

  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("passage 2: invalid UTF-8"), std::string::npos) << r.err;
  for (const std::string& cmd : {"rank -m " + model() + " -q q -p " + work_dir().string(),
                                 "score -m " + model() + " -i " + work_dir().string()}) {
    r = run(cmd);
    EXPECT_EQ(r.code, 1) << cmd;
    EXPECT_NE(r.err.find("is a folder; expected a file"), std::string::npos) << r.err;
  }
}

TEST(Cli, BenchPrintsOneJsonLine) {
  const auto r = run("bench -m " + model() + " --pairs " +
                     crossenc::test::data_path("scores_tiny_sample.jsonl").string() +
                     " --batch 8 --warmup 1 --sort --ref " +
                     crossenc::test::data_path("scores_tiny_sample.jsonl").string());
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_GT(j["pairs_per_s"].get<double>(), 0);
  EXPECT_EQ(j["batch"], 8);
  EXPECT_EQ(j["sorted"], true);
  EXPECT_LT(j["max_abs_diff"].get<double>(), 1e-4);
}

}  // namespace

// --profile prints a per-op table to stderr after the run, on the CPU and on Vulkan.
TEST(Cli, ProfilePrintsAPerOpTable) {
  const std::string input = R"({"query": "what is a flea", "passage": "A flea is an insect."})";
  const auto expect_table = [](const Result& r, const std::string& backend) {
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.err.find(backend + " "), std::string::npos) << r.err;
    for (const char* op : {"embed", "gemm", "attention", "total"})
      EXPECT_NE(r.err.find(op), std::string::npos) << op << " missing in\n" << r.err;
    EXPECT_NE(r.err.find('%'), std::string::npos) << "no share column in\n" << r.err;
  };
  expect_table(run("score --profile -m " + model() + " -i -", input), "cpu");
  // Without --profile nothing of the kind is printed.
  EXPECT_EQ(run("score -m " + model() + " -i -", input).err.find("per op"), std::string::npos);

  const bool vulkan = run("info --devices").out.find("vulkan 0 ") != std::string::npos;
  const char* require = std::getenv("CROSSENC_REQUIRE_VULKAN");
  if (!vulkan) {
    if (require && std::string(require) == "1") FAIL() << "CROSSENC_REQUIRE_VULKAN=1, no device";
    GTEST_SKIP() << "no Vulkan device: the Vulkan half is not run";
  }
  expect_table(run("score --profile --backend vulkan -m " + model() + " -i -", input), "vulkan");
}
