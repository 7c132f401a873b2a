// The MIS API simulator: a real HTTP server on loopback serving the broker-style school-data API
// that docs/adapters/mis-api.md specifies, over an in-memory school. Tests start it in-process
// (this class); the demo and cross-process tests start the sendsync-sim-mis-api program.
//
// Besides the fault switches every simulator has (sim_server.h: latency, 5xx rate, fail_next, 429
// bursts, dropped connections), it can change pages mid-pagination: after it serves the first page
// of a student listing (or of one of its id ranges) that has more pages, it edits a student already served, inserts one among
// the served ids, moves its clock ten minutes on and edits the last student, and removes one not
// yet served. A client that loses nothing sees all of that by the end of its next pull.
//
// Control endpoints for other processes (no token needed; subject to the fault switches too, since
// the shared server injects faults into every path outside /_sim/ — so set faults last):
//   GET  /_sim-mis/school                         the school in load form (school_data.h)
//   PUT  /_sim-mis/school                         replace it
//   POST /_sim-mis/students/{id}/sen-status       an MIS-side edit: {"code": "E", ...}
//   DELETE /_sim-mis/students/{id}                remove a student (logs deletions)
//   DELETE /_sim-mis/students/{id}/reviews/{rid}  remove one review (logs a deletion)
//   GET  /_sim-mis/write-backs                    {"write_backs": [...], "applications": {key: n}}
//   GET  /_sim-mis/clock                          {"now": "..."}
//   POST /_sim-mis/clock                          {"advance_seconds": N}
//   GET|POST /_sim-mis/switches                   {"change_mid_pagination": bool, "approved": bool,
//                                                  "ranges": bool}
// The fault endpoints of the shared server stay at /_sim/faults and /_sim/stats.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "school_data.h"
#include "sendsync/sdk/status.h"
#include "sim_server.h"

namespace sendsync::sims::mis_api {

class MisApiSim {
 public:
  // Requests must carry "Authorization: Bearer <token>".
  explicit MisApiSim(std::string token);
  ~MisApiSim();
  MisApiSim(const MisApiSim&) = delete;
  MisApiSim& operator=(const MisApiSim&) = delete;

  Status Start(uint16_t port = 0, const std::string& cert_file = "",
               const std::string& key_file = "");
  // Stops listening and waits (boundedly) for requests still on their way to this simulator.
  void Stop();
  // The API's base URL, e.g. "http://127.0.0.1:41234/v1.0" — what an adapter is configured with.
  std::string api_url() const;
  SimServer& server() { return *server_; }

  Status LoadSchool(const nlohmann::json& data);
  nlohmann::json DumpSchool() const;
  // An edit made in the MIS itself (not through the API's write-back).
  Status SetSenStatus(const std::string& student_id, const nlohmann::json& status);
  Status RemoveStudent(const std::string& student_id);
  Status RemoveReview(const std::string& student_id, const std::string& review_id);
  void AdvanceClock(int64_t seconds);
  std::string Now() const;

  // How many times a write with this Idempotency-Key changed the school (a replay does not).
  int Applications(const std::string& key) const;
  // Every write-back applied, oldest first: {"key", "path", "body", "applied_at"}.
  nlohmann::json WriteBacks() const;

  // One-shot: arms the mid-pagination change described above.
  void SetChangeMidPagination(bool on);
  // What the last mid-pagination change did: {"served_changed", "inserted", "unserved_changed",
  // "deleted"} (ids; absent when not done). Null before any.
  nlohmann::json MidPaginationChanges() const;
  // false: every API call answers 403, as for a school that has not approved the application.
  void SetApproved(bool approved);
  // false: GET .../students/ranges answers 404, as for an API that does not offer id ranges.
  void SetRangesOffered(bool offered);

 private:
  struct Stored {
    std::string fingerprint;
    SimResponse response;
  };

  void Handle(const SimRequest& rq, SimResponse& rs);
  void Api(const SimRequest& rq, SimResponse& rs);
  void Control(const SimRequest& rq, SimResponse& rs);
  void ListStudents(const SimRequest& rq, SimResponse& rs);
  void StudentRanges(const SimRequest& rq, SimResponse& rs);
  void ListDeletions(const SimRequest& rq, SimResponse& rs);
  void Write(const SimRequest& rq, SimResponse& rs, const std::string& student_id,
             const std::string& what);
  void WriteSen(const nlohmann::json& body, StudentRow& s, SimResponse& rs);
  void WriteReview(const nlohmann::json& body, StudentRow& s, SimResponse& rs);
  void ChangeMidPagination(const std::string& first_served, const std::string& last_served);
  std::string NextLink(const SimRequest& rq, const std::string& after) const;

  const std::string token_;
  // Requests that reached Handle, and those inside it now: Stop waits for the stragglers.
  std::atomic<uint64_t> entered_{0};
  std::atomic<int> active_{0};
  mutable std::mutex mu_;  // guards everything below
  SimClock clock_;
  SchoolData data_;
  std::map<std::string, Stored> idempotency_;
  std::map<std::string, int> applications_;
  nlohmann::json write_backs_ = nlohmann::json::array();
  bool change_mid_pagination_ = false;
  nlohmann::json mid_pagination_changes_;
  bool approved_ = true;
  bool ranges_ = true;
  std::unique_ptr<SimServer> server_;  // last: stopped before the state it uses goes away
};

}  // namespace sendsync::sims::mis_api
