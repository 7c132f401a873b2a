// Helpers the ctf adapter's tests share: fresh drop and out folders, opening the built ctf.so (as
// the host does in-process, through its C table), calling read and write, and finding fixtures.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sendsync/testkit/conformance.h"

namespace ctftest {

namespace fs = std::filesystem;
using nlohmann::json;

std::string PluginPath();
// A fixture file: "good/8201234_CTF_8214567_001.xml", "broken/truncated.xml".
fs::path Fixture(const std::string& relative);
std::string ReadText(const fs::path& path);
// 1-based number of the line holding the `nth` (1-based) occurrence of `needle` in `path`.
int LineOf(const fs::path& path, const std::string& needle, int nth = 1);
// Every regular file under `dir`, recursively, as paths relative to it, sorted.
std::vector<std::string> FilesUnder(const fs::path& dir);

// A temporary drop folder and out folder, removed when the test process ends.
struct Workspace {
  Workspace();
  fs::path root, drop, out;
  // drop_folder, out_folder, source 820/1234, destination 821/4567, settle 0, plus `extra`.
  json Config(const json& extra = json::object()) const;
  // Copies a fixture into the drop folder (under `as` when given) and returns its path there.
  fs::path Drop(const std::string& fixture, const std::string& as = "") const;
};

std::unique_ptr<sendsync::testkit::Caller> Open(const json& config, std::string* error = nullptr);

// One read call; fails the test unless the adapter answered OK.
json Read(sendsync::testkit::Caller& c, const std::string& kind, const std::string& cursor = "",
          size_t limit = 500);

// Reads `kind` from `cursor` page by page until "more" is false. Returns
// {"records": [...], "rejects": [...], "next_cursor": "...", "pages": n}.
json ReadAll(sendsync::testkit::Caller& c, const std::string& kind, const std::string& cursor = "",
             size_t limit = 500);

// The record in `records` whose "upn" (pupil) or "pupil.upn" (sen) is `upn`; null when none.
json ByUpn(const json& records, const std::string& upn);

// One write call with `changes`; fails the test unless the adapter answered OK. Returns "results".
// (A vector, not a json, so that {one_change} is a list of one and not the change itself.)
json Write(sendsync::testkit::Caller& c, const std::string& kind, const std::vector<json>& changes);

// A canonical pupil record with a valid UPN.
json PupilRecord(const std::string& upn, const std::string& surname = "Hughes",
                 const std::string& forename = "Amelia");
// A canonical sen record for `upn`: K from 2022-09-05, need SLCN rank 1.
json SenRecord(const std::string& upn);
// A sen change carrying its pupil in the context, as the host sends it.
json SenChange(const std::string& key, const std::string& upn);

// A valid UPN for school 820/1234 with serial `n` (0..99999), check letter computed.
std::string MakeUpn(int n);

}  // namespace ctftest
