// The in-memory school behind the MIS API simulator: students with their SEN status, needs and
// reviews, an updated_at stamp per student, and a log of deletions. For the simulator only; the
// HTTP side (mis_api_sim.h) owns locking.
//
// Load format (what --data FILE and PUT /_sim-mis/school take, and GET /_sim-mis/school gives):
//   {"school": {"id": "SCH-1", "name": "...", "urn": "...", "la_code": "820",
//               "establishment_number": "1234"},
//    "students": [{"id": "STU-0001", "upn": "...", "legal_surname": "...", ...,
//                  "updated_at": "2025-01-10T09:00:00.000Z",            (optional: now)
//                  "sen_status": {"code": "K", "description": "SEN support",
//                                 "start_date": "2023-09-04", "sen_unit": false,
//                                 "resourced_provision": false, "history": [...]},
//                  "sen_needs": [{"type": "SLCN", "rank": 1}],
//                  "sen_reviews": [{"id": "REV-1", "date": "2025-01-15", "kind": "sen_support"}]}]}
// Loading is lenient on student fields on purpose: a real MIS holds bad data (a missing UPN, an
// impossible date of birth) and the adapter must report it rather than the simulator refuse it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sendsync/sdk/status.h"
#include "sim_clock.h"

namespace sendsync::sims::mis_api {

struct StudentRow {
  nlohmann::json data;  // the student in load form, without updated_at
  Millis updated_at = 0;
};

struct DeletionRow {
  uint64_t seq = 0;       // order of deletion; the deletion's id is derived from it
  std::string type;       // "student" or "sen_review"
  std::string record_id;  // the deleted student's or review's id
  std::string student_id;
  std::string upn;
  Millis deleted_at = 0;

  std::string Id() const;
  nlohmann::json ToJson() const;
};

class SchoolData {
 public:
  // Replaces everything with `j` (load format). Stamps students without updated_at with `clock`.
  Status Load(const nlohmann::json& j, SimClock& clock);
  nlohmann::json Dump() const;  // load format, including updated_at

  const nlohmann::json& school() const { return school_; }
  const std::string& school_id() const { return school_id_; }
  // Students ordered by id (the API's order, which keyset pagination relies on).
  const std::map<std::string, StudentRow>& students() const { return students_; }
  const std::vector<DeletionRow>& deletions() const { return deletions_; }

  StudentRow* Find(const std::string& id);
  // The student as the API shows it: fields, updated_at, and the requested includes wrapped as
  // {"data": ...} (Wonde's style).
  nlohmann::json ApiStudent(const std::string& id, const std::vector<std::string>& includes) const;

  // Changes. Each stamps the student with clock.Stamp().
  void Upsert(const std::string& id, nlohmann::json data, SimClock& clock);
  // Sets the SEN status; the previous one moves to sen_status.history when the code changes.
  void SetSenStatus(StudentRow& s, nlohmann::json status, SimClock& clock);
  void SetNeeds(StudentRow& s, nlohmann::json needs, SimClock& clock);
  // Adds a review (assigning an id) or replaces the review with the same id. Returns the review.
  nlohmann::json PutReview(StudentRow& s, nlohmann::json review, SimClock& clock);
  // Removes a student, logging a deletion for it and for each of its reviews.
  bool Remove(const std::string& id, SimClock& clock);
  // Removes one review of a student, logging its deletion.
  bool RemoveReview(StudentRow& s, const std::string& review_id, SimClock& clock);

 private:
  std::string NewReviewId();

  nlohmann::json school_ = nlohmann::json::object();
  std::string school_id_;
  std::map<std::string, StudentRow> students_;
  std::vector<DeletionRow> deletions_;
  uint64_t next_deletion_ = 1;
  uint64_t next_review_ = 1;
};

}  // namespace sendsync::sims::mis_api
