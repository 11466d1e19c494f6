#include "accelmap/provider.h"

#include <sched.h>

#include <algorithm>
#include <exception>
#include <system_error>
#include <thread>

#include "parse/parse.h"

namespace accelmap {

std::size_t parallel_parts(const DiscoverOptions& options, std::size_t items, std::size_t min_per_part) {
  if (items < 2 || options.threads == 1) return 1;
  if (options.threads > 1) return std::min<std::size_t>(options.threads, items);
  const std::size_t most = items / std::max<std::size_t>(min_per_part, 1);
  if (most < 2) return 1;  // too little to split: no need to ask for the CPUs (a system call)
  // The CPUs this process may run on (a container's cpuset, taskset), not all
  // the machine has: more threads than that only wait for each other.
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  const std::size_t cpus =
      ::sched_getaffinity(0, sizeof allowed, &allowed) == 0 ? static_cast<std::size_t>(CPU_COUNT(&allowed)) : 1;
  return std::max<std::size_t>(1, std::min(cpus, most));
}

void ProbeContext::in_parts(std::size_t items, std::size_t min_per_part,
                            const std::function<void(const ProbeContext&, std::size_t, std::size_t)>& work) const {
  const std::size_t n = parallel_parts(options_, items, min_per_part);
  if (n <= 1) {
    work(*this, 0, items);
    return;
  }
  std::vector<FactSet> parts(n);
  auto run = [&](std::size_t i) {
    ProbeContext part(fs_, options_, catalog_, provider_, parts[i]);
    part.earlier_ = &earlier();
    part.prefetched_ = prefetched_;  // read-only
    // The first part runs on the calling thread: it keeps this context's
    // resolve memo (for the providers after this one); the others learn their own.
    if (i == 0) part.memo_ = &resolve_memo();
    try {
      // Not shrunk here: objects are made with the room the one before them
      // ended with (FactSet::object), so little is spare, and what is can be
      // meant for a later provider (pci keeps room for pci_names's names).
      work(part, items * i / n, items * (i + 1) / n);
    } catch (const std::exception& e) {
      part.warn(std::string(), std::string("stopped: ") + e.what(), Severity::kError);
    }
  };
  std::vector<std::thread> threads;
  threads.reserve(n - 1);
  std::vector<std::size_t> left;  // parts no thread could be started for
  for (std::size_t i = 1; i < n; ++i) {
    try {
      threads.emplace_back(run, i);
    } catch (const std::system_error&) {
      left.push_back(i);
    }
  }
  run(0);
  for (std::size_t i : left) run(i);
  for (auto& t : threads) t.join();
  for (FactSet& p : parts) facts_.absorb(std::move(p));
}

std::set<std::string>& ProbeContext::resolve_memo() const { return memo_ ? *memo_ : own_memo_; }

Result<std::string> ProbeContext::resolve(std::string_view path) const { return fs_.resolve(path, resolve_memo()); }

Result<std::string> ProbeContext::resolve_except_last(std::string_view path) const {
  return fs_.resolve_except_last(path, resolve_memo());
}

void ProbeContext::remember_not_a_link(std::string path) const { resolve_memo().insert(std::move(path)); }

void ProbeContext::warn(std::string path, std::string message, Severity severity) const {
  facts_.add(Diagnostic{severity, std::string(provider_), std::move(path), std::move(message)});
}

void ProbeContext::warn(const Status& status, Severity severity) const {
  // Status messages read "PATH: reason"; split them so the path is a field.
  const std::string& m = status.message();
  std::size_t k = m.find(": ");
  if (k == std::string::npos) warn(std::string(), m, severity);
  else warn(m.substr(0, k), m.substr(k + 2), severity);
}

std::optional<std::string> ProbeContext::read(std::string_view path, bool optional) const {
  return read_head(path, SIZE_MAX, nullptr, optional);
}

std::optional<std::string> ProbeContext::read_head(std::string_view path, std::size_t head_bytes, bool* whole,
                                                   bool optional) const {
  auto r = fs_.read_head(path, head_bytes, whole);
  if (!r) {
    if (optional && r.error().code() == StatusCode::kNotFound) return std::nullopt;
    warn(r.error());
    return std::nullopt;
  }
  return std::move(*r);
}

std::optional<std::string> ProbeContext::read_trimmed(std::string_view path, bool optional) const {
  auto r = read(path, optional);
  if (!r) return std::nullopt;
  return std::string(parse::trim(*r));
}

std::optional<std::int64_t> ProbeContext::read_int(std::string_view path, bool optional) const {
  auto r = read(path, optional);
  if (!r) return std::nullopt;
  auto v = parse::to_int64(*r);
  if (!v) {
    // Empty files are how recorded trees show attributes whose read failed.
    warn(std::string(path), parse::trim(*r).empty() ? "empty, expected an integer" : "not an integer");
    return std::nullopt;
  }
  return v;
}

std::optional<std::uint64_t> ProbeContext::read_uint(std::string_view path, bool optional) const {
  auto r = read(path, optional);
  if (!r) return std::nullopt;
  auto v = parse::to_uint64(*r);
  if (!v) {
    warn(std::string(path), parse::trim(*r).empty() ? "empty, expected a number" : "not an unsigned number");
    return std::nullopt;
  }
  return v;
}

std::optional<IdSet> ProbeContext::read_id_list(std::string_view path, bool optional) const {
  auto r = read(path, optional);
  if (!r) return std::nullopt;
  auto v = parse::id_list(*r);
  if (!v) {
    warn(std::string(path), "not a valid id list (expected e.g. \"0-3,8\")");
    return std::nullopt;
  }
  return IdSet{std::move(*v)};
}

std::optional<IdSet> ProbeContext::read_hex_mask(std::string_view path, bool optional) const {
  auto r = read(path, optional);
  if (!r) return std::nullopt;
  auto v = parse::hex_mask(*r);
  if (!v) {
    warn(std::string(path), "not a valid hex mask (expected e.g. \"0000,0000ffff\")");
    return std::nullopt;
  }
  return IdSet{std::move(*v)};
}

namespace {

// The parse-and-diagnose half of the read_* helpers, shared by the path and
// the FsDir forms; `where` builds the diagnostic path only when one is needed.
template <class Where>
std::optional<std::int64_t> to_int(const ProbeContext& ctx, const std::string& text, Where where) {
  auto v = parse::to_int64(text);
  // Empty files are how recorded trees show attributes whose read failed.
  if (!v) ctx.warn(where(), parse::trim(text).empty() ? "empty, expected an integer" : "not an integer");
  return v;
}

template <class Where>
std::optional<std::uint64_t> to_uint(const ProbeContext& ctx, const std::string& text, Where where) {
  auto v = parse::to_uint64(text);
  if (!v) ctx.warn(where(), parse::trim(text).empty() ? "empty, expected a number" : "not an unsigned number");
  return v;
}

template <class Where>
std::optional<IdSet> to_id_list(const ProbeContext& ctx, const std::string& text, Where where) {
  auto v = parse::id_list(text);
  if (!v) {
    ctx.warn(where(), "not a valid id list (expected e.g. \"0-3,8\")");
    return std::nullopt;
  }
  return IdSet{std::move(*v)};
}

template <class Where>
std::optional<IdSet> to_hex_mask(const ProbeContext& ctx, const std::string& text, Where where) {
  auto v = parse::hex_mask(text);
  if (!v) {
    ctx.warn(where(), "not a valid hex mask (expected e.g. \"0000,0000ffff\")");
    return std::nullopt;
  }
  return IdSet{std::move(*v)};
}

}  // namespace

std::optional<FsDir> ProbeContext::open_dir(std::string_view path) const {
  auto r = fs_.open_dir(path);
  if (!r) {
    if (r.error().code() != StatusCode::kNotFound) warn(r.error());
    return std::nullopt;
  }
  return std::move(*r);
}

std::optional<std::string> ProbeContext::read(const FsDir& dir, std::string_view name, bool optional) const {
  auto r = dir.read_text(name);
  if (!r) {
    if (optional && r.error().code() == StatusCode::kNotFound) return std::nullopt;
    warn(r.error());
    return std::nullopt;
  }
  return std::move(*r);
}

std::optional<std::string> ProbeContext::read_trimmed(const FsDir& dir, std::string_view name, bool optional) const {
  auto r = read(dir, name, optional);
  if (!r) return std::nullopt;
  return std::string(parse::trim(*r));
}

std::optional<std::int64_t> ProbeContext::read_int(const FsDir& dir, std::string_view name, bool optional) const {
  auto r = read(dir, name, optional);
  if (!r) return std::nullopt;
  return to_int(*this, *r, [&] { return dir.child(name); });
}

std::optional<std::uint64_t> ProbeContext::read_uint(const FsDir& dir, std::string_view name, bool optional) const {
  auto r = read(dir, name, optional);
  if (!r) return std::nullopt;
  return to_uint(*this, *r, [&] { return dir.child(name); });
}

std::optional<IdSet> ProbeContext::read_id_list(const FsDir& dir, std::string_view name, bool optional) const {
  auto r = read(dir, name, optional);
  if (!r) return std::nullopt;
  return to_id_list(*this, *r, [&] { return dir.child(name); });
}

std::optional<IdSet> ProbeContext::read_hex_mask(const FsDir& dir, std::string_view name, bool optional) const {
  auto r = read(dir, name, optional);
  if (!r) return std::nullopt;
  return to_hex_mask(*this, *r, [&] { return dir.child(name); });
}

void ProbeContext::remember_listing(std::string_view path, std::optional<std::vector<DirEntry>> entries) const {
  if (listings_ == nullptr || fs_.recording()) return;
  listings_->insert_or_assign(std::string(path), std::move(entries));
}

const std::optional<std::vector<DirEntry>>* ProbeContext::remembered_listing(std::string_view path) const {
  if (listings_ == nullptr) return nullptr;
  auto it = listings_->find(path);
  return it == listings_->end() ? nullptr : &it->second;
}

std::vector<DirEntry> ProbeContext::list(std::string_view path) const {
  if (const auto* kept = remembered_listing(path); kept != nullptr && kept->has_value()) return **kept;
  auto r = fs_.list_dir(path);
  if (!r) {
    if (r.error().code() != StatusCode::kNotFound) warn(r.error());
    return {};
  }
  return std::move(*r);
}

}  // namespace accelmap
