#include "providers/device_facts.h"

#include <algorithm>

namespace accelmap::providers {

namespace {
int state_rank(std::string_view s) {
  if (s == kAvailable) return 3;
  if (s == kNotConfigured) return 2;
  if (s == kStateUnknown) return 1;
  return 4;  // isolated / failed are sticky: the kernel said so
}

bool is_bdf(std::string_view c) {
  // DDDD:BB:DD.F with a 4+ hex digit domain.
  std::size_t colon1 = c.find(':');
  if (colon1 == std::string_view::npos || colon1 < 4) return false;
  if (c.size() != colon1 + 8 || c[colon1 + 3] != ':' || c[colon1 + 6] != '.') return false;
  for (std::size_t i = 0; i < c.size(); ++i) {
    if (i == colon1 || i == colon1 + 3 || i == colon1 + 6) continue;
    if (!std::isxdigit(static_cast<unsigned char>(c[i]))) return false;
  }
  return true;
}
}  // namespace

Object& accelerator(const ProbeContext& ctx, const std::string& key, std::string_view family,
                    std::string_view device_type) {
  FactSet& facts = ctx.facts();
  Object& o = facts.object(key, "accelerator");
  if (!o.find("family")) o.set("family", facts.share(Value(family)), Unit::kNone, Provenance::kKernel, "");
  if (!o.find("device_type"))
    o.set("device_type", facts.share(Value(device_type)), Unit::kNone, Provenance::kKernel, "");
  return o;
}

Object& add_function(const ProbeContext& ctx, const std::string& device_key, std::string_view function,
                     std::string_view state, std::string_view via, const std::string& path, Provenance provenance) {
  std::string key = "fn:" + device_key + ":" + std::string(function);
  FactSet& facts = ctx.facts();
  Object& f = facts.object(key, "function");
  if (!f.find("device")) {
    // A large machine has ~60,000 functions. The device's object has as a rule
    // read from the folder of `path` already: its functions share that stem.
    // Their device, name and via repeat: each is one block, shared.
    const Object* device = facts.find(device_key);
    const Source source = device ? device->source_for(path) : Source(path);
    f.set("device", facts.share(Value(device_key)), Unit::kNone, provenance, source);
    f.set("name", facts.share(Value(function)), Unit::kNone, provenance, source);
    f.set("state", std::string(state), Unit::kNone, provenance, source);
    // Made with its first word: an empty list rebuilt at once below was one block
    // too many for each function.
    f.set("via", facts.share(via.empty() ? Value::strings({}) : Value::strings({via})), Unit::kNone, provenance,
          source);
  } else {
    std::optional<std::string_view> old = f.get_string("state");
    std::string_view old_state = old ? std::string_view(*old) : kStateUnknown;
    if (state_rank(state) > state_rank(old_state) && state_rank(old_state) < 4)
      f.set("state", std::string(state), Unit::kNone, provenance, path);
    // A kernel statement outranks a table's.
    if (provenance == Provenance::kKernel && f.find("name")->provenance != Provenance::kKernel)
      f.set("name", facts.share(Value(function)), Unit::kNone, provenance, path);
  }
  if (!via.empty()) {
    // A list of texts is one immutable block: a new word makes a new list, in order.
    Value& list = f.attrs["via"].value;
    const TextList* v = list.as_strings();
    if (v && std::find(v->begin(), v->end(), via) == v->end()) {
      std::vector<std::string_view> words(v->begin(), v->end());
      words.push_back(via);
      std::sort(words.begin(), words.end());
      list = facts.share(Value::strings(words));
    }
  }
  return f;
}

bool add_functions_from(const ProbeContext& ctx, const std::string& device_key, std::string_view source,
                        std::string_view word, std::string_view state, const std::string& path,
                        Provenance provenance) {
  const std::vector<std::string>* fns = ctx.catalog().lookup(source, word);
  if (!fns) {
    ctx.warn(path, "unknown " + std::string(source) + " '" + std::string(word) +
                       "' (not in the function catalog; add it with --catalog)",
             Severity::kInfo);
    return false;
  }
  std::string via = std::string(source) + "=" + std::string(word);
  for (const auto& fn : *fns) add_function(ctx, device_key, fn, state, via, path, provenance);
  return true;
}

void set_instances(const ProbeContext& ctx, const std::string& device_key, std::optional<std::int64_t> free_count,
                   std::optional<std::int64_t> total, const std::string& path) {
  std::string prefix = "fn:" + device_key + ":";
  for (Object* o : ctx.facts().with_prefix(prefix)) {
    if (o->kind != "function") continue;
    // Room for exactly what comes: a function is made with the room of the one
    // before it, which had no instances yet either, and growing one at a time
    // doubles it (4 -> 8 slots where 6 are used, on ~19,000 functions at 10,000
    // devices). The block given back is the size the next function takes.
    const std::size_t more = (free_count && !o->find("instances_free") ? 1 : 0) +
                             (total && !o->find("instances_total") ? 1 : 0);
    o->attrs.reserve(o->attrs.size() + more);
    if (free_count && !o->find("instances_free"))
      o->set("instances_free", *free_count, Unit::kCount, Provenance::kKernel, path);
    if (total && !o->find("instances_total")) o->set("instances_total", *total, Unit::kCount, Provenance::kKernel, path);
  }
}

std::string link_key(const std::string& a, const std::string& b) {
  return natural_less(b, a) ? "link:" + b + "~" + a : "link:" + a + "~" + b;
}

std::string set_parent_device(const ProbeContext& ctx, Object& accel, const std::string& class_dir) {
  const std::string dev = class_dir + "/device";
  std::string pci;
  if (auto c = ctx.resolve(dev)) pci = pci_key_of_path(*c);
  if (pci.empty())
    if (auto c = ctx.resolve(class_dir)) pci = pci_key_of_path(*c);
  if (!pci.empty()) accel.set("pci", pci, Unit::kNone, Provenance::kKernel, dev);
  std::string driver;
  if (auto target = ctx.fs().read_link(dev + "/driver")) {
    std::string_view t = *target;
    while (!t.empty() && t.back() == '/') t.remove_suffix(1);
    std::size_t k = t.rfind('/');
    driver = std::string(k == std::string_view::npos ? t : t.substr(k + 1));
  }
  if (!driver.empty()) accel.set("driver", driver, Unit::kNone, Provenance::kKernel, dev + "/driver");
  if (auto n = ctx.read_int(dev + "/numa_node"))
    accel.set("numa_node", *n >= 0 ? Value(*n) : Value{}, Unit::kNone, Provenance::kKernel, dev + "/numa_node");
  return driver;
}

std::string pci_key_of_path(std::string_view canonical) {
  std::string found;
  std::size_t i = 0;
  while (i < canonical.size()) {
    std::size_t j = canonical.find('/', i);
    if (j == std::string_view::npos) j = canonical.size();
    std::string_view c = canonical.substr(i, j - i);
    if (is_bdf(c)) found = "pci:" + std::string(c);
    i = j + 1;
  }
  return found;
}

}  // namespace accelmap::providers
