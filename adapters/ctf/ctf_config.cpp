#include "ctf_config.h"

#include <regex>

#include "ctf_file_check.h"

namespace sendsync::ctf {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

Status Bad(const std::string& key, const std::string& why) {
  return Status::InvalidArgument("config key '" + key + "' " + why);
}

bool Matches(const json& v, const char* pattern) {
  return v.is_string() && std::regex_match(v.get<std::string>(), std::regex(pattern));
}

Status Folder(const json& c, const char* key, bool required, std::optional<fs::path>& out) {
  if (!c.contains(key)) {
    if (required) return Bad(key, "is required: the folder the MIS drops CTF files into");
    return Status::OK();
  }
  const json& v = c[key];
  if (!v.is_string() || v.get<std::string>().empty()) return Bad(key, "must be a folder path");
  std::error_code ec;
  if (!fs::is_directory(v.get<std::string>(), ec))
    return Bad(key, "'" + v.get<std::string>() + "' is not an existing folder; create it first");
  out = v.get<std::string>();
  return Status::OK();
}

Status ParseSchool(const json& c, const char* key, bool as_destination, School& out) {
  const json& s = c[key];
  if (!s.is_object()) return Bad(key, "must be an object with \"la\" and \"estab\"");
  for (auto it = s.begin(); it != s.end(); ++it) {
    bool known =
        it.key() == "la" || it.key() == "estab" || (!as_destination && it.key() == "school_name");
    if (!known) return Bad(std::string(key) + "." + it.key(), "is not a setting this adapter has");
  }
  if (!s.contains("la") || !Matches(s["la"], as_destination ? "[0-9]{3}|XXX" : "[0-9]{3}"))
    return Bad(std::string(key) + ".la", as_destination
                                             ? "must be a 3-digit LA code, or XXX when unknown"
                                             : "must be a 3-digit LA code, e.g. \"820\"");
  const char* estab_pattern = as_destination ? "[0-9]{4}|LLLL|XXXX" : "[0-9]{4}|LLLL";
  if (!s.contains("estab") || !Matches(s["estab"], estab_pattern))
    return Bad(std::string(key) + ".estab",
               as_destination ? "must be a 4-digit establishment number, LLLL for an LA, or XXXX "
                                "when unknown"
                              : "must be a 4-digit establishment number, or LLLL when the sender "
                                "is the LA");
  out.la = s["la"].get<std::string>();
  out.estab = s["estab"].get<std::string>();
  if ((out.la == "XXX") != (out.estab == "XXXX"))
    return Bad(std::string(key), "an unknown destination is la \"XXX\" with estab \"XXXX\"");
  if (s.contains("school_name")) {
    if (!s["school_name"].is_string())
      return Bad(std::string(key) + ".school_name", "must be text");
    out.name = s["school_name"].get<std::string>();
  }
  return Status::OK();
}

std::string PreviousVersion(const std::string& v) {
  int major = std::stoi(v.substr(0, v.find('.')));
  return std::to_string(major - 1) + ".0";
}

}  // namespace

json ConfigSchema() {
  const json version = {{"type", "string"}, {"pattern", "^[0-9]{1,2}\\.[0-9]$"}};
  json written = version;
  written["description"] = "CTF version written, e.g. \"25.0\" (2025/26)";
  return {
      {"type", "object"},
      {"required", {"drop_folder"}},
      {"additionalProperties", false},
      {"properties",
       {{"drop_folder",
         {{"type", "string"},
          {"minLength", 1},
          {"description",
           "folder the MIS exports CTF files into; done/ and rejected/ are made inside it"}}},
        {"out_folder",
         {{"type", "string"},
          {"minLength", 1},
          {"description", "folder sendsync writes CTF files into for the MIS to import"}}},
        {"ctf_version", written},
        {"accept_versions",
         {{"type", "array"},
          {"minItems", 1},
          {"items", version},
          {"description", "CTF versions read (default: ctf_version and the one before)"}}},
        {"source",
         {{"type", "object"},
          {"additionalProperties", false},
          {"required", {"la", "estab"}},
          {"properties",
           {{"la", {{"type", "string"}, {"pattern", "^[0-9]{3}$"}}},
            {"estab", {{"type", "string"}, {"pattern", "^([0-9]{4}|LLLL)$"}}},
            {"school_name", {{"type", "string"}}}}},
          {"description", "the sender written into CTF headers and file names (LLLL for an LA)"}}},
        {"destination",
         {{"type", "object"},
          {"additionalProperties", false},
          {"required", {"la", "estab"}},
          {"properties",
           {{"la", {{"type", "string"}, {"pattern", "^([0-9]{3}|XXX)$"}}},
            {"estab", {{"type", "string"}, {"pattern", "^([0-9]{4}|LLLL|XXXX)$"}}}}},
          {"description", "where written files go; XXX/XXXX (the default) when unknown"}}},
        {"settle_seconds",
         {{"type", "integer"},
          {"minimum", 0},
          {"description", "leave files modified this recently alone (still being written)"}}},
        {"extra_need_types",
         {{"type", "array"},
          {"items", {{"type", "string"}, {"pattern", "^[A-Z]{2,6}$"}}},
          {"description", "census need type codes introduced after this adapter version"}}}}}};
}

Result<CtfConfig> ParseConfig(const json& c) {
  if (!c.is_object()) return Status::InvalidArgument("the configuration must be a JSON object");
  static const std::set<std::string> kKeys = {"drop_folder",     "out_folder",      "ctf_version",
                                              "accept_versions", "source",          "destination",
                                              "settle_seconds",  "extra_need_types"};
  for (auto it = c.begin(); it != c.end(); ++it)
    if (!kKeys.count(it.key())) return Bad(it.key(), "is not a setting this adapter has");

  CtfConfig cfg;
  std::optional<fs::path> drop;
  SENDSYNC_RETURN_IF_ERROR(Folder(c, "drop_folder", true, drop));
  cfg.drop_folder = *drop;
  SENDSYNC_RETURN_IF_ERROR(Folder(c, "out_folder", false, cfg.out_folder));
  std::error_code ec;
  if (cfg.out_folder && fs::equivalent(*cfg.out_folder, cfg.drop_folder, ec))
    return Bad("out_folder", "must not be the drop folder: sendsync would read its own files");

  if (c.contains("ctf_version")) {
    if (!c["ctf_version"].is_string() || !IsVersionText(c["ctf_version"].get<std::string>()))
      return Bad("ctf_version", "must be a CTF version such as \"25.0\"");
    cfg.ctf_version = c["ctf_version"].get<std::string>();
  }
  if (c.contains("accept_versions")) {
    const json& a = c["accept_versions"];
    if (!a.is_array() || a.empty())
      return Bad("accept_versions", "must be a non-empty list of versions such as \"24.0\"");
    for (const json& v : a) {
      if (!v.is_string() || !IsVersionText(v.get<std::string>()))
        return Bad("accept_versions", "has " + v.dump() + ", which is not a version like \"24.0\"");
      cfg.accept_versions.insert(v.get<std::string>());
    }
  } else {
    cfg.accept_versions = {cfg.ctf_version, PreviousVersion(cfg.ctf_version)};
  }

  if (c.contains("source")) {
    School s;
    SENDSYNC_RETURN_IF_ERROR(ParseSchool(c, "source", false, s));
    cfg.source = s;
  }
  if (cfg.out_folder && !cfg.source)
    return Bad("source",
               "is required with out_folder: written files name their sender "
               "({\"la\": \"820\", \"estab\": \"1234\"})");
  if (c.contains("destination"))
    SENDSYNC_RETURN_IF_ERROR(ParseSchool(c, "destination", true, cfg.destination));

  if (c.contains("settle_seconds")) {
    const json& s = c["settle_seconds"];
    if (!s.is_number_integer() || s.get<int64_t>() < 0 || s.get<int64_t>() > 86400)
      return Bad("settle_seconds", "must be a whole number of seconds from 0 to 86400");
    cfg.settle_seconds = s.get<int>();
  }
  if (c.contains("extra_need_types")) {
    const json& e = c["extra_need_types"];
    if (!e.is_array()) return Bad("extra_need_types", "must be a list of codes such as \"XYZ\"");
    for (const json& v : e) {
      if (!Matches(v, "[A-Z]{2,6}"))
        return Bad("extra_need_types", "has " + v.dump() + ", which is not an upper-case code");
      cfg.extra_need_types.insert(v.get<std::string>());
    }
  }
  return cfg;
}

}  // namespace sendsync::ctf
