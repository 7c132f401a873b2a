// Installed adapter versions: listing <adapters_dir>/ID/VERSION/ and choosing the one a link uses.
#include <algorithm>
#include <charconv>
#include <filesystem>

#include "plugins/plugins.h"

namespace sendsync::plugins {

namespace fs = std::filesystem;

namespace {

std::vector<std::string_view> Parts(std::string_view v) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= v.size(); ++i)
    if (i == v.size() || v[i] == '.' || v[i] == '-' || v[i] == '+') {
      out.push_back(v.substr(start, i - start));
      start = i + 1;
    }
  return out;
}

bool IsNumber(std::string_view s) {
  return !s.empty() && s.size() < 19 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

int CompareVersions(std::string_view a, std::string_view b) {
  auto pa = Parts(a), pb = Parts(b);
  for (size_t i = 0; i < std::max(pa.size(), pb.size()); ++i) {
    if (i >= pa.size()) return -1;
    if (i >= pb.size()) return 1;
    if (IsNumber(pa[i]) && IsNumber(pb[i])) {
      long long x = 0, y = 0;
      std::from_chars(pa[i].data(), pa[i].data() + pa[i].size(), x);
      std::from_chars(pb[i].data(), pb[i].data() + pb[i].size(), y);
      if (x != y) return x < y ? -1 : 1;
    } else if (int c = pa[i].compare(pb[i]); c != 0) {
      return c < 0 ? -1 : 1;
    }
  }
  return 0;
}

std::vector<InstalledAdapter> ListInstalled(const std::string& adapters_dir) {
  std::vector<InstalledAdapter> out;
  std::error_code ec;
  if (adapters_dir.empty()) return out;
  for (const auto& id_dir : fs::directory_iterator(adapters_dir, ec)) {
    std::string id = id_dir.path().filename().string();
    if (id.empty() || id[0] == '.' || !id_dir.is_directory(ec)) continue;
    std::error_code ec2;
    for (const auto& v_dir : fs::directory_iterator(id_dir.path(), ec2)) {
      std::string version = v_dir.path().filename().string();
      if (version.empty() || version[0] == '.' || !v_dir.is_directory(ec2)) continue;
      std::vector<std::string> libs;
      std::error_code ec3;
      for (const auto& f : fs::directory_iterator(v_dir.path(), ec3))
        if (f.path().extension() == ".so" && f.is_regular_file(ec3))
          libs.push_back(f.path().string());
      if (libs.size() != 1) continue;
      out.push_back({id, version, v_dir.path().string(), libs[0]});
    }
  }
  std::sort(out.begin(), out.end(), [](const InstalledAdapter& x, const InstalledAdapter& y) {
    if (x.id != y.id) return x.id < y.id;
    return CompareVersions(x.version, y.version) < 0;
  });
  return out;
}

Result<PluginInfo> ResolveAdapter(const std::string& plugin_dir, const std::string& adapters_dir,
                                  const std::string& id, const std::string& version,
                                  const RuntimeOptions& options) {
  const InstalledAdapter* chosen = nullptr;
  auto installed = ListInstalled(adapters_dir);
  for (const auto& a : installed)
    if (a.id == id && (version.empty() || a.version == version)) chosen = &a;  // newest last
  if (!version.empty() && !chosen)
    return Status::NotFound("adapter " + id + "@" + version + " is not installed in " +
                            adapters_dir + " (see sendsync adapters list)");
  if (chosen) {
    PluginInfo info = Inspect(chosen->library, options);
    if (!info.ok)
      return Status::FailedPrecondition("adapter " + id + "@" + chosen->version +
                                        " was refused: " + info.reason);
    if (info.manifest.id != id || info.manifest.version != chosen->version)
      return Status::FailedPrecondition("adapter folder " + chosen->dir + " holds " +
                                        info.manifest.id + "@" + info.manifest.version);
    return info;
  }
  std::string dir = plugin_dir.empty() ? DefaultPluginDir() : plugin_dir;
  auto found = Discover(dir, options);
  for (const auto& p : found)
    if (p.ok && p.manifest.id == id) return p;
  for (const auto& p : found)
    if (!p.ok && p.claimed_id == id)
      return Status::FailedPrecondition("adapter '" + id + "' was refused: " + p.reason);
  return Status::NotFound("no usable adapter '" + id + "' installed or in " + dir +
                          " (see sendsync adapters list and sendsync plugins list)");
}

}  // namespace sendsync::plugins
