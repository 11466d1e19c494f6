// `accelmap ls` and `accelmap functions`: tables in the style of lsblk/lscpu.
#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "accelmap/catalog.h"
#include "accelmap/render.h"

namespace accelmap {

namespace {

// At most this many function names in the FUNCTIONS column; the rest is counted.
constexpr std::size_t kFunctionsShown = 5;

}  // namespace

std::string accelerator_memory_summary(const Accelerator& a) {
  std::int64_t total = 0;
  bool known = false;
  std::set<std::string_view> kinds;
  for (const auto& m : a.memory) {
    if (m.size.known()) {
      total += *m.size.value;
      known = true;
    }
    if (m.kind != "unknown") kinds.insert(m.kind);
  }
  if (a.memory.empty()) return "-";
  std::string s = known ? format_bytes(total) : "size unknown";
  for (std::string_view k : kinds) (s += ' ') += k;
  bool shared = std::any_of(a.memory.begin(), a.memory.end(), [](const DeviceMemory& m) { return !m.shared_by.empty(); });
  if (shared) s += " (shared)";
  return s;
}

std::string accelerator_function_summary(const Accelerator& a) {
  std::vector<std::string> avail;
  std::map<std::string_view, std::size_t> other;  // state -> count
  for (const auto& f : a.functions) {
    if (f.state == "available") avail.emplace_back(f.name);
    else ++other[f.state];
  }
  std::string s;
  if (avail.size() <= kFunctionsShown) {
    for (std::size_t i = 0; i < avail.size(); ++i) s += (i ? "," : "") + avail[i];
  } else {
    // Too many to list: summarise by family ("crypto.cipher.*(6)"), coarser if needed.
    for (int depth : {2, 1}) {
      std::map<std::string, std::vector<std::string>> groups;
      for (const auto& n : avail) {
        std::size_t cut = 0;
        for (int d = 0; d < depth && cut != std::string::npos; ++d) cut = n.find('.', cut ? cut + 1 : 0);
        groups[cut == std::string::npos ? n : n.substr(0, cut)].push_back(n);
      }
      if (groups.size() > kFunctionsShown && depth == 2) continue;
      for (const auto& [g, members] : groups)
        s += (s.empty() ? "" : ",") +
             (members.size() == 1 ? members[0] : g + ".*(" + std::to_string(members.size()) + ")");
      break;
    }
  }
  for (const auto& [state, n] : other) s += (s.empty() ? "" : " ") + std::string("(") + std::to_string(n) + " " + std::string(state) + ")";
  return s.empty() ? "-" : s;
}

namespace {

std::string cell(const Accelerator& a, const std::string& col) {
  auto dash = [](std::string_view s) { return s.empty() ? std::string("-") : std::string(s); };
  if (col == "key") return std::string(a.key);
  if (col == "type") return dash(a.device_type);
  if (col == "family") return dash(a.family);
  if (col == "vendor") return dash(a.vendor);
  if (col == "model") return dash(a.model);
  if (col == "driver") return dash(a.driver);
  if (col == "pci") return a.pci.empty() ? "-" : std::string(a.pci.substr(4));
  if (col == "numa") return a.numa_node ? std::to_string(*a.numa_node) : "-";
  if (col == "memory") return accelerator_memory_summary(a);
  if (col == "state") return dash(a.state);
  if (col == "package") return dash(a.package);
  if (col == "functions") return accelerator_function_summary(a);
  return "?";
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// Left-aligned columns, two spaces apart; the last column is not padded.
std::string table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                  bool color) {
  std::vector<std::size_t> width(header.size());
  auto display_width = [](const std::string& s) {
    std::size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;  // count UTF-8 code points
    return n;
  };
  for (std::size_t i = 0; i < header.size(); ++i) width[i] = display_width(header[i]);
  for (const auto& r : rows)
    for (std::size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], display_width(r[i]));
  std::string out;
  auto line = [&](const std::vector<std::string>& r, bool head) {
    std::string l;
    for (std::size_t i = 0; i < r.size(); ++i) {
      std::string c = r[i];
      if (i + 1 < r.size()) c += std::string(width[i] - display_width(r[i]) + 2, ' ');
      l += c;
    }
    while (!l.empty() && l.back() == ' ') l.pop_back();
    out += (head && color ? "\033[1m" + l + "\033[0m" : l) + "\n";
  };
  line(header, true);
  for (const auto& r : rows) line(r, false);
  return out;
}

}  // namespace

Result<std::string> render_accelerator_table(const Snapshot& snap, const std::string& columns, bool color) {
  std::vector<std::string> cols;
  std::size_t i = 0;
  while (i <= columns.size()) {
    std::size_t j = columns.find(',', i);
    if (j == std::string::npos) j = columns.size();
    std::string c = columns.substr(i, j - i);
    for (char& ch : c) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    bool known = false;
    for (const char* k : kAcceleratorColumns) known |= c == k;
    if (!known) {
      std::string all;
      for (const char* k : kAcceleratorColumns) all += (all.empty() ? "" : ",") + std::string(k);
      return Status(StatusCode::kInvalidArgument, "unknown column '" + c + "' (columns: " + all + ")");
    }
    cols.push_back(c);
    i = j + 1;
  }
  std::vector<std::string> header;
  for (const auto& c : cols) header.push_back(upper(c));
  std::vector<std::vector<std::string>> rows;
  for (const auto& a : snap.accelerators()) {
    std::vector<std::string> r;
    for (const auto& c : cols) r.push_back(cell(a, c));
    rows.push_back(std::move(r));
  }
  return table(header, rows, color);
}

namespace {
struct Offer {
  const Accelerator* device;
  const Function* function;
};
std::map<std::string_view, std::vector<Offer>> offers_by_function(const Snapshot& snap) {
  std::map<std::string_view, std::vector<Offer>> by;
  for (const auto& a : snap.accelerators())
    for (const auto& f : a.functions) by[f.name].push_back({&a, &f});
  return by;
}
}  // namespace

std::string render_functions_table(const Snapshot& snap, bool color) {
  // A row names its first few devices: on a machine with hundreds of engines a
  // full list per function is a wall of text (--json lists every offer).
  constexpr std::size_t kNamed = 6;
  std::vector<std::vector<std::string>> rows;
  for (const auto& [name, offers] : offers_by_function(snap)) {
    std::size_t avail = 0;
    std::string where;
    for (std::size_t i = 0; i < offers.size(); ++i) {
      const auto& o = offers[i];
      avail += o.function->state == "available";
      if (i >= kNamed) continue;
      (where += where.empty() ? "" : ", ") += o.device->key;
      if (o.function->state != "available") ((where += " (") += o.function->state) += ")";
    }
    if (offers.size() > kNamed) where += ", ... " + std::to_string(offers.size() - kNamed) + " more (--json lists all)";
    rows.push_back({std::string(name), std::to_string(avail) + "/" + std::to_string(offers.size()), where});
  }
  if (rows.empty()) return "No accelerator functions found.\n";
  return table({"FUNCTION", "AVAILABLE", "OFFERED BY"}, rows, color);
}

std::string functions_to_json(const Snapshot& snap) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [name, offers] : offers_by_function(snap)) {
    nlohmann::json devs = nlohmann::json::array();
    for (const auto& o : offers) {
      nlohmann::json d = {{"key", o.device->key}, {"state", o.function->state}, {"numa_node", nullptr}};
      if (o.device->numa_node) d["numa_node"] = *o.device->numa_node;
      if (o.function->instances_free) d["instances_free"] = *o.function->instances_free;
      if (o.function->instances_total) d["instances_total"] = *o.function->instances_total;
      devs.push_back(std::move(d));
    }
    out.push_back({{"name", name},
                   {"description", std::string(FunctionCatalog::builtin().describe(name))},
                   {"devices", std::move(devs)}});
  }
  return out.dump(1) + "\n";
}

}  // namespace accelmap
