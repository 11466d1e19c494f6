// Facts <-> JSON. The format is documented in docs/facts.md and described by
// schema/facts.schema.json; bump FactSet::kFormatVersion on any change that an
// older reader would misread.
#include <nlohmann/json.hpp>

#include "accelmap/facts.h"
#include "facts/attr_json.h"
#include "parse/parse.h"

namespace accelmap {

using nlohmann::json;

namespace {

json value_to_json(const Value& v, std::string* type) {
  return v.visit(
      [&](const auto& x) -> json {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) { *type = "null"; return nullptr; }
        else if constexpr (std::is_same_v<T, bool>) { *type = "bool"; return x; }
        else if constexpr (std::is_same_v<T, std::int64_t>) { *type = "int"; return x; }
        else if constexpr (std::is_same_v<T, double>) { *type = "float"; return x; }
        else if constexpr (std::is_same_v<T, std::string_view>) { *type = "string"; return x; }
        else if constexpr (std::is_same_v<T, IdSet>) { *type = "idset"; return parse::format_id_list(x.ids); }
        else if constexpr (std::is_same_v<T, std::vector<std::int64_t>>) { *type = "ints"; return x; }
        else { *type = "strings"; return x; }
      });
}

Result<Value> value_from_json(const json& j, const std::string& type, const std::string& where) {
  auto bad = [&](const char* what) {
    return Status(StatusCode::kDataLoss, where + ": " + what);
  };
  if (type == "null") return Value{};
  if (type == "bool") { if (!j.is_boolean()) return bad("expected a boolean"); return Value{j.get<bool>()}; }
  if (type == "int") {
    if (!j.is_number_integer()) return bad("expected an integer");
    return Value{j.get<std::int64_t>()};
  }
  if (type == "float") { if (!j.is_number()) return bad("expected a number"); return Value{j.get<double>()}; }
  if (type == "string") { if (!j.is_string()) return bad("expected a string"); return Value{j.get<std::string>()}; }
  if (type == "idset") {
    if (!j.is_string()) return bad("expected an id list string");
    auto ids = parse::id_list(j.get<std::string>());
    if (!ids) return bad("malformed id list");
    return Value{IdSet{std::move(*ids)}};
  }
  if (type == "ints") {
    if (!j.is_array()) return bad("expected an array of integers");
    std::vector<std::int64_t> v;
    for (const auto& e : j) {
      if (!e.is_number_integer()) return bad("expected an array of integers");
      v.push_back(e.get<std::int64_t>());
    }
    return Value{std::move(v)};
  }
  if (type == "strings") {
    if (!j.is_array()) return bad("expected an array of strings");
    std::vector<std::string> v;
    for (const auto& e : j) {
      if (!e.is_string()) return bad("expected an array of strings");
      v.push_back(e.get<std::string>());
    }
    return Value{std::move(v)};
  }
  return bad("unknown value type");
}

}  // namespace

json internal::attr_to_json(const Attr& a) {
  std::string type;
  json v = value_to_json(a.value, &type);
  json ja = {{"type", type}, {"value", std::move(v)}, {"provenance", provenance_name(a.provenance)}};
  if (a.unit != Unit::kNone) ja["unit"] = unit_name(a.unit);
  if (!a.source.empty()) ja["source"] = a.source.str();
  return ja;
}

namespace {

// Appends `j` as nlohmann's dump(1, ' ') would print it `depth` levels deep:
// the subtree is dumped on its own and every line after the first is shifted
// right. Safe because dump() escapes newlines inside strings, so every raw
// '\n' in the text is a line break of the layout.
void append_indented(std::string& out, const json& j, std::size_t depth) {
  const std::string text = j.dump(1, ' ', false, json::error_handler_t::replace);
  std::size_t start = 0;
  for (;;) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string::npos) {
      out.append(text, start, std::string::npos);
      return;
    }
    out.append(text, start, nl + 1 - start);
    out.append(depth, ' ');
    start = nl + 1;
  }
}

// Writes the members of `array` (already named) one element at a time, so
// that only one element's DOM exists at once. Layout as nlohmann's dump(1).
template <class Items, class ToJson>
void append_array(std::string& out, const Items& items, ToJson to_json, const FactsSink& sink) {
  if (items.empty()) {
    out += "[]";
    return;
  }
  out += "[\n";
  std::size_t i = 0;
  for (const auto& item : items) {
    out += "  ";
    append_indented(out, to_json(item), 2);
    out += ++i == items.size() ? "\n" : ",\n";
    // Hand finished text on in chunks: the whole document of a large machine
    // is several times the size of its facts.
    if (out.size() >= (1u << 16)) {
      sink(out);
      out.clear();
    }
  }
  out += " ]";
}

}  // namespace

void write_facts_json(const FactSet& facts, const FactsSink& sink) {
  // Same bytes as building the whole document as one nlohmann DOM and calling
  // dump(1, ' ', false, replace) (root keys in std::map order: diagnostics,
  // format, objects, version), but one object's DOM at a time: the whole DOM
  // of a 10,000-device machine was most of the process's peak memory.
  std::vector<const Object*> sorted;
  sorted.reserve(facts.objects().size());
  for (const Object& o : facts.objects()) sorted.push_back(&o);
  std::sort(sorted.begin(), sorted.end(), [](const Object* a, const Object* b) { return natural_less(a->key, b->key); });
  std::string out = "{\n \"diagnostics\": ";
  append_array(
      out, facts.diagnostics(),
      [](const Diagnostic& d) {
        return json{{"severity", severity_name(d.severity)}, {"provider", d.provider}, {"path", d.path},
                    {"message", d.message}};
      },
      sink);
  out += ",\n \"format\": \"accelmap-facts\",\n \"objects\": ";
  append_array(
      out, sorted,
      [](const Object* o) {
        json attrs = json::object();
        for (const auto& [name, a] : o->attrs) attrs[name.str()] = internal::attr_to_json(a);
        return json{{"key", o->key}, {"kind", o->kind}, {"attrs", std::move(attrs)}};
      },
      sink);
  out += ",\n \"version\": " + std::to_string(FactSet::kFormatVersion) + "\n}\n";
  sink(out);
}

std::string facts_to_json(const FactSet& facts) {
  std::string all;
  write_facts_json(facts, [&](std::string_view chunk) { all += chunk; });
  return all;
}

static Result<FactSet> parse_facts(std::string_view text);

Result<FactSet> facts_from_json(std::string_view text) {
  // nlohmann reports type mismatches by exception; none escapes this function.
  try {
    return parse_facts(text);
  } catch (const std::exception& e) {
    return Status(StatusCode::kDataLoss, std::string("malformed facts file: ") + e.what());
  }
}

static Result<FactSet> parse_facts(std::string_view text) {
  json root = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return Status(StatusCode::kDataLoss, "not valid JSON");
  if (!root.is_object() || root.value("format", "") != "accelmap-facts")
    return Status(StatusCode::kDataLoss, "not an accelmap facts file (\"format\" is not \"accelmap-facts\")");
  if (!root.contains("version") || !root["version"].is_number_integer())
    return Status(StatusCode::kDataLoss, "facts file has no integer \"version\"");
  int version = root["version"].get<int>();
  if (version != FactSet::kFormatVersion)
    return Status(StatusCode::kDataLoss, "facts format version " + std::to_string(version) +
                                             " is not supported (this accelmap reads version " +
                                             std::to_string(FactSet::kFormatVersion) + ")");
  FactSet facts;
  if (!root.contains("objects") || !root["objects"].is_array())
    return Status(StatusCode::kDataLoss, "facts file has no \"objects\" array");
  std::size_t idx = 0;
  for (const auto& jo : root["objects"]) {
    std::string where = "objects[" + std::to_string(idx++) + "]";
    if (!jo.is_object() || !jo.contains("key") || !jo["key"].is_string() || !jo.contains("kind") ||
        !jo["kind"].is_string())
      return Status(StatusCode::kDataLoss, where + ": needs string \"key\" and \"kind\"");
    std::string key = jo["key"].get<std::string>();
    if (facts.find(key)) return Status(StatusCode::kDataLoss, where + ": duplicate key " + key);
    Object& o = facts.object(key, jo["kind"].get<std::string>());
    if (!jo.contains("attrs")) continue;
    if (!jo["attrs"].is_object()) return Status(StatusCode::kDataLoss, where + ": \"attrs\" is not an object");
    for (const auto& [name, ja] : jo["attrs"].items()) {
      std::string w = key + "." + name;
      if (!ja.is_object() || !ja.contains("type") || !ja["type"].is_string() || !ja.contains("value"))
        return Status(StatusCode::kDataLoss, w + ": needs \"type\" and \"value\"");
      auto v = value_from_json(ja["value"], ja["type"].get<std::string>(), w);
      if (!v) return v.error();
      Unit unit = Unit::kNone;
      if (ja.contains("unit")) {
        auto u = ja["unit"].is_string() ? unit_from_name(ja["unit"].get<std::string>()) : std::nullopt;
        if (!u) return Status(StatusCode::kDataLoss, w + ": unknown unit");
        unit = *u;
      }
      Provenance prov = Provenance::kKernel;
      if (ja.contains("provenance")) {
        auto p = ja["provenance"].is_string() ? provenance_from_name(ja["provenance"].get<std::string>())
                                              : std::nullopt;
        if (!p) return Status(StatusCode::kDataLoss, w + ": unknown provenance");
        prov = *p;
      }
      std::string source;
      if (ja.contains("source")) {
        if (!ja["source"].is_string()) return Status(StatusCode::kDataLoss, w + ": \"source\" is not a string");
        source = ja["source"].get<std::string>();
      }
      o.set(name, std::move(*v), unit, prov, std::move(source));
    }
  }
  if (root.contains("diagnostics")) {
    if (!root["diagnostics"].is_array()) return Status(StatusCode::kDataLoss, "\"diagnostics\" is not an array");
    for (const auto& jd : root["diagnostics"]) {
      if (!jd.is_object()) return Status(StatusCode::kDataLoss, "a diagnostic is not an object");
      Diagnostic d;
      if (jd.contains("severity") && !jd["severity"].is_string())
        return Status(StatusCode::kDataLoss, "a diagnostic's \"severity\" is not a string");
      std::string sev = jd.value("severity", "warning");
      d.severity = sev == "info" ? Severity::kInfo : sev == "error" ? Severity::kError : Severity::kWarning;
      auto str = [&](const char* k) { return jd.contains(k) && jd[k].is_string() ? jd[k].get<std::string>() : std::string(); };
      d.provider = str("provider");
      d.path = str("path");
      d.message = str("message");
      facts.add(std::move(d));
    }
  }
  facts.normalize();
  return facts;
}

}  // namespace accelmap
