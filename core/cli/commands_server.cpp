// sendsync serve, token create / list / revoke, config check.
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <Poco/Util/OptionSet.h>
#include <nlohmann/json.hpp>

#include "base/log/log.h"
#include "core/cli/commands.h"
#include "core/cli/context.h"
#include "core/server/auth.h"
#include "core/server/service.h"

namespace sendsync::cli {
namespace {

using nlohmann::json;

int Serve(const Invocation& inv) {
  auto ctx = MakeContext(inv);
  if (!ctx.ok()) return Fail(inv, ctx.status());
  Context& c = **ctx;
  if (inv.Has("host-id")) {
    if (Status st = config::CheckHostId(inv.Get("host-id"), "--host-id"); !st.ok())
      return inv.Fail(st.message(), kExitUsage);
    c.engine.host_id = inv.Get("host-id");
  }
  server::ServiceOptions o = server::OptionsFrom(c.cfg, c.store_url, c.plugin_dir, c.engine);
  if (inv.Has("listen")) o.listen = inv.Get("listen");
  std::string host;
  uint16_t port = 0;
  if (Status st = server::ParseListen(o.listen, inv.Has("listen") ? "--listen" : "config: listen",
                                      host, port);
      !st.ok())
    return inv.Fail(st.message(), kExitUsage);
  if (inv.Has("listen"))
    if (Status st = config::CheckPlainHttp(o.listen, !o.tls_cert.empty(), c.cfg.allow_plain_http,
                                           "--listen");
        !st.ok())
      return inv.Fail(st.message(), kExitUsage);
  o.scheduler.enabled = !inv.Has("no-scheduler");
  o.anchors = c.anchors;
  c.store.reset();  // the service opens its own

  // Signals are taken by WaitForStopSignal only: block them before any thread starts.
  server::BlockStopSignals();
  auto svc = server::Service::Start(o);
  if (!svc.ok()) return Fail(inv, svc.status());
  if (inv.Has("port-file")) {
    const std::string path = inv.Get("port-file"), tmp = path + ".tmp";
    {
      std::ofstream f(tmp, std::ios::trunc);
      f << (*svc)->port() << "\n";
    }
    std::rename(tmp.c_str(), path.c_str());  // readers never see a half-written file
  }
  *inv.out << "sendsync serve: listening on " << (*svc)->base_url() << std::endl;
  const int sig = server::WaitForStopSignal();
  log::Write(log::Level::kInfo, "service.signal",
             {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
  (*svc)->Stop();
  return kExitOk;
}

int TokenCreate(const Invocation& inv) {
  if (!inv.Has("role") || !inv.Has("name"))
    return inv.Fail("token create needs --role and --name (see --help)", kExitUsage);
  auto role = server::ParseRole(inv.Get("role"));
  if (!role) return inv.Fail("--role must be admin, operator, senco or auditor", kExitUsage);
  auto ctx = MakeContext(inv);
  if (!ctx.ok()) return Fail(inv, ctx.status());
  auto token =
      server::CreateToken(*(*ctx)->store, inv.Get("name"), *role, inv.Get("school"), (*ctx)->actor);
  if (!token.ok()) {
    if (token.status().code() == Status::Code::kInvalidArgument)
      return inv.Fail(token.status().message(), kExitUsage);
    return Fail(inv, token.status());
  }
  if (inv.json) {
    inv.PrintJson({{"name", inv.Get("name")},
                   {"role", inv.Get("role")},
                   {"school_urn", inv.Get("school")},
                   {"token", *token}});
  } else {
    *inv.out << *token << "\n";
    *inv.err << "token '" << inv.Get("name") << "' (" << inv.Get("role")
             << (inv.Has("school") ? ", school " + inv.Get("school")
                                   : std::string(", every school"))
             << ") created. It is shown only this once; only its hash is kept.\n";
  }
  return kExitOk;
}

int TokenList(const Invocation& inv) {
  auto ctx = MakeContext(inv);
  if (!ctx.ok()) return Fail(inv, ctx.status());
  auto conn = (*ctx)->store->Connect();
  if (!conn.ok()) return Fail(inv, conn.status());
  auto tokens = store::ListTokens(**conn);
  if (!tokens.ok()) return Fail(inv, tokens.status());
  json arr = json::array();
  std::vector<std::vector<std::string>> rows;
  for (const auto& t : *tokens) {
    if (t.revoked_at && !inv.Has("all")) continue;
    arr.push_back({{"name", t.name},
                   {"role", t.role},
                   {"school_urn", t.school_urn},
                   {"created", FormatTime(t.created_at)},
                   {"last_used", FormatTime(t.last_used_at.value_or(0))},
                   {"revoked", FormatTime(t.revoked_at.value_or(0))}});
    rows.push_back({t.name, t.role, t.school_urn.empty() ? "(all)" : t.school_urn,
                    FormatTime(t.created_at), FormatTime(t.last_used_at.value_or(0)),
                    t.revoked_at ? "revoked " + FormatTime(*t.revoked_at) : "active"});
  }
  if (inv.json)
    inv.PrintJson({{"tokens", arr}});
  else if (rows.empty())
    *inv.out << "no tokens (sendsync token create --help)\n";
  else
    PrintTable(*inv.out, {"NAME", "ROLE", "SCHOOL", "CREATED", "LAST USED", "STATE"}, rows);
  return kExitOk;
}

// A host is "alive" while its heartbeats keep coming (every 10 s; three missed: "silent").
int HostsList(const Invocation& inv) {
  auto ctx = MakeContext(inv);
  if (!ctx.ok()) return Fail(inv, ctx.status());
  auto conn = (*ctx)->store->Connect();
  if (!conn.ok()) return Fail(inv, conn.status());
  auto hosts = store::ListHosts(**conn);
  if (!hosts.ok()) return Fail(inv, hosts.status());
  const int64_t now = store::NowMs();
  constexpr int64_t kSilentAfterMs = 30000;
  json arr = json::array();
  std::vector<std::vector<std::string>> rows;
  for (const auto& h : *hosts) {
    const bool alive = now - h.heartbeat_at < kSilentAfterMs;
    std::string links;
    for (const auto& l : h.links) links += (links.empty() ? "" : ",") + l;
    arr.push_back({{"host_id", h.host_id},
                   {"holder", h.holder},
                   {"listen", h.listen},
                   {"version", h.version},
                   {"started", FormatTime(h.started_at)},
                   {"last_heartbeat", FormatTime(h.heartbeat_at)},
                   {"seconds_since_heartbeat", (now - h.heartbeat_at) / 1000},
                   {"state", alive ? "alive" : "silent"},
                   {"links", h.links}});
    rows.push_back({h.host_id, alive ? "alive" : "silent", FormatTime(h.heartbeat_at), h.listen,
                    links.empty() ? "-" : links});
  }
  if (inv.json)
    inv.PrintJson({{"hosts", arr}});
  else if (rows.empty())
    *inv.out << "no hosts have run sendsync serve on this store yet\n";
  else
    PrintTable(*inv.out, {"HOST", "STATE", "LAST HEARTBEAT", "LISTEN", "LINKS HELD"}, rows);
  return kExitOk;
}

int TokenRevoke(const Invocation& inv) {
  auto ctx = MakeContext(inv);
  if (!ctx.ok()) return Fail(inv, ctx.status());
  Status st = server::RevokeToken(*(*ctx)->store, inv.args[0], (*ctx)->actor);
  if (!st.ok()) return Fail(inv, st);
  if (inv.json)
    inv.PrintJson({{"ok", true}, {"revoked", inv.args[0]}});
  else
    *inv.out << "token " << inv.args[0] << " revoked; calls with it now get 401\n";
  return kExitOk;
}

int ConfigCheck(const Invocation& inv) {
  auto cfg = config::Load(inv.args[0]);
  if (!cfg.ok()) return inv.Fail(cfg.status().message());
  std::string host;
  uint16_t port = 0;
  if (Status st = server::ParseListen(cfg->listen, "config: listen", host, port); !st.ok())
    return inv.Fail(st.message());
  auto url = store::ParseStoreUrl(cfg->StoreUrl());
  if (!url.ok()) return inv.Fail("config: store_url: " + url.status().message());
  // The data folder is made by `sendsync init`; a missing one is most often a mistyped path.
  if (std::error_code ec; !std::filesystem::is_directory(cfg->data_dir, ec))
    return inv.Fail("config: data_dir: no such folder " + cfg->data_dir +
                    " (mistyped? `sendsync init` creates it)");
  auto web_root = server::CheckWebRoot(cfg->web_root);
  if (!web_root.ok()) return inv.Fail("config: " + web_root.status().message());
  if (inv.json) {
    json j = cfg->ToJson();
    j["store_url"] = url->display;  // never a password
    inv.PrintJson({{"ok", true}, {"config", j}});
  } else {
    *inv.out << inv.args[0] << " is valid: store " << url->display << ", listening on "
             << cfg->listen << (cfg->tls_cert.empty() ? " (HTTP)" : " (HTTPS)") << ", log level "
             << cfg->log_level << "\n";
  }
  return kExitOk;
}

}  // namespace

void RegisterSchoolCommands(Registry& reg);  // commands_schools.cpp

void RegisterServerCommands(Registry& reg) {
  RegisterSchoolCommands(reg);
  reg.Add(
      {"serve", "run the service: scheduler, admin API, dashboard, /healthz, /metrics", "",
       "Runs every enabled link on its schedule and serves the admin API (docs/api/admin-api.yaml) "
       "until SIGTERM or SIGINT, then stops runs at a safe point and exits. Listens on the "
       "config's listen address (127.0.0.1:8470 by default); HTTPS when tls_cert and tls_key "
       "are set.",
       0, 0,
       [](Poco::Util::OptionSet& s) {
         AddCommonOptions(s);
         AddValueOption(s, "listen", "HOST:PORT", "listen here instead (port 0: any free port)");
         AddValueOption(s, "port-file", "FILE", "write the port to FILE once listening");
         AddFlag(s, "no-scheduler", "serve the API only; run links only when asked");
         AddValueOption(s, "host-id", "ID",
                        "this host's name in leases, runs and hosts list (default: the config's "
                        "host_id, SENDSYNC_HOST_ID, or the hostname)");
       },
       Serve});
  reg.Add({"token create", "make an API token; it is printed once, only its hash is kept", "",
           "Roles: admin (everything), operator (run links, resolve queues), senco (their school's "
           "pupils, conflicts and quarantine), auditor (audit log and runs). --school limits the "
           "token to one school.",
           0, 0,
           [](Poco::Util::OptionSet& s) {
             AddCommonOptions(s);
             AddValueOption(s, "role", "ROLE", "admin, operator, senco or auditor");
             AddValueOption(s, "name", "NAME", "a name for the token (shown in the audit log)");
             AddValueOption(s, "school", "URN", "limit the token to this school");
           },
           TokenCreate});
  reg.Add({"token list", "API tokens (never the tokens themselves)", "", "", 0, 0,
           [](Poco::Util::OptionSet& s) {
             AddCommonOptions(s);
             AddFlag(s, "all", "include revoked tokens");
           },
           TokenList});
  reg.Add({"token revoke", "revoke an API token at once", "NAME", "", 1, 1, CommonOptions,
           TokenRevoke});
  reg.Add({"hosts list",
           "the sendsync serve hosts seen on this store: last heartbeat, links they hold", "",
           "Several serve hosts can share one PostgreSQL store (docs/scale-out.md); each records a "
           "heartbeat every 10 s. A host silent for 30 s is shown as \"silent\"; the links it held "
           "are free again when their leases expire (lease_seconds).",
           0, 0, CommonOptions, HostsList});
  reg.Add({"config check", "check a config file; errors name the key", "FILE", "", 1, 1, nullptr,
           ConfigCheck});
}

}  // namespace sendsync::cli
