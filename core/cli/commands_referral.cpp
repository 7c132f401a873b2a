// sendsync referral submit: send a pupil's request for an EHC needs assessment to the LA now
// (`referral check`, the readiness checklist, lives with the hub's views in commands_hub.cpp; the
// registry lists both under `sendsync referral`).
#include <cstdlib>
#include <iostream>

#include <Poco/Util/OptionSet.h>
#include <nlohmann/json.hpp>

#include "core/cli/commands.h"
#include "core/cli/context.h"

namespace sendsync::cli {
namespace {

using nlohmann::json;

void PrintMissing(std::ostream& out, const json& readiness) {
  for (const json& i : readiness.value("items", json::array())) {
    if (i.value("met", true)) continue;
    out << "  - " << i.value("label", "") << ": " << i.value("missing", "") << "\n";
  }
}

int ReferralSubmit(const Invocation& inv) {
  auto ctx = MakeContext(inv);
  if (!ctx.ok()) return Fail(inv, ctx.status());
  sync::ReferralSubmitOptions opt;
  opt.upn = inv.args[0];
  opt.link = inv.Get("link");
  opt.force = inv.Has("force");
  opt.actor = (*ctx)->actor;
  if (inv.Has("wait")) {
    const std::string w = inv.Get("wait");
    if (w.empty() || w.size() > 6 || w.find_first_not_of("0123456789") != std::string::npos)
      return inv.Fail("--wait needs a number of seconds (0 or more)", kExitUsage);
    opt.wait_ms = std::stoll(w) * 1000;
  }
  auto r = sync::SubmitReferral(*(*ctx)->store, (*ctx)->engine, opt);
  if (!r.ok()) return Fail(inv, r.status());
  const bool delivered = r->outcome == "delivered";
  if (inv.json) {
    inv.PrintJson(r->ToJson());
    return delivered ? kExitOk : kExitFailed;
  }
  std::ostream& out = *inv.out;
  std::ostream& err = *inv.err;
  if (r->outcome == "not_ready") {
    err << "sendsync: the request for an EHC needs assessment for " << opt.upn
        << " is not ready; nothing was sent. Missing:\n";
    PrintMissing(err, r->readiness);
    err << "Complete these (sendsync referral check " << opt.upn
        << "), or send it anyway with --force (the LA sees it was forced).\n";
    return kExitFailed;
  }
  if (r->la_from_link)
    out << "note: the request named no LA; it goes to LA " << r->la << ", the LA of link "
        << r->link << ", and records it\n";
  if (r->forced) {
    out << "forced: sent although the readiness check found these missing:\n";
    PrintMissing(out, r->readiness);
  }
  if (delivered) {
    out << "the request for an EHC needs assessment for " << opt.upn
        << " was delivered: the LA holds it as " << r->remote_id << " (school's reference "
        << r->client_reference << ", link " << r->link << ", " << r->attempts
        << (r->attempts == 1 ? " attempt" : " attempts")
        << "); sendsync sync brings its reference and decisions back\n";
    return kExitOk;
  }
  if (r->outcome == "pending") {
    err << "sendsync: referral " << r->referral_id << " for " << opt.upn
        << " is submitted and queued for link " << r->link << " but not delivered yet ("
        << r->attempts << " attempt(s); last: " << (r->error.empty() ? "-" : r->error)
        << "). It stays queued: the next sendsync sync (or the scheduler) retries it.\n";
    return kExitFailed;
  }
  err << "sendsync: referral " << r->referral_id << " for " << opt.upn
      << " was not delivered to link " << r->link << " (" << r->outcome << "): " << r->error
      << "\n";
  if (r->outcome != "failed")
    err << "Fix what it names and run sendsync referral submit " << opt.upn
        << " again, or see sendsync outbox list.\n";
  return kExitFailed;
}

}  // namespace

void RegisterReferralCommands(Registry& reg) {
  reg.Add(
      {"referral submit", "send a pupil's request for an EHC needs assessment to the LA now", "UPN",
       "Checks readiness (as referral check does); when something is missing nothing is sent "
       "and the command exits 1 naming it, unless --force. Otherwise marks the request "
       "submitted, queues it for the LA link with its evidence and delivers it at once, "
       "retrying with the usual backoff for up to --wait seconds (default 60); what is not "
       "delivered by then stays queued for the next sync. Exits 0 only once the LA holds it.",
       1, 1,
       [](Poco::Util::OptionSet& s) {
         AddCommonOptions(s);
         AddValueOption(s, "link", "NAME",
                        "the LA link to send it through (default: the one link of the "
                        "pupil's school that sends referrals)");
         AddFlag(s, "force", "send even though the readiness check fails (an admin's decision)");
         AddValueOption(s, "wait", "SECONDS", "how long to keep retrying now (default 60)");
       },
       ReferralSubmit});
}

}  // namespace sendsync::cli
