#include "accelmap/render.h"
#include "cli.h"

namespace accelmap::cli {

int cmd_show(Args& args) {
  MachineOptions m;
  bool json = false, diagnostics = false, ascii = false;
  std::string color = "auto", out;
  while (!args.done()) {
    if (machine_option(args, &m)) continue;
    if (args.flag("--json")) { json = true; continue; }
    if (args.flag("--diagnostics")) { diagnostics = true; continue; }
    if (args.flag("--ascii")) { ascii = true; continue; }
    if (args.value("--color", &color)) continue;
    if (args.value("-o", &out) || args.value("--output", &out)) continue;
    throw CliError{kExitUsage, "show: unknown option '" + args.peek() + "' (see accelmap show --help)"};
  }
  auto snap = load_snapshot(m);
  if (json) {
    write_output(out, snapshot_to_json(*snap));
  } else {
    TextOptions t;
    t.color = out.empty() && color_wanted(color);
    t.diagnostics = diagnostics;
    t.unicode = !ascii;
    write_output(out, render_text(*snap, t));
  }
  return kExitOk;
}

int cmd_facts(Args& args) {
  MachineOptions m;
  std::string out;
  while (!args.done()) {
    if (machine_option(args, &m)) continue;
    if (args.value("-o", &out) || args.value("--output", &out)) continue;
    throw CliError{kExitUsage, "facts: unknown option '" + args.peek() + "'"};
  }
  const FactSet facts = load_facts(m);
  write_output(out, [&](const FactsSink& sink) { write_facts_json(facts, sink); });
  return kExitOk;
}

int cmd_providers(Args& args) {
  if (!args.done()) throw CliError{kExitUsage, "providers: unexpected argument '" + args.peek() + "'"};
  static const char* kPhase[] = {"platform", "bus", "device", "link", "annotate"};
  std::string text;
  for (const auto& p : builtin_providers()) {
    std::string name(p->name());
    text += name + std::string(name.size() < 16 ? 16 - name.size() : 1, ' ') +
            kPhase[static_cast<int>(p->phase())] + std::string(10 - std::string(kPhase[static_cast<int>(p->phase())]).size(), ' ') +
            std::string(p->abi()) + "\n";
  }
  write_output("", text);
  return kExitOk;
}

}  // namespace accelmap::cli

namespace accelmap::cli {

int cmd_ls(Args& args) {
  MachineOptions m;
  bool json = false;
  std::string columns = kDefaultAcceleratorColumns, color = "auto", out;
  while (!args.done()) {
    if (machine_option(args, &m)) continue;
    if (args.flag("--json")) { json = true; continue; }
    if (args.value("-o", &columns) || args.value("--columns", &columns)) continue;
    if (args.value("--color", &color)) continue;
    if (args.value("--output", &out)) continue;
    throw CliError{kExitUsage, "ls: unknown option '" + args.peek() + "' (see accelmap --help)"};
  }
  auto snap = load_snapshot(m);
  if (json) {
    write_output(out, accelerators_to_json(*snap));
    return kExitOk;
  }
  auto t = render_accelerator_table(*snap, columns, out.empty() && color_wanted(color));
  if (!t) throw CliError{kExitUsage, "ls: " + t.error().message()};
  write_output(out, snap->accelerators().empty() ? "No accelerators found.\n" : *t);
  return kExitOk;
}

int cmd_functions(Args& args) {
  MachineOptions m;
  bool json = false;
  std::string color = "auto", out;
  while (!args.done()) {
    if (machine_option(args, &m)) continue;
    if (args.flag("--json")) { json = true; continue; }
    if (args.value("--color", &color)) continue;
    if (args.value("-o", &out) || args.value("--output", &out)) continue;
    throw CliError{kExitUsage, "functions: unknown option '" + args.peek() + "' (see accelmap --help)"};
  }
  auto snap = load_snapshot(m);
  write_output(out, json ? functions_to_json(*snap) : render_functions_table(*snap, out.empty() && color_wanted(color)));
  return kExitOk;
}

}  // namespace accelmap::cli
