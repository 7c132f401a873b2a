// The CTF out folder and its write ledger across a simulated power cut at every step of a write
// (the test kit's fault-injecting file system forgets what was not fsynced), the way the outbox
// drives them: a key answered "written to F" is in F after the cut, and when the host sends every
// key again none is written into a second file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <sendsync/testkit/fault_fs.h>

#include "ctf_config.h"
#include "ctf_test_support.h"
#include "drop_folder.h"
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

// The drop folder's files under `w.drop` (any depth) whose name ends in .xml, with their content.
std::vector<std::string> XmlContents(const fs::path& drop) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(drop)) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file() && name.size() > 4 && name.substr(name.size() - 4) == ".xml")
      out.push_back(Slurp(e.path()));
  }
  return out;
}

TEST(CtfPowerCut, DropFolderTakesEachFileInOnceAndLosesNoneAtEveryPowerCut) {
  using sendsync::ctf::DropFolder;
  using sendsync::ctf::IngestLedger;
  const std::string kPrimary = "good/8201234_CTF_8214567_001.xml";
  const std::string kSecondary = "good/8734002_CTF_8734123_001.xml";
  const sendsync::sdk::Host host(nullptr);
  for (Torn torn : {Torn::kDropAll, Torn::kKeepHalf}) {
    for (int cut = 0;; ++cut) {
      ctftest::Workspace w;
      w.Drop(kPrimary);
      w.Drop(kSecondary);
      w.Drop(kPrimary, "again.xml");  // the same content under another name: never read twice
      Result<sendsync::ctf::CtfConfig> cfg = sendsync::ctf::ParseConfig(w.Config());
      ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
      FaultInjectionFileSystem ffs;
      ffs.CrashAt(cut);
      std::map<int64_t, std::string> numbered;  // seq -> sha256, as given out before the cut
      {
        DropFolder drop(*cfg, host, ffs);
        Result<IngestLedger> l = IngestLedger::Load(drop.ledger_path(), ffs);
        if (l.ok()) {
          Status st = drop.Ingest(*l);
          for (const auto& [seq, e] : l->entries()) numbered[seq] = e.sha256;
          if (st.ok()) st = drop.MarkCommitted(*l, l->max_seq() + 1);
        }
      }
      const bool finished = !ffs.crashed();
      ffs.PowerCut(torn);
      const std::string at =
          "cut " + std::to_string(cut) + " torn " + std::to_string(static_cast<int>(torn)) + ": ";
      // Every file is still somewhere in the drop folder: sendsync only moves files. (A cut
      // between the two halves of a move, link then unlink, can leave a second name; the next
      // run files it in done/ as a copy of a file already taken in, never read again.)
      EXPECT_GE(XmlContents(w.drop).size(), 3u) << at << "a dropped file was lost";
      // Run again without faults: each content has one live entry, the numbers given out before
      // the cut keep their content, and every entry's file is where the ledger says.
      DropFolder drop(*cfg, host);
      Result<IngestLedger> l = IngestLedger::Load(drop.ledger_path());
      ASSERT_TRUE(l.ok()) << at << l.status().ToString();
      ASSERT_TRUE(drop.Ingest(*l).ok()) << at;
      ASSERT_TRUE(drop.MarkCommitted(*l, l->max_seq() + 1).ok()) << at;
      for (const auto& [seq, sha] : numbered) {
        ASSERT_TRUE(l->entries().count(seq)) << at << "sequence " << seq << " was forgotten";
        EXPECT_EQ(l->entries().at(seq).sha256, sha) << at << "sequence " << seq << " changed";
      }
      std::map<std::string, int> live;
      for (const auto& [seq, e] : l->entries()) {
        if (!e.lost.empty()) continue;
        ++live[e.sha256];
        EXPECT_TRUE(drop.Locate(e).ok()) << at << "sequence " << seq << " is not at " << e.path;
      }
      EXPECT_EQ(live.size(), 2u) << at;
      for (const auto& [sha, n] : live) EXPECT_EQ(n, 1) << at << sha << " taken in twice";
      std::set<std::string> contents;
      for (const std::string& c : XmlContents(w.drop)) contents.insert(c);
      EXPECT_EQ(contents, (std::set<std::string>{Slurp(ctftest::Fixture(kPrimary)),
                                                 Slurp(ctftest::Fixture(kSecondary))}))
          << at << "a file was lost or changed";
      EXPECT_TRUE(drop.WaitingFiles().empty()) << at;
      if (finished) break;
      ASSERT_LT(cut, 200);
    }
  }
}

}  // namespace
