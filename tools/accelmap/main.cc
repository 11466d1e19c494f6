// accelmap — accelerators, their functions, and the memory around them.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "cli.h"

namespace {

constexpr const char* kUsage = R"(usage: accelmap <command> [options]

Commands:
  show        the machine as a tree: packages, NUMA nodes and memory (kind, capacity,
              tier, HMAT bandwidth/latency), memory regions, the PCI tree
  ls          one row per accelerator: key, type, model, driver, NUMA node, its own
              memory, functions (-o to choose columns, --json)
  functions   every function on the machine and which devices offer it (--json)
  facts       dump what discovery read, as versioned JSON (replay it with --facts)
  capture     record exactly the files accelmap reads into OUT.tar.xz (a test case)
  providers   list the discovery providers and the kernel interface each reads
  find        FUNCTION --near TARGET: devices offering FUNCTION nearest to a memory
              (numa:N, a region or device-memory key, a device key, a kind: hbm dram cxl
              pmem device, or self = this process's Mems_allowed_list)
  share       X Y [--memory KIND]: pairs of devices offering X and Y sharing one memory
  chain       X Y [Z...]: device sequences whose hand-offs need no far-memory detour
  best-memory --from INITIATOR [--by bandwidth|latency|capacity] [--kind KIND]:
              memories ranked for numa:N, cpus:LIST or a device key
  matrix      device x device path classes (SELF PKG LINK PIX PXB PHB NODE SYS DIS)
  watch       follow changes: one JSON line per new generation (generation, time, diff);
              a readable form on a terminal (docs/live.md)
  diff A B    what changed from A to B; each a facts file or a root directory.
              Exit 0 when they are the same, 1 when they differ

Options of show / ls / functions / facts / capture:
  --root DIR         read the machine below DIR instead of / (a recorded tree)
  --facts FILE       rebuild from a facts file instead of reading a root (show, facts)
  --providers LIST   only these providers ("pci,numa") or all but these ("-pci")
  --pci-ids FILE     PCI ID database for names (default: Debian's pci.ids; "none" for no names)
  --catalog FILE     extend the function vocabulary (site FPGA bitstreams, new drivers); repeatable
  --threads N        threads for large trees (default 0: the CPUs this process may use; 1: none);
                     the output is the same whatever N
  --timings          where one discovery's time went, each provider in run order,
                     on standard error (the output is unchanged)
ls only:
  -o, --columns LIST  key,type,family,vendor,model,driver,pci,numa,memory,state,package,functions
show only:
  --json             the snapshot as JSON (docs/snapshot-json.md)
  --diagnostics      list every file that was missing or malformed
  --color WHEN       auto (default: only on a terminal), always, never
  --ascii            ASCII instead of box-drawing characters
  -o, --output FILE  write to FILE instead of standard output (also facts)

Options of find / share / chain / best-memory / matrix (and --root, --facts, ...):
  --explain          every path step: class, bandwidth, latency, hops, provenance, basis
  --json             the ranked result as JSON (docs/queries.md)
  --p2p-max CLASS    peer-to-peer allowed at or below CLASS (default PXB)
  --exclude KEY / --include KEY   leave out / only use these devices (repeatable)
  --vendor TEXT      only devices whose vendor contains TEXT
  --all-states       also functions that are not available
  --min-free N       functions with at least N free instances
  -n, --count N      at most N answers
watch only:
  --interval MS      poll the root every MS milliseconds (default 1000); on / kernel
                     uevents are used as well
  --json             JSON lines even on a terminal
  --count N          stop after N changes
  --timeout S        stop after S seconds
diff only:
  --json             the diff as JSON (docs/live.md)

Exit codes:
  0 success   1 no match (queries)   2 wrong usage   3 unusable root or facts file
  4 cannot write output   5 internal error

Examples:
  accelmap show
  accelmap show --root demo/root
  accelmap ls -o key,model,numa,functions
  accelmap functions --root demo/root
  accelmap facts > machine.json && accelmap show --facts machine.json
  accelmap capture my-machine.tar.xz
  accelmap find compress.deflate --near hbm --root demo/root --explain
  accelmap share dma.memmove compress.deflate --memory hbm --root demo/root
  accelmap watch --root /tmp/tree --interval 100 --count 1 --timeout 10
  accelmap diff before.json /tmp/tree
)";

}  // namespace

int main(int argc, char** argv) {
  using namespace accelmap::cli;
  std::vector<std::string> all(argv + 1, argv + argc);
  try {
    if (all.empty()) {
      std::fputs(kUsage, stderr);
      return kExitUsage;
    }
    std::string cmd = all[0];
    std::vector<std::string> rest(all.begin() + 1, all.end());
    for (const auto& a : rest)
      if (a == "-h" || a == "--help") {
        std::fputs(kUsage, stdout);
        return kExitOk;
      }
    Args args(rest);
    if (cmd == "-h" || cmd == "--help" || cmd == "help") {
      std::fputs(kUsage, stdout);
      return kExitOk;
    }
    if (cmd == "--version" || cmd == "version") {
      std::printf("accelmap %s\n", ACCELMAP_VERSION);
      return kExitOk;
    }
    if (cmd == "show") return cmd_show(args);
    if (cmd == "facts") return cmd_facts(args);
    if (cmd == "capture") return cmd_capture(args);
    if (cmd == "providers") return cmd_providers(args);
    if (cmd == "ls") return cmd_ls(args);
    if (cmd == "functions") return cmd_functions(args);
    if (cmd == "find") return cmd_find(args);
    if (cmd == "share") return cmd_share(args);
    if (cmd == "chain") return cmd_chain(args);
    if (cmd == "best-memory") return cmd_best_memory(args);
    if (cmd == "matrix") return cmd_matrix(args);
    if (cmd == "watch") return cmd_watch(args);
    if (cmd == "diff") return cmd_diff(args);
    throw CliError{kExitUsage, "unknown command '" + cmd + "' (accelmap --help lists them)"};
  } catch (const CliError& e) {
    std::fprintf(stderr, "accelmap: %s\n", e.message.c_str());
    return e.code;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "accelmap: internal error: %s\n", e.what());
    return kExitInternal;
  }
}
