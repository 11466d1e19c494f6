#include "accelmap/catalog.h"

#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "facts/builtin_catalog.h"

namespace accelmap {

using nlohmann::json;

namespace {

// Names from these sources are hex ids, matched without regard to case.
bool case_insensitive_source(std::string_view source) {
  return source == "pci.class" || source == "fpga.afu_id" || source == "fpga.compat_id";
}

// A mapping's name as stored: lower case for the hex-id sources.
std::string stored_name(std::string_view source, std::string name) {
  if (case_insensitive_source(source))
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

}  // namespace

const FunctionCatalog& FunctionCatalog::builtin() {
  // A function-local constant, built once on first use: immutable data, not state.
  // It is made from tables generated from data/functions.json, not by parsing
  // the JSON (most of a CLI start's own work); tests/catalog_test.cc checks the
  // two give the same catalog, and that the file passes merge_json's checks.
  static const FunctionCatalog kBuiltin = [] {
    FunctionCatalog c;
    for (const auto& f : builtin_catalog::kFunctions) c.functions_[f.name] = f.description;
    for (const auto& m : builtin_catalog::kMappings)
      c.mappings_[{m.source, stored_name(m.source, m.name)}] = std::vector<std::string>(
          builtin_catalog::kMappedFunctions + m.first, builtin_catalog::kMappedFunctions + m.first + m.count);
    return c;
  }();
  return kBuiltin;
}

Result<FunctionCatalog> FunctionCatalog::load(const std::vector<std::string>& files) {
  FunctionCatalog cat = builtin();
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    if (!in) return Status(StatusCode::kNotFound, "catalog " + f + " cannot be read");
    std::stringstream ss;
    ss << in.rdbuf();
    Status s = cat.merge_json(ss.str(), f);
    if (!s.is_ok()) return s;
  }
  return cat;
}

Status FunctionCatalog::merge_json(std::string_view text, const std::string& name) {
  json root = json::parse(text.begin(), text.end(), nullptr, false);
  auto bad = [&](const std::string& why) { return Status(StatusCode::kDataLoss, "catalog " + name + ": " + why); };
  if (root.is_discarded()) return bad("not valid JSON");
  if (!root.is_object() || !root.contains("format") || root["format"] != "accelmap-catalog")
    return bad("\"format\" is not \"accelmap-catalog\"");
  if (!root.contains("version") || root["version"] != 1) return bad("only \"version\": 1 is supported");
  if (root.contains("functions")) {
    if (!root["functions"].is_object()) return bad("\"functions\" must be an object name -> description");
    for (const auto& [fn, desc] : root["functions"].items()) {
      if (!desc.is_string()) return bad("description of " + fn + " is not a string");
      if (fn.empty() || fn.find('.') == std::string::npos) return bad("function name '" + fn + "' is not dotted (e.g. compress.deflate)");
      functions_[fn] = desc.get<std::string>();
    }
  }
  if (root.contains("mappings")) {
    if (!root["mappings"].is_array()) return bad("\"mappings\" must be an array");
    std::size_t i = 0;
    for (const auto& m : root["mappings"]) {
      std::string where = "mappings[" + std::to_string(i++) + "]";
      if (!m.is_object() || !m.contains("source") || !m["source"].is_string() || !m.contains("name") ||
          !m["name"].is_string() || !m.contains("functions") || !m["functions"].is_array())
        return bad(where + " needs string \"source\", string \"name\" and array \"functions\"");
      std::vector<std::string> fns;
      for (const auto& f : m["functions"]) {
        if (!f.is_string()) return bad(where + ": functions must be strings");
        std::string fn = f.get<std::string>();
        if (!functions_.count(fn)) return bad(where + ": function '" + fn + "' is not defined in \"functions\"");
        fns.push_back(fn);
      }
      std::string src = m["source"].get<std::string>();
      std::string nm = stored_name(src, m["name"].get<std::string>());
      mappings_[{src, nm}] = std::move(fns);
    }
  }
  return Status();
}

const std::vector<std::string>* FunctionCatalog::lookup(std::string_view source, std::string_view name) const {
  auto find = [&](std::string_view n) -> const std::vector<std::string>* {
    auto it = mappings_.find(std::make_pair(std::string(source), std::string(n)));
    return it == mappings_.end() ? nullptr : &it->second;
  };
  if (case_insensitive_source(source)) {
    std::string lower = stored_name(source, std::string(name));
    if (lower.rfind("0x", 0) == 0) lower.erase(0, 2);
    if (source != "pci.class") return find(lower);
    for (std::size_t len : {6u, 4u, 2u})
      if (lower.size() >= len)
        if (auto* r = find(lower.substr(0, len))) return r;
    return nullptr;
  }
  return find(name);
}

std::string_view FunctionCatalog::describe(std::string_view function) const {
  auto it = functions_.find(function);
  return it == functions_.end() ? std::string_view() : std::string_view(it->second);
}

}  // namespace accelmap
