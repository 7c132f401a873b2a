// Validation of the simulator's write-back bodies, as an MIS would do it: every problem is
// collected as {"path": "sen_needs[0].type", "message": "..."} for a 422 answer. For the MIS API
// simulator only.
#pragma once

#include <nlohmann/json.hpp>

namespace sendsync::sims::mis_api {

// Body of POST .../students/{id}/sen. Returns the list of field errors (empty when valid).
nlohmann::json ValidateSenBody(const nlohmann::json& body);
// Body of POST .../students/{id}/sen-reviews.
nlohmann::json ValidateReviewBody(const nlohmann::json& body);

// A UPN with a correct check letter built from its last twelve characters (for inserted students).
std::string WithCheckLetter(const std::string& twelve);

}  // namespace sendsync::sims::mis_api
