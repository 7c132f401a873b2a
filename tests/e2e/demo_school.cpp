#include "demo_school.h"

namespace sendsync::e2e {

fs::path DemoData() {
  return fs::path(SOURCE_DIR) / "scripts" / "demo";
}

DemoSchool::DemoSchool(const fs::path& dir) : dir_(dir), cli_(dir) {
  cli_.SetEnv("MEADOWBANK_MIS_TOKEN", kMisToken);
}

::testing::AssertionResult DemoSchool::SetUp() {
  std::error_code ec;
  fs::create_directories(ctf_drop(), ec);
  fs::create_directories(exports(), ec);
  fs::create_directories(dir_ / "csv-state", ec);
  fs::copy(DemoData() / "ctf", ctf_drop(),
           fs::copy_options::recursive | fs::copy_options::overwrite_existing, ec);
  if (!ec)
    fs::copy(DemoData() / "provision-map", exports(),
             fs::copy_options::recursive | fs::copy_options::overwrite_existing, ec);
  if (ec) return ::testing::AssertionFailure() << "copying the demo data: " << ec.message();

  std::string error;
  if (!mis_.Start(SIM_MIS_API_BIN,
                  {"--token", kMisToken, "--data", (DemoData() / "mis-school.json").string()}, dir_,
                  "mis-sim", error))
    return ::testing::AssertionFailure() << error;

  ProgramResult init = cli_.Run({"init"});
  if (init.exit_code != 0)
    return ::testing::AssertionFailure() << "sendsync init: " << init.Describe();

  json mis = {{"base_url", mis_.base_url() + "/v1.0"},
              {"school_id", "SCH-MEADOWBANK"},
              {"token", "env:MEADOWBANK_MIS_TOKEN"}};
  json ctf = {{"drop_folder", ctf_drop().string()}, {"settle_seconds", 0}};
  json csv = {{"state_folder", (dir_ / "csv-state").string()},
              {"sources",
               {{{"name", "pupils"},
                 {"kind", "pupil"},
                 {"path", (exports() / "pupils.csv").string()},
                 {"columns",
                  {{"pupil_id", "Pupil ID"},
                   {"upn", "UPN"},
                   {"legal_surname", "Surname"},
                   {"legal_forename", "Forename"},
                   {"dob", "Date of Birth"},
                   {"sex", "Gender"}}}},
                {{"name", "provision-map"},
                 {"kind", "provision"},
                 {"path", (exports() / "provision_map.csv").string()},
                 {"columns",
                  {{"pupil_id", "Pupil ID"},
                   {"upn", "UPN"},
                   {"intervention", "Intervention"},
                   {"area", "Area of Need"},
                   {"wave", "Wave"},
                   {"group_size", "Group Size"},
                   {"sessions_per_week", "Sessions per Week"},
                   {"minutes_per_session", "Minutes per Session"},
                   {"staff_role", "Staff"},
                   {"start", "Start Date"},
                   {"end", "End Date"},
                   {"hourly_rate", "Hourly Rate"}}},
                 {"id_from", {"upn", "intervention", "start"}}}}}};
  if (auto r = AddLink("mis", "mis-api", mis, "mis-settings.json"); !r) return r;
  if (auto r = AddLink("ctf", "ctf", ctf, "ctf-settings.json"); !r) return r;
  return AddLink("provision-map", "csv", csv, "csv-settings.json");
}

::testing::AssertionResult DemoSchool::AddLink(const std::string& name, const std::string& adapter,
                                               const json& config,
                                               const std::string& settings_file) const {
  const fs::path config_file = dir_ / (name + "-config.json");
  WriteText(config_file, config.dump(2));
  ProgramResult r =
      cli_.Run({"link", "add", "--school", kUrn, "--adapter", adapter, "--name", name, "--config",
                config_file.string(), "--settings", (DemoData() / settings_file).string()});
  if (r.exit_code != 0)
    return ::testing::AssertionFailure() << "link add " << name << ": " << r.Describe();
  return ::testing::AssertionSuccess();
}

void DemoSchool::DropLaterCtf() const {
  fs::copy(DemoData() / "ctf-later", ctf_drop(),
           fs::copy_options::recursive | fs::copy_options::overwrite_existing);
}

::testing::AssertionResult DemoSchool::EditMisSenStatus(const std::string& student_id,
                                                        const json& status) const {
  HttpReply r =
      Http(mis_.port(), "POST", "/_sim-mis/students/" + student_id + "/sen-status", status.dump());
  if (r.status / 100 != 2)
    return ::testing::AssertionFailure() << "editing " << student_id << " in the MIS: HTTP "
                                         << r.status << " " << r.body << r.error;
  return ::testing::AssertionSuccess();
}

json DemoSchool::MisStudent(const std::string& student_id) const {
  HttpReply r = Http(mis_.port(), "GET", "/_sim-mis/school");
  json school = r.Json();
  if (r.status != 200 || !school.is_object()) {
    ADD_FAILURE() << "GET /_sim-mis/school: HTTP " << r.status << " " << r.body << r.error;
    return json();
  }
  for (const json& s : school.value("students", json::array()))
    if (s.value("id", "") == student_id) return s;
  return json();
}

json DemoSchool::MisWriteBacks() const {
  HttpReply r = Http(mis_.port(), "GET", "/_sim-mis/write-backs");
  if (r.status != 200)
    ADD_FAILURE() << "GET /_sim-mis/write-backs: HTTP " << r.status << " " << r.error;
  return r.Json();
}

}  // namespace sendsync::e2e
