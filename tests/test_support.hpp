// Helpers shared by the tests: data paths, temporary folders and running the executable.
#pragma once

#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <cctype>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "canveg/errors.hpp"

namespace canveg::test {

inline std::string shared_data(const std::string& relative) { return std::string(CANVEG_SHARED_DATA) + "/" + relative; }
inline std::string trained(const std::string& name) { return shared_data("jax-canveg-trained/" + name); }
inline std::string fluxtower(const std::string& site, const std::string& file) {
  return shared_data("fluxtower/" + site + "/" + file);
}

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// The first `lines` lines of a file (header included).
inline std::string head_lines(const std::string& path, int lines) {
  std::ifstream in(path);
  std::string line, out;
  for (int i = 0; i < lines && std::getline(in, line); ++i) out += line + "\n";
  return out;
}

// A fresh folder under the system temporary folder, removed with its contents at scope exit.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "canveg-test-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  std::string write(const std::string& name, const std::string& text) const {
    write_text(file(name), text);
    return file(name);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string out, err;
};

inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Runs the canveg executable with `args` (already quoted where needed), capturing stdout/stderr.
inline CommandResult run_canveg(const std::string& args, const TempDir& dir) {
  const std::string out = dir.file("cmd.stdout"), err = dir.file("cmd.stderr");
  const std::string cmd = shell_quote(CANVEG_EXE) + " " + args + " >" + shell_quote(out) + " 2>" + shell_quote(err);
  const int status = std::system(cmd.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  r.out = read_text(out);
  r.err = read_text(err);
  return r;
}

// A GoogleTest parameter name from a model name such as "US-Bi1_PB-ML-0.5".
inline std::string test_name_of(std::string name) {
  for (char& ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return name;
}

// Each a[i] within tol of b[i], relative to max(1, |b[i]|): series read from files that differ only
// by unit conversions. `what` names the series in failures.
inline void expect_relative(const std::vector<double>& a, const std::vector<double>& b, double tol, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (std::size_t i = 0; i < a.size(); ++i)
    EXPECT_LE(std::abs(a[i] - b[i]), tol * std::max(1.0, std::abs(b[i]))) << what << " row " << i;
}

// The launcher of the MPI tests: two ranks on any machine, as root too (OpenMPI refuses root unless
// told, as in containers). In a sanitizer build LeakSanitizer is off for the ranks: OpenMPI leaves
// its own allocations at exit (in libmpi and unloaded plugins); canveg's code paths are leak-checked
// by the same tests' single-process runs.
// `call()` throws an InputError naming `field`, its message holding `text`.
template <class Call>
void expect_input_error(const Call& call, const std::string& field, const std::string& text) {
  try {
    call();
    ADD_FAILURE() << "expected InputError naming " << field;
  } catch (const InputError& e) {
    EXPECT_EQ(e.field(), field) << e.what();
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
  }
}

inline constexpr const char* kMpirunTwoRanks =
    "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 ASAN_OPTIONS=\"$ASAN_OPTIONS:detect_leaks=0\" "
    "mpirun --oversubscribe -np 2 ";

}  // namespace canveg::test
