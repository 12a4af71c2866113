// Fuzzing target: the command-line parser. The input is split at NUL bytes into arguments and
// parsed by the program's own command line (src/cli/main.cpp) in its parse-only mode, which checks
// every option and validator but runs no command and writes no file. A parse error returns the
// usage exit status; an InputError (a bad --units or --column value) is the expected refusal.
#include <vector>

#define main canveg_program_main  // the program's own entry point, unused here
#include "cli/main.cpp"
#undef main

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  static bool quiet = [] {
    // --help and --version print on stdout; keep the fuzzer's log readable.
    return std::freopen("/dev/null", "w", stdout) != nullptr;
  }();
  (void)quiet;
  std::vector<std::string> words{"canveg"};
  std::string word;
  for (std::size_t i = 0; i < size; ++i) {
    if (data[i] == 0) {
      words.push_back(word);
      word.clear();
    } else {
      word += static_cast<char>(data[i]);
    }
  }
  if (!word.empty()) words.push_back(word);
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  try {
    (void)run_cli(static_cast<int>(words.size()), argv.data(), CliMode::ParseOnly);
  } catch (const canveg::InputError&) {
  }
  return 0;
}
