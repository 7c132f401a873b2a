// sendsync adapters keygen / pack / install / list / upgrade / rollback / remove: signed adapter
// packages installed side by side per version (core/packages/package.h), and which version each
// link uses. Every install, upgrade, rollback and removal is in the audit log.
#include <filesystem>
#include <map>
#include <set>

#include <Poco/Util/OptionSet.h>
#include <nlohmann/json.hpp>

#include "base/log/log.h"
#include "core/audit/audit.h"
#include "core/cli/commands.h"
#include "core/cli/context.h"
#include "core/packages/package.h"
#include "core/store/db.h"
#include "core/sync/sync.h"
#include "plugins/plugins.h"

namespace sendsync::cli {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

int Done(const Invocation& inv, const json& j, const std::string& text) {
  if (inv.json)
    inv.PrintJson(j);
  else
    *inv.out << text << "\n";
  return kExitOk;
}

// Appends one audit entry in its own transaction.
Status Audit(store::Conn& conn, const std::string& actor, const std::string& action, json detail) {
  store::Tx tx(conn);
  SENDSYNC_RETURN_IF_ERROR(tx.status());
  std::vector<audit::Entry> e(1);
  e[0].actor = actor;
  e[0].action = action;
  e[0].detail = std::move(detail);
  SENDSYNC_RETURN_IF_ERROR(audit::Append(conn, e));
  return tx.Commit();
}

// "ID@VERSION" split; InvalidArgument naming the form otherwise.
Result<std::pair<std::string, std::string>> SplitRef(const std::string& ref) {
  size_t at = ref.find('@');
  if (at == std::string::npos || at == 0 || at + 1 == ref.size())
    return Status::InvalidArgument("'" + ref + "' must be ID@VERSION, e.g. jsonl-folder@1.2.0");
  return std::make_pair(ref.substr(0, at), ref.substr(at + 1));
}

// The installed version a link runs: its pin, else the newest installed of its adapter, else ""
// (the bundled plugin).
std::string EffectiveVersion(const store::Link& l,
                             const std::vector<plugins::InstalledAdapter>& installed) {
  if (!l.adapter_version.empty()) return l.adapter_version;
  std::string newest;
  for (const auto& a : installed)
    if (a.id == l.adapter_id) newest = a.version;  // sorted oldest first
  return newest;
}

int Keygen(const Invocation& inv) {
  if (!inv.Has("out")) return inv.Fail("adapters keygen needs --out DIR", kExitUsage);
  auto fp = packages::GenerateKeyPair(inv.Get("out"));
  if (!fp.ok()) return Fail(inv, fp.status());
  const std::string dir = inv.Get("out");
  return Done(inv,
              {{"private_key", (fs::path(dir) / "vendor.key").string()},
               {"public_key", (fs::path(dir) / "vendor.pub").string()},
               {"fingerprint", *fp}},
              "wrote " + (fs::path(dir) / "vendor.key").string() +
                  " (private, mode 0600: keep it secret) and " +
                  (fs::path(dir) / "vendor.pub").string() +
                  " (give it to the schools that install your adapters)\nfingerprint " + *fp);
}

int PackCmd(const Invocation& inv) {
  if (!inv.Has("key") && !inv.Has("unsigned"))
    return inv.Fail("adapters pack needs --key KEY (or --unsigned for a test package)", kExitUsage);
  plugins::RuntimeOptions rt;
  if (inv.Has("in-process")) rt.mode = plugins::Mode::kInProcess;
  auto out = packages::Pack(inv.args[0], inv.Get("key"), inv.Get("out"), rt);
  if (!out.ok()) return Fail(inv, out.status());
  return Done(inv, {{"package", *out}, {"signed", inv.Has("key")}}, "wrote " + *out);
}

int InstallCmd(const Invocation& inv) {
  auto ctx = MakeContext(inv);
  if (!ctx.ok()) return Fail(inv, ctx.status());
  Context& c = **ctx;
  auto conn = c.store->Connect();
  if (!conn.ok()) return Fail(inv, conn.status());
  packages::InstallOptions o;
  o.adapters_dir = c.adapters_dir;
  o.trusted_keys_dir = c.trusted_keys_dir;
  o.allow_unsigned = inv.Has("allow-unsigned");
  o.max_package_bytes = uint64_t(c.cfg.max_adapter_package_mb) << 20;
  if (inv.Has("max-package-bytes")) {
    const std::string v = inv.Get("max-package-bytes");
    if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos || v.size() > 15)
      return inv.Fail("--max-package-bytes must be a whole number of bytes", kExitUsage);
    o.max_package_bytes = std::stoull(v);
  }
  o.runtime = c.engine.runtime;
  const std::string file = inv.args[0];
  auto r = packages::Install(file, o);
  if (!r.ok()) {
    log::Write(log::Level::kWarn, "adapter.install_refused",
               {{"package", file}, {"reason", r.status().message()}});
    Status a = Audit(**conn, c.actor, "adapter.install_refused",
                     {{"package", file}, {"reason", r.status().message()}});
    if (!a.ok()) log::Write(log::Level::kError, "audit.failed", {{"error", a.message()}});
    return Fail(inv, r.status());
  }
  json detail = {{"adapter", r->id},   {"version", r->version}, {"vendor", r->vendor},
                 {"package", file},    {"dir", r->dir},         {"signed", r->signature_checked},
                 {"signer", r->signer}};
  if (!r->signature_checked)
    log::Write(log::Level::kWarn, "adapter.install_unsigned",
               {{"adapter", r->id}, {"version", r->version}, {"package", file}});
  Status a = Audit(**conn, c.actor,
                   r->signature_checked ? "adapter.install" : "adapter.install_unsigned", detail);
  if (!a.ok()) {  // an install nobody can trace is undone
    std::error_code ec;
    fs::remove_all(r->dir, ec);
    return Fail(inv, a.WithContext("the install could not be audited, so it was undone"));
  }
  return Done(
      inv, detail,
      "installed " + r->id + "@" + r->version + " by " + r->vendor + " in " + r->dir +
          (r->signature_checked ? " (signature verified, key " + r->signer.substr(0, 16) + "…)"
                                : " (UNSIGNED: installed with --allow-unsigned)"));
}

int ListCmd(const Invocation& inv) {
  auto ctx = MakeContext(inv);
  if (!ctx.ok()) return Fail(inv, ctx.status());
  auto conn = (*ctx)->store->Connect();
  if (!conn.ok()) return Fail(inv, conn.status());
  auto links = store::ListLinks(**conn);
  if (!links.ok()) return Fail(inv, links.status());
  auto installed = plugins::ListInstalled((*ctx)->adapters_dir);
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> users;
  for (const auto& l : *links)
    users[{l.adapter_id, EffectiveVersion(l, installed)}].push_back(l.name);
  json arr = json::array();
  std::vector<std::vector<std::string>> rows;
  auto names = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& n : v) s += (s.empty() ? "" : ",") + n;
    return s.empty() ? "-" : s;
  };
  for (const auto& a : installed) {
    const auto& u = users[{a.id, a.version}];
    arr.push_back({{"id", a.id}, {"version", a.version}, {"dir", a.dir}, {"links", u}});
    rows.push_back({a.id, a.version, names(u), a.dir});
  }
  for (const auto& [key, u] : users)  // links still on a bundled plugin
    if (key.second.empty()) {
      arr.push_back({{"id", key.first}, {"version", nullptr}, {"bundled", true}, {"links", u}});
      rows.push_back({key.first, "(bundled)", names(u), (*ctx)->plugin_dir});
    }
  if (inv.json) {
    inv.PrintJson({{"adapters_dir", (*ctx)->adapters_dir}, {"adapters", arr}});
  } else if (rows.empty()) {
    *inv.out << "no adapters installed in " << (*ctx)->adapters_dir
             << " (sendsync adapters install --help)\n";
  } else {
    PrintTable(*inv.out, {"ADAPTER", "VERSION", "LINKS", "FOLDER"}, rows);
  }
  return kExitOk;
}

int RemoveCmd(const Invocation& inv) {
  auto ref = SplitRef(inv.args[0]);
  if (!ref.ok()) return inv.Fail(ref.status().message(), kExitUsage);
  auto ctx = MakeContext(inv);
  if (!ctx.ok()) return Fail(inv, ctx.status());
  Context& c = **ctx;
  auto conn = c.store->Connect();
  if (!conn.ok()) return Fail(inv, conn.status());
  auto installed = plugins::ListInstalled(c.adapters_dir);
  const plugins::InstalledAdapter* target = nullptr;
  for (const auto& a : installed)
    if (a.id == ref->first && a.version == ref->second) target = &a;
  if (!target)
    return Fail(inv, Status::NotFound(inv.args[0] + " is not installed in " + c.adapters_dir));
  auto links = store::ListLinks(**conn);
  if (!links.ok()) return Fail(inv, links.status());
  std::vector<std::string> users;
  for (const auto& l : *links)
    if (l.adapter_id == ref->first && EffectiveVersion(l, installed) == ref->second)
      users.push_back(l.name);
  if (!users.empty()) {
    std::string names;
    for (const auto& n : users) names += (names.empty() ? "" : ", ") + n;
    return Fail(inv, Status::FailedPrecondition(
                         inv.args[0] + " is used by link(s) " + names +
                         "; move them to another version first (sendsync adapters upgrade or "
                         "rollback)"));
  }
  // Out of the way in one rename (nothing can resolve it after), then deleted.
  std::string tmpl = (fs::path(c.adapters_dir) / ".remove-XXXXXX").string();
  if (!::mkdtemp(tmpl.data()))
    return Fail(inv, Status::IoError("cannot create a temporary folder in " + c.adapters_dir));
  const fs::path moved = fs::path(tmpl) / "v";
  std::error_code ec;
  fs::rename(target->dir, moved, ec);
  if (ec) {
    fs::remove_all(tmpl, ec);
    return Fail(inv, Status::IoError("cannot remove " + target->dir));
  }
  fs::remove_all(tmpl, ec);
  fs::remove(fs::path(c.adapters_dir) / ref->first, ec);  // only when now empty
  json detail = {{"adapter", ref->first}, {"version", ref->second}};
  Status a = Audit(**conn, c.actor, "adapter.remove", detail);
  if (!a.ok()) return Fail(inv, a.WithContext("removed, but the audit entry failed"));
  return Done(inv, detail, "removed " + inv.args[0]);
}

// The usage error when an upgrade or rollback does not name its links exactly one way, else "".
std::string LinkSelectionUsage(const Invocation& inv) {
  int given = inv.Has("school") + inv.Has("link") + inv.Has("all");
  return given == 1 ? "" : "give exactly one of --school URN, --link NAME, --all";
}

// Which links an upgrade or rollback is about (LinkSelectionUsage has passed).
Result<std::vector<store::Link>> SelectLinks(store::Conn& conn, const Invocation& inv,
                                             const std::string& adapter_id) {
  auto links = store::ListLinks(conn);
  if (!links.ok()) return links.status();
  std::vector<store::Link> out;
  for (auto& l : *links) {
    if (!adapter_id.empty() && l.adapter_id != adapter_id) continue;
    if (inv.Has("school") && l.school_urn != inv.Get("school")) continue;
    if (inv.Has("link") && l.name != inv.Get("link")) continue;
    out.push_back(std::move(l));
  }
  if (inv.Has("link") && out.empty())
    return Status::NotFound("no link named '" + inv.Get("link") + "'" +
                            (adapter_id.empty() ? "" : " using adapter " + adapter_id));
  return out;
}

int UpgradeCmd(const Invocation& inv) {
  if (std::string usage = LinkSelectionUsage(inv); !usage.empty())
    return inv.Fail(usage, kExitUsage);
  auto ctx = MakeContext(inv);
  if (!ctx.ok()) return Fail(inv, ctx.status());
  Context& c = **ctx;
  const std::string id = inv.args[0];
  auto installed = plugins::ListInstalled(c.adapters_dir);
  const std::string wanted = inv.Get("version");
  std::string target;
  for (const auto& a : installed)  // sorted oldest first: without --version the newest wins
    if (a.id == id && (wanted.empty() || a.version == wanted)) target = a.version;
  const bool found = !target.empty();
  if (!found) target = wanted;
  if (!found)
    return Fail(inv, Status::NotFound("adapter " + id + (target.empty() ? "" : "@" + target) +
                                      " is not installed (sendsync adapters list)"));
  auto conn = c.store->Connect();
  if (!conn.ok()) return Fail(inv, conn.status());
  auto links = SelectLinks(**conn, inv, id);
  if (!links.ok()) return Fail(inv, links.status());
  json results = json::array();
  bool all_ok = true;
  for (const auto& l : *links) {
    const std::string from = EffectiveVersion(l, installed);
    json r = {{"link", l.name}, {"from", from.empty() ? json() : json(from)}, {"to", target}};
    if (l.adapter_version == target) {
      r["result"] = "already";
      results.push_back(r);
      continue;
    }
    // The new version must pass the link's own check before the link is moved to it; when it
    // does not, the link stays on the version it had.
    Status t = sync::TestLink(*c.store, l.name, c.engine.runtime, c.plugin_dir, target);
    if (!t.ok()) {
      all_ok = false;
      r["result"] = "rolled_back";
      r["reason"] = t.message();
      Status a = Audit(**conn, c.actor, "adapter.upgrade_rolled_back",
                       {{"link", l.name},
                        {"adapter", id},
                        {"from", r["from"]},
                        {"to", target},
                        {"reason", t.message()}});
      if (!a.ok()) return Fail(inv, a);
      results.push_back(r);
      continue;
    }
    store::Tx tx(**conn);
    if (!tx.status().ok()) return Fail(inv, tx.status());
    Status s = store::SetLinkAdapterVersion(**conn, l.id, target, from);
    std::vector<audit::Entry> e(1);
    e[0].actor = c.actor;
    e[0].action = "adapter.upgrade";
    e[0].detail = {{"link", l.name}, {"adapter", id}, {"from", r["from"]}, {"to", target}};
    if (s.ok()) s = audit::Append(**conn, e);
    if (s.ok()) s = tx.Commit();
    if (!s.ok()) return Fail(inv, s);
    r["result"] = "upgraded";
    results.push_back(r);
  }
  if (inv.json) {
    inv.PrintJson({{"adapter", id}, {"version", target}, {"links", results}});
  } else {
    if (results.empty()) *inv.out << "no links of adapter " << id << " matched\n";
    for (const auto& r : results) {
      const std::string from = r["from"].is_null() ? "bundled" : r["from"].get<std::string>();
      const std::string res = r["result"];
      if (res == "upgraded")
        *inv.out << "link " << r["link"].get<std::string>() << ": " << from << " -> " << target
                 << " (link test passed)\n";
      else if (res == "already")
        *inv.out << "link " << r["link"].get<std::string>() << ": already on " << target << "\n";
      else
        *inv.out << "link " << r["link"].get<std::string>() << ": stays on " << from
                 << ": link test of " << target << " failed: " << r["reason"].get<std::string>()
                 << "\n";
    }
  }
  return all_ok ? kExitOk : kExitFailed;
}

int RollbackCmd(const Invocation& inv) {
  if (!inv.Has("link")) return inv.Fail("adapters rollback needs --link NAME", kExitUsage);
  auto ctx = MakeContext(inv);
  if (!ctx.ok()) return Fail(inv, ctx.status());
  Context& c = **ctx;
  auto conn = c.store->Connect();
  if (!conn.ok()) return Fail(inv, conn.status());
  auto l = store::GetLink(**conn, inv.Get("link"));
  if (!l.ok()) return Fail(inv, l.status());
  if (l->adapter_previous_version.empty())
    return Fail(inv, Status::FailedPrecondition("link " + l->name +
                                                " has no earlier adapter version to go back to"));
  auto installed = plugins::ListInstalled(c.adapters_dir);
  bool present = false;
  for (const auto& a : installed)
    present |= a.id == l->adapter_id && a.version == l->adapter_previous_version;
  if (!present)
    return Fail(inv, Status::NotFound(l->adapter_id + "@" + l->adapter_previous_version +
                                      " is no longer installed"));
  const std::string from = EffectiveVersion(*l, installed), to = l->adapter_previous_version;
  store::Tx tx(**conn);
  if (!tx.status().ok()) return Fail(inv, tx.status());
  Status s = store::SetLinkAdapterVersion(**conn, l->id, to, from);
  std::vector<audit::Entry> e(1);
  e[0].actor = c.actor;
  e[0].action = "adapter.rollback";
  e[0].detail = {{"link", l->name}, {"adapter", l->adapter_id}, {"from", from}, {"to", to}};
  if (s.ok()) s = audit::Append(**conn, e);
  if (s.ok()) s = tx.Commit();
  if (!s.ok()) return Fail(inv, s);
  return Done(inv, e[0].detail,
              "link " + l->name + ": " + l->adapter_id + " " + from + " -> " + to);
}

void InstallOptions(Poco::Util::OptionSet& s) {
  CommonOptions(s);
  AddFlag(s, "allow-unsigned", "install a package with no signature (logged and audited)");
  AddValueOption(s, "max-package-bytes", "N",
                 "refuse packages larger than this (default: max_adapter_package_mb, 64 MiB)");
}

void SelectOptions(Poco::Util::OptionSet& s) {
  CommonOptions(s);
  AddValueOption(s, "school", "URN", "every link of this school");
  AddValueOption(s, "link", "NAME", "this link");
  AddFlag(s, "all", "every link of the adapter");
}

}  // namespace

void RegisterAdapterCommands(Registry& reg) {
  reg.Add(
      {"adapters keygen", "make a vendor's Ed25519 key pair for signing adapter packages", "",
       "Writes DIR/vendor.key (private, mode 0600, never printed) and DIR/vendor.pub (what "
       "schools put in their trusted-keys folder). Never overwrites a key.",
       0, 0,
       [](Poco::Util::OptionSet& s) { AddValueOption(s, "out", "DIR", "where to write the keys"); },
       Keygen});
  reg.Add({"adapters pack", "build a signed adapter package from a folder", "DIR",
           "DIR holds the adapter's one *.so, ADMIN.md or README.md (its admin guide) and, "
           "optionally, config-schema.json (else taken from the manifest). The library is "
           "inspected through the worker first.",
           1, 1,
           [](Poco::Util::OptionSet& s) {
             AddValueOption(s, "key", "KEY", "the vendor's private key (sendsync adapters keygen)");
             AddValueOption(s, "out", "FILE",
                            "package to write (default ID-VERSION.sendsync-adapter)");
             AddFlag(s, "unsigned", "no signature (installs only with --allow-unsigned)");
             AddFlag(s, "in-process", "inspect the library in this process instead of a worker");
           },
           PackCmd});
  reg.Add({"adapters install",
           "verify a signed adapter package and install it beside other versions", "FILE",
           "Checks the signature against the trusted-keys folder, every file's SHA-256, the "
           "architecture, the ABI and the adapter's self-check in a worker, then installs into "
           "<adapters_dir>/ID/VERSION/. A refused package leaves nothing behind. Audited.",
           1, 1, InstallOptions, InstallCmd});
  reg.Add({"adapters list", "installed adapter versions and the links using each", "", "", 0, 0,
           CommonOptions, ListCmd});
  reg.Add({"adapters remove", "remove an installed adapter version no link uses", "ID@VERSION",
           "Refused while a link uses that version (pinned, or following the newest). Audited.", 1,
           1, CommonOptions, RemoveCmd});
  reg.Add({"adapters upgrade", "move links to an installed adapter version after a link test", "ID",
           "The newest installed version (or --version) is tried with `link test` for each link "
           "first; a link whose test fails stays on its version (exit 1). Audited.",
           1, 1,
           [](Poco::Util::OptionSet& s) {
             SelectOptions(s);
             AddValueOption(s, "version", "VERSION", "the version to move to (default: newest)");
           },
           UpgradeCmd});
  reg.Add({"adapters rollback", "put a link back on the adapter version it had before", "",
           "Audited.", 0, 0,
           [](Poco::Util::OptionSet& s) {
             CommonOptions(s);
             AddValueOption(s, "link", "NAME", "the link");
           },
           RollbackCmd});
}

}  // namespace sendsync::cli
