// Diff of two fact sets. Both sides are keyed maps, so the diff is one merge
// walk; everything is sorted so the same pair always gives the same bytes.
#include "accelmap/diff.h"

#include <algorithm>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "facts/attr_json.h"

namespace accelmap {

using nlohmann::json;

namespace {

// accelerator key -> function names, from "function" objects.
std::map<std::string, std::set<std::string>> functions_of(const FactSet& f) {
  std::map<std::string, std::set<std::string>> out;
  for (const Object& o : f.objects()) {
    if (o.kind != "function") continue;
    std::optional<std::string_view> dev = o.get_string("device");
    std::optional<std::string_view> name = o.get_string("name");
    if (dev && name) out[std::string(*dev)].insert(std::string(*name));
  }
  return out;
}

bool diag_less(const Diagnostic& a, const Diagnostic& b) {
  return std::tie(a.provider, a.path, a.message, a.severity) < std::tie(b.provider, b.path, b.message, b.severity);
}

std::string value_text(const Attr& a) {
  json j = internal::attr_to_json(a)["value"];
  return j.is_string() ? j.get<std::string>() : j.dump();
}

}  // namespace

FactsDiff diff_facts(const FactSet& before, const FactSet& after) {
  FactsDiff d;
  for (const Object& o : before.objects()) {
    const std::string& key = o.key;
    const Object* n = after.find(key);
    if (!n || n->kind != o.kind) {
      d.removed.push_back({key, o.kind.str()});
      if (n) d.added.push_back({key, n->kind.str()});
      continue;
    }
    if (o.attrs == n->attrs) continue;
    ObjectChange c{key, o.kind.str(), {}};
    std::set<std::string_view> names;  // into o and n, which outlive it
    for (const auto& [name, a] : o.attrs) names.insert(name);
    for (const auto& [name, a] : n->attrs) names.insert(name);
    for (const auto& name : names) {
      const Attr* a = o.find(name);
      const Attr* b = n->find(name);
      if (a && b && *a == *b) continue;
      AttrChange ac{std::string(name), {}, {}};
      if (a) ac.before = *a;
      if (b) ac.after = *b;
      c.attrs.push_back(std::move(ac));
    }
    d.changed.push_back(std::move(c));
  }
  for (const Object& o : after.objects())
    if (!before.find(o.key)) d.added.push_back({o.key, o.kind.str()});
  auto by_key = [](const auto& x, const auto& y) { return natural_less(x.key, y.key); };
  std::sort(d.added.begin(), d.added.end(), by_key);
  std::sort(d.removed.begin(), d.removed.end(), by_key);
  std::sort(d.changed.begin(), d.changed.end(), by_key);

  auto fa = functions_of(before), fb = functions_of(after);
  std::set<std::string> accels;
  for (const auto& [k, v] : fa) accels.insert(k);
  for (const auto& [k, v] : fb) accels.insert(k);
  for (const auto& k : accels) {
    static const std::set<std::string> kNone;
    const auto& a = fa.count(k) ? fa.at(k) : kNone;
    const auto& b = fb.count(k) ? fb.at(k) : kNone;
    FunctionChange fc{k, {}, {}};
    std::set_difference(b.begin(), b.end(), a.begin(), a.end(), std::back_inserter(fc.added));
    std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(fc.removed));
    if (!fc.added.empty() || !fc.removed.empty()) d.functions.push_back(std::move(fc));
  }
  std::sort(d.functions.begin(), d.functions.end(),
            [](const auto& x, const auto& y) { return natural_less(x.accelerator, y.accelerator); });

  std::vector<Diagnostic> da = before.diagnostics(), db = after.diagnostics();
  std::sort(da.begin(), da.end(), diag_less);
  std::sort(db.begin(), db.end(), diag_less);
  std::set_difference(db.begin(), db.end(), da.begin(), da.end(), std::back_inserter(d.diagnostics_added), diag_less);
  std::set_difference(da.begin(), da.end(), db.begin(), db.end(), std::back_inserter(d.diagnostics_removed), diag_less);
  return d;
}

FactsDiff diff_snapshots(const Snapshot& before, const Snapshot& after) {
  return diff_facts(before.facts(), after.facts());
}

std::string diff_to_json(const FactsDiff& d, int indent) {
  auto refs = [](const std::vector<ObjectRef>& v) {
    json a = json::array();
    for (const auto& r : v) a.push_back({{"key", r.key}, {"kind", r.kind}});
    return a;
  };
  json changed = json::array();
  for (const auto& c : d.changed) {
    json attrs = json::array();
    for (const auto& a : c.attrs)
      attrs.push_back({{"name", a.name},
                       {"before", a.before ? internal::attr_to_json(*a.before) : json(nullptr)},
                       {"after", a.after ? internal::attr_to_json(*a.after) : json(nullptr)}});
    changed.push_back({{"key", c.key}, {"kind", c.kind}, {"attrs", std::move(attrs)}});
  }
  json fns = json::array();
  for (const auto& f : d.functions)
    fns.push_back({{"accelerator", f.accelerator}, {"added", f.added}, {"removed", f.removed}});
  auto diags = [](const std::vector<Diagnostic>& v) {
    json a = json::array();
    for (const auto& x : v)
      a.push_back({{"severity", severity_name(x.severity)}, {"provider", x.provider}, {"path", x.path},
                   {"message", x.message}});
    return a;
  };
  json root = {{"format", "accelmap-diff"},
               {"version", FactsDiff::kFormatVersion},
               {"same", d.empty()},
               {"added", refs(d.added)},
               {"removed", refs(d.removed)},
               {"changed", std::move(changed)},
               {"functions", std::move(fns)},
               {"diagnostics_added", diags(d.diagnostics_added)},
               {"diagnostics_removed", diags(d.diagnostics_removed)}};
  return root.dump(indent, ' ', false, json::error_handler_t::replace);
}

std::string diff_to_text(const FactsDiff& d) {
  std::string out;
  for (const auto& f : d.functions) {
    for (const auto& n : f.added) out += "  + " + f.accelerator + " offers " + n + "\n";
    for (const auto& n : f.removed) out += "  - " + f.accelerator + " no longer offers " + n + "\n";
  }
  for (const auto& r : d.added)
    if (r.kind != "function") out += "  + " + r.key + " (" + r.kind + ")\n";
  for (const auto& r : d.removed)
    if (r.kind != "function") out += "  - " + r.key + " (" + r.kind + ")\n";
  for (const auto& c : d.changed) {
    for (const auto& a : c.attrs) {
      out += "  ~ " + c.key + " " + a.name + ": " + (a.before ? value_text(*a.before) : "(none)") + " -> " +
             (a.after ? value_text(*a.after) : "(none)") + "\n";
    }
  }
  if (!d.diagnostics_added.empty() || !d.diagnostics_removed.empty())
    out += "  diagnostics: +" + std::to_string(d.diagnostics_added.size()) + " -" +
           std::to_string(d.diagnostics_removed.size()) + "\n";
  if (out.empty()) out = "  (no change)\n";
  return out;
}

}  // namespace accelmap
