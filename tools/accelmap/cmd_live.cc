// accelmap watch / accelmap diff: the live machine on the command line.
#include <sys/stat.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <deque>
#include <mutex>

#include <nlohmann/json.hpp>

#include "accelmap/diff.h"
#include "accelmap/watch.h"
#include "cli.h"

namespace accelmap::cli {

namespace {

std::int64_t parse_number(const std::string& flag, const std::string& v) {
  try {
    std::size_t used = 0;
    long long n = std::stoll(v, &used);
    if (used == v.size() && n >= 0) return n;
  } catch (...) {
  }
  throw CliError{kExitUsage, flag + " takes a non-negative integer, not '" + v + "'"};
}

std::string iso_time(std::chrono::system_clock::time_point t) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[96];  // room for any int the compiler can imagine in each field
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

// One argument of `diff`: a directory is a root, anything else a facts file.
FactSet load_side(const std::string& arg, const MachineOptions& base) {
  MachineOptions o = base;
  struct stat st{};
  if (::stat(arg.c_str(), &st) != 0) throw CliError{kExitInput, "cannot read " + arg};
  if (S_ISDIR(st.st_mode)) {
    o.root = arg;
    o.facts_file.clear();
  } else {
    o.facts_file = arg;
  }
  return load_facts(o);
}

}  // namespace

int cmd_watch(Args& args) {
  MachineOptions opts;
  std::int64_t interval_ms = 1000, count = -1, timeout_s = -1;
  bool json_out = false;
  while (!args.done()) {
    std::string v;
    if (args.value("--interval", &v)) interval_ms = parse_number("--interval", v);
    else if (args.value("--count", &v)) count = parse_number("--count", v);
    else if (args.value("--timeout", &v)) timeout_s = parse_number("--timeout", v);
    else if (args.flag("--json")) json_out = true;
    else if (machine_option(args, &opts)) continue;
    else throw CliError{kExitUsage, "watch: unknown option '" + args.peek() + "'"};
  }
  if (!opts.facts_file.empty()) throw CliError{kExitUsage, "watch reads a root; --facts cannot change"};
  if (interval_ms == 0) interval_ms = 1;
  if (!json_out && !stdout_is_terminal()) json_out = true;  // pipes get the stable form

  Watcher::Options wo;
  wo.root = opts.root;
  wo.discover = discover_options(opts);
  wo.interval = std::chrono::milliseconds(interval_ms);
  auto w = Watcher::start(wo);
  if (!w) {
    throw CliError{w.error().code() == StatusCode::kInvalidArgument ? kExitUsage : kExitInput,
                   w.error().message()};
  }
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::string> lines;
  (*w)->subscribe([&](const Change& c) {
    std::string line;
    if (json_out) {
      nlohmann::json j = {{"generation", c.generation->number},
                          {"time", iso_time(c.generation->time)},
                          {"providers", c.providers},
                          {"diff", nlohmann::json::parse(diff_to_json(c.diff))}};
      line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    } else {
      std::string provs;
      for (const auto& p : c.providers) provs += (provs.empty() ? "" : ",") + p;
      line = "generation " + std::to_string(c.generation->number) + " at " + iso_time(c.generation->time) +
             " (re-probed " + provs + ")\n" + diff_to_text(c.diff);
    }
    std::lock_guard<std::mutex> l(mu);
    lines.push_back(std::move(line));
    cv.notify_all();
  });
  if (!json_out) {
    auto g = (*w)->current();
    write_output("", "watching " + opts.root + " (generation " + std::to_string(g->number) + "); Ctrl-C stops\n");
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s < 0 ? 0 : timeout_s);
  std::int64_t written = 0;
  std::unique_lock<std::mutex> l(mu);
  while (count < 0 || written < count) {
    if (timeout_s >= 0) {
      if (!cv.wait_until(l, deadline, [&] { return !lines.empty(); })) break;
    } else {
      cv.wait(l, [&] { return !lines.empty(); });
    }
    std::string line = std::move(lines.front());
    lines.pop_front();
    l.unlock();
    write_output("", line);
    ++written;
    l.lock();
  }
  l.unlock();
  (*w)->stop();
  return kExitOk;
}

int cmd_diff(Args& args) {
  MachineOptions opts;
  bool json_out = false;
  std::vector<std::string> sides;
  while (!args.done()) {
    if (args.flag("--json")) json_out = true;
    else if (machine_option(args, &opts)) continue;
    else if (!args.peek().empty() && args.peek()[0] == '-')
      throw CliError{kExitUsage, "diff: unknown option '" + args.peek() + "'"};
    else sides.push_back(args.next());
  }
  if (sides.size() != 2) throw CliError{kExitUsage, "diff takes two arguments: A B (facts files or roots)"};
  FactSet a = load_side(sides[0], opts);
  FactSet b = load_side(sides[1], opts);
  FactsDiff d = diff_facts(a, b);
  write_output("", json_out ? diff_to_json(d, 1) + "\n" : diff_to_text(d));
  return d.empty() ? kExitOk : kExitNoMatch;
}

}  // namespace accelmap::cli
