// The CTF out folder and its write ledger across a simulated power cut at every step of a write
// (the test kit's fault-injecting file system forgets what was not fsynced), the way the outbox
// drives them: a key answered "written to F" is in F after the cut, and when the host sends every
// key again none is written into a second file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <sendsync/testkit/fault_fs.h>

#include "out_ledger.h"

namespace {

namespace fs = std::filesystem;
using sendsync::Result;
using sendsync::Status;
using sendsync::ctf::OutLedger;
using sendsync::testkit::FaultInjectionFileSystem;
using Torn = FaultInjectionFileSystem::Torn;

const std::string kPrefix = "8201234_CTF_8214567_";
const std::vector<std::vector<std::string>> kBatches = {{"k1", "k2"}, {"k3"}};

std::string Content(const std::vector<std::string>& keys) {
  std::string c = "<CTfile>";
  for (const std::string& k : keys) c += "<Pupil>" + k + "</Pupil>";
  return c + "</CTfile>\n";
}

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// As CtfOutbox::Write does: keys already in the ledger are answered from it, the rest of a batch
// goes into the next numbered file. Returns key -> file for the keys answered.
std::map<std::string, std::string> Deliver(const fs::path& out, sendsync::sdk::FileSystem& fs) {
  std::map<std::string, std::string> answered;
  Result<OutLedger> ledger = OutLedger::Load(out, fs);
  if (!ledger.ok()) return answered;
  for (const auto& batch : kBatches) {
    std::vector<std::string> todo;
    for (const std::string& k : batch) {
      if (auto f = ledger->FileFor(k))
        answered[k] = *f;
      else
        todo.push_back(k);
    }
    if (todo.empty()) continue;
    char number[16];
    std::snprintf(number, sizeof number, "%03d", ledger->NextNumber(kPrefix));
    const std::string file = kPrefix + number + ".xml";
    if (!ledger->WriteFile(file, Content(todo), todo).ok()) continue;
    for (const std::string& k : todo) answered[k] = file;
  }
  return answered;
}

TEST(CtfPowerCut, OutFolderAndLedgerLoseNothingWrittenAndRepeatNothing) {
  static std::atomic<int> n{0};
  const fs::path root =
      fs::temp_directory_path() / ("sendsync-ctf-cut-" + std::to_string(::getpid()));
  for (Torn torn : {Torn::kDropAll, Torn::kKeepHalf}) {
    for (int cut = 0;; ++cut) {
      const fs::path out = root / std::to_string(++n);
      fs::remove_all(out);
      fs::create_directories(out);
      FaultInjectionFileSystem ffs;
      ffs.CrashAt(cut);
      std::map<std::string, std::string> before = Deliver(out, ffs);
      const bool finished = !ffs.crashed();
      ffs.PowerCut(torn);
      const std::string at =
          "cut " + std::to_string(cut) + " torn " + std::to_string(static_cast<int>(torn)) + ": ";
      // Every key answered before the cut is in the file it was answered with.
      for (const auto& [key, file] : before)
        EXPECT_NE(Slurp(out / file).find("<Pupil>" + key + "</Pupil>"), std::string::npos)
            << at << key << " was answered as written to " << file << " but is not there";
      // The host sends everything again: the same answers, and each key in exactly one file.
      std::map<std::string, std::string> after = Deliver(out, sendsync::sdk::RealFileSystem());
      ASSERT_EQ(after.size(), 3u) << at;
      for (const auto& [key, file] : before) EXPECT_EQ(after[key], file) << at << key;
      std::map<std::string, int> seen;
      for (const auto& e : fs::directory_iterator(out)) {
        const std::string name = e.path().filename().string();
        if (name.size() < 4 || name.substr(name.size() - 4) != ".xml") continue;
        const std::string text = Slurp(e.path());
        for (const auto& batch : kBatches)
          for (const std::string& k : batch)
            if (text.find("<Pupil>" + k + "</Pupil>") != std::string::npos) ++seen[k];
        EXPECT_EQ(text.substr(0, 8), "<CTfile>") << at << name << " is not whole";
        EXPECT_EQ(text.back(), '\n') << at << name << " is not whole";
      }
      for (const auto& [key, file] : after) EXPECT_EQ(seen[key], 1) << at << key;
      if (finished) break;
      ASSERT_LT(cut, 100);
    }
  }
  fs::remove_all(root);
}

}  // namespace
