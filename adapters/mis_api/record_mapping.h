// How the API's JSON and sendsync's canonical records correspond, both ways, and how a field path
// on one side is named on the other (so a person reading a rejection sees both names). Internal to
// adapters/mis_api. docs/adapters/mis-api.md has the same tables for people.
//
// Codes pass through unchanged in both directions: the SEN status code and need types are given
// to the host exactly as the API has them, and the host's per-link code maps turn local wording
// into census codes (and back, before a write).
#pragma once

#include <string>
#include <vector>

#include <sendsync/sdk/records.h>
#include <nlohmann/json.hpp>

namespace sendsync::mis_api_adapter {

// The canonical pupil record for an API student (not yet checked: the caller runs CheckShape).
nlohmann::json PupilFromStudent(const nlohmann::json& student);
// The canonical sen record for a student fetched with include=sen_status,sen_needs. Sets
// *missing to a reason when the student carries no SEN status at all.
nlohmann::json SenFromStudent(const nlohmann::json& student, std::string* missing);
// The canonical review records for a student fetched with include=sen_reviews, one per review,
// each with the API's review as it came (for a reject).
struct MappedReview {
  nlohmann::json record;
  nlohmann::json raw;
};
std::vector<MappedReview> ReviewsFromStudent(const nlohmann::json& student);

// Write bodies. `review_id` is the API's id when the change updates a known review, else empty.
nlohmann::json SenBody(const records::Sen& sen);
nlohmann::json ReviewBody(const records::Review& review, const std::string& review_id);

// A field path of an API body or student ("sen_needs[0].start_date") as the canonical record names
// it ("needs[0].start"), and the reverse. Paths with no counterpart come back unchanged.
std::string CanonicalPath(const std::string& kind, const std::string& api_path);
std::string ApiPath(const std::string& kind, const std::string& canonical_path);

}  // namespace sendsync::mis_api_adapter
