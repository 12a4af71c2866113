// An interrupted command leaves no partial output and no temporary file: every command that
// writes (run, dij, sensitivity, train) is stopped by SIGTERM part-way and its folder inspected.
#include <signal.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "test_support.hpp"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using canveg::test::read_text;
using canveg::test::TempDir;

std::string model_file(const std::string& name) {
  return std::string(CANVEG_SHARED_DATA) + "/jax-canveg-trained/" + name;
}
std::string site_file(const std::string& site, const std::string& name) {
  return std::string(CANVEG_SHARED_DATA) + "/fluxtower/" + site + "/" + name;
}

// The names in `folder`, as a user listing it would see them (hidden files included).
std::vector<std::string> listing(const fs::path& folder) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(folder)) names.push_back(entry.path().filename().string());
  return names;
}

bool has_temporary(const fs::path& folder) {
  for (const std::string& name : listing(folder))
    if (name.find(".tmp") != std::string::npos) return true;
  return false;
}

// Starts canveg with `args` in `folder` (stdout and stderr to files there), waits until `ready`
// says the command is at work (or `patience` passes), sends SIGTERM and returns the wait status.
template <class Ready>
int interrupt(const std::vector<std::string>& args, const fs::path& folder, Ready ready,
              std::chrono::milliseconds patience) {
  std::vector<std::string> words{CANVEG_EXE};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, (folder / "../interrupted.stdout").c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, (folder / "../interrupted.stderr").c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  EXPECT_EQ(spawned, 0);
  if (spawned != 0) return -1;
  const auto start = std::chrono::steady_clock::now();
  while (!ready() && std::chrono::steady_clock::now() - start < patience)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

void expect_killed_by_sigterm(int status) {
  ASSERT_TRUE(WIFSIGNALED(status)) << "the command finished before the signal (status " << status
                                   << "): make its work longer";
  EXPECT_EQ(WTERMSIG(status), SIGTERM);
}

class CliInterrupt : public ::testing::Test {
 protected:
  TempDir dir_;
  fs::path out_ = dir_.path() / "out";
  void SetUp() override { fs::create_directories(out_); }
};

// `run` over a 50-layer model's full test period (tens of seconds): interrupted once it reports
// progress, with its temporary output open.
TEST_F(CliInterrupt, RunLeavesNoFile) {
  const fs::path folder = out_;
  const int status = interrupt({"run", "--model", model_file("US-Bi1_Hybrid-ML-0.5.json"), "--forcing",
                                site_file("US-Bi1", "US-Bi1-forcings-test.csv"), "--output",
                                (folder / "fluxes.csv").string(), "--threads", "1"},
                               folder,
                               [&] {
                                 return has_temporary(folder) &&
                                        read_text((folder / "../interrupted.stderr").string()).find("running") !=
                                            std::string::npos;
                               },
                               std::chrono::seconds(20));
  expect_killed_by_sigterm(status);
  EXPECT_TRUE(listing(folder).empty()) << "left behind: " << testing::PrintToString(listing(folder));
}

// `dij` writes only at the end; interrupted while the particles travel.
TEST_F(CliInterrupt, DijLeavesNoFile) {
  const fs::path folder = out_;
  const int status =
      interrupt({"dij", "--canopy-height", "10", "--measurement-height", "20", "--canopy-layers", "50",
                 "--atmos-layers", "50", "--particles", "1e7", "--threads", "1", "--output", (folder / "Dij.csv").string()},
                folder, [] { return false; }, std::chrono::milliseconds(1500));
  expect_killed_by_sigterm(status);
  EXPECT_TRUE(listing(folder).empty()) << "left behind: " << testing::PrintToString(listing(folder));
}

// `sensitivity` (the exact gradient over a full test period) with a CSV output.
TEST_F(CliInterrupt, SensitivityLeavesNoFile) {
  const fs::path folder = out_;
  const int status = interrupt({"sensitivity", "--model", model_file("US-Bi1_Hybrid-ML-0.5.json"), "--forcing",
                                site_file("US-Bi1", "US-Bi1-forcings-test.csv"), "--observed",
                                site_file("US-Bi1", "US-Bi1-fluxes-test.csv"), "--output",
                                (folder / "sensitivity.csv").string(), "--threads", "1"},
                               folder, [] { return false; }, std::chrono::milliseconds(1500));
  expect_killed_by_sigterm(status);
  EXPECT_TRUE(listing(folder).empty()) << "left behind: " << testing::PrintToString(listing(folder));
}

// `train`: the trained model and its history appear only at the end; a checkpoint written after
// an epoch is a complete file by design (--resume), and no temporary file may remain.
TEST_F(CliInterrupt, TrainLeavesNoPartialFile) {
  const fs::path folder = out_;
  const int status = interrupt({"train", "--model", model_file("US-Bi1_Hybrid-ML-0.5.json"), "--forcing",
                                site_file("US-Bi1", "US-Bi1-forcings.csv"), "--observed",
                                site_file("US-Bi1", "US-Bi1-fluxes.csv"), "--output",
                                (folder / "trained.json").string(), "--epochs", "50", "--threads", "1"},
                               folder, [] { return false; }, std::chrono::milliseconds(2500));
  expect_killed_by_sigterm(status);
  for (const std::string& name : listing(folder)) {
    EXPECT_EQ(name.find(".tmp"), std::string::npos) << name;
    EXPECT_NE(name, "trained.json");
    EXPECT_NE(name, "trained-history.csv");
  }
}

}  // namespace
