// The three-link school that scripts/demo.sh runs (issue 5), set up for end-to-end tests from
// the same data files (scripts/demo/): Meadowbank Primary School (URN 100001, LAESTAB 8202001)
// with
//   mis            the school's MIS through the mis-api adapter, served by sendsync-sim-mis-api on
//                  127.0.0.1 (scripts/demo/mis-school.json); reads pupils, SEN and reviews, writes
//                  SEN back; owns the pupils' identity fields
//   ctf            a CTF drop folder (ctf adapter) where the LA's CTFs arrive; reads pupils and SEN
//   provision-map  a provision-mapping tool's CSV exports (csv adapter): its pupil list and its
//                  provision map, with a code map from its "Area of Need" wording to broad areas
// The MIS token is a secret, so the link's config holds only the reference
// env:MEADOWBANK_MIS_TOKEN. For tests in tests/e2e; each test gets its own folder, store and
// simulator.
#pragma once

#include <string>

#include <gtest/gtest.h>

#include "e2e_support.h"

namespace sendsync::e2e {

class DemoSchool {
 public:
  static constexpr const char* kUrn = "100001";
  static constexpr const char* kMisToken = "meadowbank-demo-token";

  explicit DemoSchool(const fs::path& dir);

  // Copies the demo data into the folder, starts the MIS simulator, creates the store and adds
  // the three links. Fails (with the reason) when any step does.
  ::testing::AssertionResult SetUp();

  // The LA's second CTF (scripts/demo/ctf-later/) arrives in the drop folder.
  void DropLaterCtf() const;
  // Someone edits a student's SEN status in the MIS (the simulator's control endpoint).
  ::testing::AssertionResult EditMisSenStatus(const std::string& student_id,
                                              const json& status) const;
  // A student as the MIS holds it now (load form: sen_status, sen_needs, …); null when absent.
  json MisStudent(const std::string& student_id) const;
  // The write-backs the MIS applied: {"write_backs": [...], "applications": {key: count}}.
  json MisWriteBacks() const;

  const Cli& cli() const { return cli_; }
  const SimProcess& mis() const { return mis_; }
  fs::path ctf_drop() const { return dir_ / "ctf-in"; }
  fs::path exports() const { return dir_ / "provision-map"; }

 private:
  ::testing::AssertionResult AddLink(const std::string& name, const std::string& adapter,
                                     const json& config, const std::string& settings_file) const;

  fs::path dir_;
  Cli cli_;
  SimProcess mis_;
};

// The demo's data folder in the source tree.
fs::path DemoData();

}  // namespace sendsync::e2e
