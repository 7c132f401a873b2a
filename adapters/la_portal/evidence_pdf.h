// The evidence pack as a readable PDF: a title page (pupil, school, requester, LA, dates, what
// the readiness check found), then the pupil's needs, every Assess/Plan/Do/Review cycle, the
// provision map with costs per year and a total, the reviews with the pupil's and parents'
// voices, external advice, the family's views, consent and the readiness checklist. Drawn from
// the evidence pack JSON (evidence_pack.h) and nothing else, so PDF and JSON say the same.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "sendsync/sdk/status.h"

namespace sendsync::la_portal {

struct EvidencePdf {
  std::string bytes;
  bool unicode = false;  // DejaVu Sans embedded (else Helvetica, Latin-1)
};

Result<EvidencePdf> RenderEvidencePdf(const nlohmann::json& pack, const std::string& fonts_dir);

// One professional report (an entry of ReportDocuments) as its own PDF: who wrote it, in what
// role and when, the child it is about (from the pack), and its text.
Result<EvidencePdf> RenderReportPdf(const nlohmann::json& report, const nlohmann::json& pack,
                                    const std::string& fonts_dir);

// "14 March 2025" for "2025-03-14"; the text itself when it is not a date.
std::string LongDate(const std::string& iso);
// "£1,234.50".
std::string Money(double pounds);

}  // namespace sendsync::la_portal
