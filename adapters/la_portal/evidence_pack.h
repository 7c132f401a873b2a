// The evidence pack's content as JSON (evidence.json): what the PDF shows, in the same order, built
// from the ReferralSubmission alone — so it holds nothing the link's allow-list kept in the hub.
// Codes are kept and given the labels a reader needs ("SLCN" → "Speech, language and
// communication needs"). docs/adapters/la-portal.md describes the format
// ("sendsync-evidence-pack", version 1).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace sendsync::la_portal {

// `prepared_on` (yyyy-mm-dd) is the date printed as the pack's date; callers pass the referral's
// request date when it has one, so a retried submission produces the same bytes.
// `reports` lists the professional reports sent beside the pack as their own documents (as
// ReportDocuments gives them, without their text): the pack names each one.
nlohmann::json BuildEvidencePack(const nlohmann::json& submission, const std::string& prepared_on,
                                 const nlohmann::json& reports = nlohmann::json::array());

// The professional reports a referral record carries (external_advice entries with a `report`),
// each as the document it is sent as: {number, role, role_label, name, date, summary, category,
// filename, title, text}. The category is the Referral API's document category for the author's
// role: educational_psychology, health, social_care, or other.
nlohmann::json ReportDocuments(const nlohmann::json& referral_record);
// The Referral API document category for a professional role ("educational_psychologist" ->
// "educational_psychology", "speech_and_language_therapist" -> "health", ...).
std::string ReportCategory(const std::string& role);

// Labels for codes, "" when unknown.
std::string NeedLabel(const std::string& type);
std::string NeedArea(const std::string& type);
std::string ProvisionAreaLabel(const std::string& area);
std::string SenProvisionLabel(const std::string& code);
std::string ProgressLabel(const std::string& progress);
std::string RequesterRoleLabel(const std::string& role);
std::string RequestSourceLabel(int source);
std::string ReviewDecisionLabel(const std::string& decision);
std::string ReviewKindLabel(const std::string& kind);

}  // namespace sendsync::la_portal
