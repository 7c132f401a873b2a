// Renders a Common Transfer File with Poco's XMLWriter: the header for one source and destination,
// and for each pupil the identity block and the coded SEN history (dated provision episodes and
// ranked needs). Also the checks that keep a file the hub writes importable: a bad UPN, a missing
// name or a code that is no census code never reaches a MIS. Internal to adapters/ctf.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include <sendsync/sdk/records.h>

#include "ctf_config.h"

namespace sendsync::ctf {

struct OutPupil {
  records::Pupil pupil;
  std::optional<records::Sen> sen;
};

struct OutHeader {
  std::string version;    // CTFversion, e.g. "25.0"
  std::string date_time;  // yyyy-mm-ddThh:mm:ss
  int academic_year = 0;  // the year the academic year starts in
  School source, dest;
};

// The dated provision episodes a CTF carries for `sen`, oldest first: its history plus the current
// provision from provision_start when the history does not already end with it. Empty with
// *problem set when they cannot be written (no start date, two episodes on one day, a history
// that ends in another provision than the current one).
std::vector<records::SenEpisode> EpisodesFor(const records::Sen& sen, std::string* problem);

// Why `p` cannot go into a CTF, or nullopt.
std::optional<std::string> WriteProblem(const OutPupil& p,
                                        const std::set<std::string>& extra_need_types);

// The file's XML text (UTF-8, with an XML declaration). Pupils must have passed WriteProblem.
std::string RenderCtf(const OutHeader& header, const std::vector<OutPupil>& pupils);

// The academic year `today` falls in, by its first year (September starts a new one).
int AcademicYearOf(const Date& today);

}  // namespace sendsync::ctf
