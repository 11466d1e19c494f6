#include <cstdio>

#include "accelmap/capture.h"
#include "cli.h"

namespace accelmap::cli {

int cmd_capture(Args& args) {
  MachineOptions m;
  std::string out;
  while (!args.done()) {
    if (machine_option(args, &m)) continue;
    if (!args.peek().empty() && args.peek()[0] == '-')
      throw CliError{kExitUsage, "capture: unknown option '" + args.peek() + "'"};
    if (!out.empty()) throw CliError{kExitUsage, "capture: more than one output file given"};
    out = args.next();
  }
  if (out.empty()) throw CliError{kExitUsage, "capture: give the archive to write, e.g. accelmap capture my-machine.tar.xz"};
  if (!m.facts_file.empty()) throw CliError{kExitUsage, "capture: records a root; --facts cannot be captured"};
  auto recorder = std::make_shared<AccessRecorder>();
  FsRoot::Options fo;
  fo.recorder = recorder;
  auto root = FsRoot::open(m.root, fo);
  if (!root) throw CliError{kExitInput, root.error().message()};
  auto facts = discover_with_timings(*root, m);
  if (!facts) throw CliError{kExitUsage, facts.error().message()};
  // The folder inside the archive is named after the archive.
  std::string top = out.substr(out.find_last_of('/') == std::string::npos ? 0 : out.find_last_of('/') + 1);
  for (const char* ext : {".tar.xz", ".txz", ".tar.gz", ".tgz", ".tar"}) {
    std::string e = ext;
    if (top.size() > e.size() && top.compare(top.size() - e.size(), e.size(), e) == 0) {
      top.resize(top.size() - e.size());
      break;
    }
  }
  auto stats = write_capture(*root, *recorder, out, top);
  if (!stats) throw CliError{stats.error().code() == StatusCode::kInvalidArgument ? kExitUsage : kExitOutput,
                             stats.error().message()};
  std::fprintf(stderr, "accelmap: wrote %s: %zu files, %zu folders, %zu links%s\n", out.c_str(), stats->files,
               stats->dirs, stats->links,
               stats->skipped ? (", " + std::to_string(stats->skipped) + " files vanished meanwhile").c_str() : "");
  return kExitOk;
}

}  // namespace accelmap::cli
