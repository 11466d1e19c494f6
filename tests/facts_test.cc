#include "accelmap/facts.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <memory>

namespace accelmap {
namespace {

FactSet sample() {
  FactSet f;
  Object& n = f.object("numa:10", "numa_node");
  n.set("capacity", std::int64_t{34359738368}, Unit::kBytes, Provenance::kKernel, "/sys/devices/system/node/node10/meminfo");
  n.set("cpus", IdSet{{0, 1, 2, 8}}, Unit::kNone, Provenance::kKernel, "");
  n.set("distances", std::vector<std::int64_t>{10, 21}, Unit::kRelative, Provenance::kFirmware, "");
  n.set("unknown_bw", Value{}, Unit::kMBps, Provenance::kFirmware, "");
  n.set("speed", 8.0, Unit::kGTps, Provenance::kLinkTrained, "");
  n.set("flag", true, Unit::kNone, Provenance::kKernel, "");
  n.set("names", std::vector<std::string>{"a", "b"}, Unit::kNone, Provenance::kKernel, "");
  f.object("numa:2", "numa_node").set("driver", std::string("x\"y"), Unit::kNone, Provenance::kKernel, "");
  f.add({Severity::kWarning, "pci", "/sys/x", "not an integer"});
  return f;
}

// ok() asks the value: success or not. (A static ok() that made a success once
// let `!s.ok()` read as false for an error, and the checks written so passed.)
TEST(Status, OkAsksTheValue) {
  const Status success;
  const Status failure(StatusCode::kIoError, "/x: read failed");
  EXPECT_TRUE(success.ok());
  EXPECT_FALSE(failure.ok());
  EXPECT_TRUE(!failure.ok());
  EXPECT_EQ(failure.ok(), failure.is_ok());
  EXPECT_FALSE(static_cast<bool>(failure));
}

TEST(FactsJson, RoundTripIsExact) {
  FactSet f = sample();
  std::string j = facts_to_json(f);
  auto back = facts_from_json(j);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(*back, f);
  EXPECT_EQ(facts_to_json(*back), j);
}

TEST(FactsJson, NaturalKeyOrder) {
  std::string j = facts_to_json(sample());
  EXPECT_LT(j.find("\"numa:2\""), j.find("\"numa:10\""));
}

TEST(FactsJson, RejectsWithReasons) {
  EXPECT_EQ(facts_from_json("not json").error().message(), "not valid JSON");
  EXPECT_NE(facts_from_json("{\"format\":\"other\"}").error().message().find("not an accelmap facts file"), std::string::npos);
  EXPECT_NE(facts_from_json("{\"format\":\"accelmap-facts\",\"version\":99,\"objects\":[]}").error().message().find("version 99"),
            std::string::npos);
  auto bad_type = facts_from_json(
      R"({"format":"accelmap-facts","version":1,"objects":[{"key":"a","kind":"k","attrs":{"x":{"type":"int","value":"s"}}}]})");
  ASSERT_FALSE(bad_type);
  EXPECT_NE(bad_type.error().message().find("a.x"), std::string::npos);
  auto dup = facts_from_json(R"({"format":"accelmap-facts","version":1,"objects":[{"key":"a","kind":"k"},{"key":"a","kind":"k"}]})");
  ASSERT_FALSE(dup);
  auto wrong = facts_from_json(R"({"format":"accelmap-facts","version":1,"objects":[],"diagnostics":[{"severity":5}]})");
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message().find("severity"), std::string::npos);
}

TEST(Value, HoldsEachTypeAndSharesOrCopiesWhatItOwns) {
  EXPECT_TRUE(Value{}.is_unknown());
  EXPECT_EQ(Value(true).type(), Value::Type::kBool);
  EXPECT_EQ(*Value(std::uint16_t{0x8086}).as_int(), 0x8086);  // any integer type is an int
  EXPECT_EQ(Value(std::int64_t{-1}).as_double(), nullptr);    // no conversion between types
  EXPECT_EQ(*Value(2.5).as_double(), 2.5);
  // Texts of up to kInlineText bytes live inside; longer ones in a block the Value
  // shares with its copies.
  const std::string at_limit(Value::kInlineText, 'a'), past_limit(Value::kInlineText + 1, 'b');
  for (const std::string& text : {std::string(), at_limit, past_limit, std::string(300, 'c')}) {
    Value v(text);
    ASSERT_TRUE(v.as_string()) << text.size();
    EXPECT_EQ(*v.as_string(), text);
    Value copy = v;
    Value moved = std::move(v);
    EXPECT_TRUE(v.is_unknown());  // NOLINT: a moved-from Value is unknown, by contract
    EXPECT_EQ(copy, moved);
    if (text.size() > Value::kInlineText) {
      EXPECT_EQ(copy.as_string()->data(), moved.as_string()->data());  // one block
    } else {
      EXPECT_NE(copy.as_string()->data(), moved.as_string()->data());  // inside each
    }
    copy = Value(std::int64_t{7});  // lets go of the text; the other keeps it (the sanitizer build checks)
    EXPECT_EQ(*copy.as_int(), 7);
    EXPECT_EQ(*moved.as_string(), text);
  }
  Value list(std::vector<std::string>{"b", "a"});
  Value list_copy = list;
  EXPECT_EQ(list.as_strings(), list_copy.as_strings());  // a copy shares the list
  list = Value(std::vector<std::string>{"b", "a", "c"});  // a new list; the copy keeps the old
  EXPECT_EQ(list_copy.as_strings()->size(), 2u);
  EXPECT_EQ(list.as_strings()->size(), 3u);
  EXPECT_NE(list, list_copy);
  EXPECT_EQ(Value(IdSet{{1, 2}}), Value(IdSet{{1, 2}}));
  EXPECT_NE(Value(std::int64_t{1}), Value(1.0));  // equal numbers, different types
  EXPECT_NE(Value("1"), Value(std::int64_t{1}));
  std::string seen;
  Value(std::vector<std::int64_t>{4, 5}).visit([&](const auto& x) {
    if constexpr (std::is_same_v<std::decay_t<decltype(x)>, std::vector<std::int64_t>>) seen = "ints";
  });
  EXPECT_EQ(seen, "ints");
}

TEST(Source, SpellsAndComparesAsItsText) {
  const std::string path = "/sys/bus/pci/devices/0000:3b:00.0/vendor";
  Source s(path);
  EXPECT_EQ(s.str(), path);
  EXPECT_EQ(s, path);
  EXPECT_TRUE(s.is_path());
  EXPECT_FALSE(Source("pci.ids").is_path());
  EXPECT_EQ(Source("pci.ids").str(), "pci.ids");
  EXPECT_TRUE(Source("").empty());
  EXPECT_TRUE(Source().empty());
  EXPECT_EQ(Source(), Source(""));
  EXPECT_FALSE(Source("/a/b") == Source("/a/bc"));
  // A leaf too long to keep inline and not in the table names a folder: the
  // text is unchanged, and it is not the same text as the folder with a '/'.
  const std::string long_leaf = "/sys/x/a_leaf_longer_than_twenty_three_characters";
  EXPECT_EQ(Source(long_leaf).str(), long_leaf);
  EXPECT_EQ(Source(long_leaf), Source(long_leaf));
  EXPECT_EQ(Source(long_leaf), long_leaf);
  EXPECT_FALSE(Source(long_leaf) == Source(long_leaf + "/"));
  EXPECT_FALSE(Source(long_leaf + "/") == long_leaf);
  EXPECT_EQ(Source(long_leaf + "/").str(), long_leaf + "/");
  EXPECT_FALSE(Source(long_leaf).empty());
  // Words: one in the table needs no stem; any other is kept whole.
  EXPECT_FALSE(Source("pci.ids").empty());
  EXPECT_EQ(Source("pci.ids"), Source("pci.ids"));
  EXPECT_EQ(Source("pci.ids"), "pci.ids");
  EXPECT_FALSE(Source("pci.ids").shares_stem_with(Source("pci.ids")));
  EXPECT_EQ(Source("x"), "x");
  EXPECT_EQ(Source("a_word_that_is_not_in_any_table").str(), "a_word_that_is_not_in_any_table");
  EXPECT_FALSE(Source("x") == Source("pci.ids"));
  EXPECT_FALSE(Source("x") == Source("/x"));
  // A long leaf in the table of names is kept as a pointer into it: same text, shared stem.
  const Source speed("/sys/devices/pci0000:00/0000:00:01.0/current_link_speed");
  const Source width("/sys/devices/pci0000:00/0000:00:01.0/current_link_width", speed);
  EXPECT_EQ(speed.str(), "/sys/devices/pci0000:00/0000:00:01.0/current_link_speed");
  EXPECT_EQ(width, "/sys/devices/pci0000:00/0000:00:01.0/current_link_width");
  EXPECT_TRUE(width.shares_stem_with(speed));
  EXPECT_FALSE(width == speed);
  Source copy = width;
  EXPECT_EQ(copy, width);
  EXPECT_EQ(Source("/sys/x/current_link_speed"), Source("/sys/x/current_link_speed"));
  EXPECT_FALSE(Source("/sys/x/current_link_speed") == Source("/sys/x/current_link_width"));
  static_assert(sizeof(Source) == 16);
  static_assert(sizeof(Value) == 16);
  static_assert(sizeof(Attr) == 32);  // the unit and provenance sit in the Source's unused bytes
}

TEST(Source, AttributesOfOneDirectoryShareItsStem) {
  Object o{"pci:0000:3b:00.0", "pci_device", {}};
  o.set("vendor_id", std::int64_t{0x8086}, Unit::kNone, Provenance::kKernel, "/sys/bus/pci/devices/0000:3b:00.0/vendor");
  o.set("device_id", std::int64_t{0x0b25}, Unit::kNone, Provenance::kKernel,
        std::string("/sys/bus/pci/devices/0000:3b:00.0/device"));
  o.set("driver", std::string("idxd"), Unit::kNone, Provenance::kKernel, "/sys/bus/pci/drivers/idxd");
  const Source& vendor = o.find("vendor_id")->source;
  EXPECT_TRUE(o.find("device_id")->source.shares_stem_with(vendor));
  EXPECT_FALSE(o.find("driver")->source.shares_stem_with(vendor));
  EXPECT_EQ(o.find("device_id")->source, "/sys/bus/pci/devices/0000:3b:00.0/device");
  // Copies (into another object, into a snapshot) share the stem as well.
  Source copy = vendor;
  EXPECT_TRUE(copy.shares_stem_with(vendor));
  Source moved = std::move(copy);
  EXPECT_TRUE(moved.shares_stem_with(vendor));
  EXPECT_EQ(moved, vendor);
}

TEST(Source, AFolderSharesTheStemOfItsFiles) {
  const std::string dir = "/sys/devices/pci0000:00/0000:00:01.0";
  Object o{"pci:0000:00:01.0", "pci_device", {}};
  o.set("domain", std::int64_t{0}, Unit::kNone, Provenance::kKernel, dir);
  o.set("vendor_id", std::int64_t{0x8086}, Unit::kNone, Provenance::kKernel, dir + "/vendor");
  o.set("revision", std::int64_t{1}, Unit::kNone, Provenance::kKernel, dir + "/revision");
  o.set("class_name", std::string("Bridge"), Unit::kNone, Provenance::kNominal, "pci.ids");
  const Source& folder = o.find("domain")->source;
  EXPECT_EQ(folder, dir);
  EXPECT_EQ(folder.str(), dir);
  EXPECT_TRUE(folder.is_path());
  EXPECT_TRUE(o.find("vendor_id")->source.shares_stem_with(folder));
  EXPECT_TRUE(o.find("revision")->source.shares_stem_with(folder));
  EXPECT_EQ(o.find("vendor_id")->source, dir + "/vendor");
  EXPECT_FALSE(folder == o.find("vendor_id")->source);
  EXPECT_EQ(o.find("class_name")->source, "pci.ids");
  EXPECT_FALSE(o.find("class_name")->source.is_path());
  // Another object (a function of this device) shares it through source_for.
  const Source fn = o.source_for(dir + "/driver");
  EXPECT_TRUE(fn.shares_stem_with(folder));
  EXPECT_EQ(fn, dir + "/driver");
  EXPECT_FALSE(o.source_for("/sys/other/driver").shares_stem_with(folder));
  EXPECT_EQ(o.source_for(dir), folder);
}

TEST(AttrMap, KeepsAnyNameBesideItsAttributeAndCopiesFollowTheText) {
  // accelmap's own names and others (a facts file of a newer accelmap), the empty one too.
  AttrMap m;
  m.insert_or_assign("numa_node", Attr{std::int64_t{1}, Source("/sys/x/numa_node"), Unit::kNone, Provenance::kKernel});
  m.insert_or_assign(std::string("zz_from_a_newer_accelmap"), Attr{std::int64_t{2}, Source("derived"), Unit::kBytes,
                                                                 Provenance::kUser});
  m.insert_or_assign(std::string("aa_from_a_newer_accelmap"), Attr{std::string("x"), {}, Unit::kNone, Provenance::kNominal});
  m.insert_or_assign("", Attr{true, {}, Unit::kNone, Provenance::kKernel});
  std::vector<std::string> names;
  for (const auto& [name, a] : m) names.push_back(name.str());
  EXPECT_EQ(names, (std::vector<std::string>{"", "aa_from_a_newer_accelmap", "numa_node", "zz_from_a_newer_accelmap"}));
  // The name's number sits beside the unit and provenance: neither disturbs the other.
  const Attr& z = m.at("zz_from_a_newer_accelmap");
  EXPECT_EQ(*z.value.as_int(), 2);
  EXPECT_EQ(z.unit, Unit::kBytes);
  EXPECT_EQ(z.provenance, Provenance::kUser);
  EXPECT_EQ(z.source, "derived");
  EXPECT_EQ(m.at("numa_node").source, "/sys/x/numa_node");

  // Replacing an attribute (through at(), an iterator or a binding) keeps its name.
  m.at("numa_node") = Attr{std::int64_t{3}, Source("/sys/y/numa_node"), Unit::kNone, Provenance::kFirmware};
  for (auto&& [name, a] : m)
    if (name == "aa_from_a_newer_accelmap") a.value = Value(std::int64_t{4});
  m.find("zz_from_a_newer_accelmap")->second.unit = Unit::kNone;
  names.clear();
  for (auto it = m.begin(); it != m.end(); ++it) names.push_back(it->first.str());
  EXPECT_EQ(names, (std::vector<std::string>{"", "aa_from_a_newer_accelmap", "numa_node", "zz_from_a_newer_accelmap"}));
  EXPECT_EQ(*m.at("numa_node").value.as_int(), 3);
  EXPECT_EQ(m.at("numa_node").provenance, Provenance::kFirmware);
  EXPECT_EQ(*m.at("aa_from_a_newer_accelmap").value.as_int(), 4);
  EXPECT_EQ(m.find("numa_node").name(), "numa_node");

  // A copy has its own names; equality is by text, whatever the numbers.
  AttrMap copy = m;
  m.erase("zz_from_a_newer_accelmap");
  EXPECT_EQ(copy.size(), 4u);
  EXPECT_EQ(copy.at("zz_from_a_newer_accelmap").unit, Unit::kNone);
  AttrMap other;  // the same attributes, inserted in another order: other numbers
  for (auto it = copy.end(); it != copy.begin();) {
    --it;
    other.emplace(it->first, it->second);
  }
  EXPECT_EQ(other, copy);
  other.erase("");
  EXPECT_FALSE(other == copy);
  EXPECT_EQ(m.erase("zz_from_a_newer_accelmap"), 0u);
  EXPECT_EQ(m.count("zz_from_a_newer_accelmap"), 0u);
  m.emplace(std::string("zz_from_a_newer_accelmap"), Attr{});  // back, as a new name
  EXPECT_TRUE(m.at("zz_from_a_newer_accelmap").value.is_unknown());
  EXPECT_THROW(m.at("no_such_attribute"), std::out_of_range);
}

TEST(AttrMap, RefusesMoreForeignNamesThanItCanNumber) {
  // Names in increasing order: each one is appended, so this stays quick.
  AttrMap m;
  char name[16];
  for (int i = 0; i < 32768; ++i) {
    std::snprintf(name, sizeof name, "x%06d", i);
    m.emplace(std::string(name), Attr{});
  }
  EXPECT_EQ(m.size(), 32768u);
  EXPECT_THROW(m.emplace(std::string("y"), Attr{}), std::length_error);
  EXPECT_EQ(m.size(), 32768u);
  m.emplace("numa_node", Attr{});  // accelmap's own names need no number of their own
  EXPECT_EQ(m.size(), 32769u);
  EXPECT_EQ(m.find("x032767").name(), "x032767");
}

TEST(AttrMap, ANameThatGoesAndComesBackDoesNotUseNumbersUp) {
  // An attribute erased and set again, 40,000 times (a long watch): the numbers
  // of erased names are taken back when they run out, the others keep theirs.
  AttrMap m;
  m.emplace(std::string("a_from_a_newer_accelmap"), Attr{std::int64_t{-1}, {}, Unit::kNone, Provenance::kKernel});
  m.emplace("numa_node", Attr{});
  for (int i = 0; i < 40000; ++i) {
    m.emplace(std::string("z_from_a_newer_accelmap"), Attr{std::int64_t{i}, {}, Unit::kNone, Provenance::kKernel});
    ASSERT_EQ(*m.at("z_from_a_newer_accelmap").value.as_int(), i);
    ASSERT_EQ(m.erase("z_from_a_newer_accelmap"), 1u);
  }
  m.emplace(std::string("z_from_a_newer_accelmap"), Attr{});
  std::vector<std::string> names;
  for (const auto& [name, a] : m) names.push_back(name.str());
  EXPECT_EQ(names, (std::vector<std::string>{"a_from_a_newer_accelmap", "numa_node", "z_from_a_newer_accelmap"}));
  EXPECT_EQ(*m.at("a_from_a_newer_accelmap").value.as_int(), -1);
  AttrMap copy = m;
  EXPECT_EQ(copy, m);
}

TEST(FactJournal, KeepsEachTouchedObjectAsItWasBeforeTheFirstAccess) {
  FactSet f;
  f.object("pci:a", "pci_device").set("vendor", std::string("0x8086"), Unit::kNone, Provenance::kKernel, "/x/vendor");
  f.object("pci:b", "pci_device");
  f.object("qat:c", "accelerator");
  FactJournal j;
  f.attach_journal(&j);
  f.object("pci:a", "pci_device").set("vendor", std::string("0x1022"), Unit::kNone, Provenance::kKernel, "/x/vendor");
  f.object("pci:a", "pci_device").set("device", std::string("0x1"), Unit::kNone, Provenance::kKernel, "/x/device");
  f.object("new:d", "accelerator");
  for (Object* o : f.with_prefix("pci:")) o->set("seen", true, Unit::kNone, Provenance::kDerived, "derived");
  FactSet copy = f;  // a copy does not record into the journal
  copy.object("qat:c", "accelerator").set("x", true, Unit::kNone, Provenance::kDerived, "derived");
  f.attach_journal(nullptr);
  f.object("qat:c", "accelerator");  // detached: not recorded
  ASSERT_EQ(j.before.size(), 3u);
  ASSERT_TRUE(j.before.at("pci:a").has_value());
  EXPECT_EQ(*j.before.at("pci:a")->get_string("vendor"), "0x8086");  // the first state, not a later one
  EXPECT_EQ(j.before.at("pci:a")->find("device"), nullptr);
  ASSERT_TRUE(j.before.at("pci:b").has_value());
  EXPECT_TRUE(j.before.at("pci:b")->attrs.empty());
  EXPECT_FALSE(j.before.at("new:d").has_value());  // created while attached
  EXPECT_EQ(j.before.count("qat:c"), 0u);
  // The journal is not part of the value.
  FactSet g = f;
  EXPECT_TRUE(g == f);
}

// of_kind reads an index kept as objects are made: natural key order whatever
// the order of making, and a copy's index points
// at the copy's own objects, so it survives the original.
TEST(FactSetOfKind, IndexOrderAndCopies) {
  auto keys = [](const std::vector<const Object*>& v) {
    std::vector<std::string> out;
    for (const Object* o : v) out.push_back(o->key);
    return out;
  };
  auto made = std::make_unique<FactSet>();
  for (const char* k : {"numa:10", "numa:2", "n1", "numa:1", "n01", "numa:02"}) made->object(k, "numa_node");
  made->object("pci:0000:00:01.0", "pci_device");
  made->object("numa:3", "pci_device");  // the kind is fixed at creation
  made->object("numa:3", "numa_node");
  // numa:3 stays a pci_device; fewer leading zeros sort first.
  EXPECT_EQ(keys(made->of_kind("numa_node")),
            (std::vector<std::string>{"n1", "n01", "numa:1", "numa:2", "numa:02", "numa:10"}));
  EXPECT_EQ(keys(made->of_kind("pci_device")), (std::vector<std::string>{"numa:3", "pci:0000:00:01.0"}));
  EXPECT_TRUE(made->of_kind("nothing").empty());

  FactSet copy = *made;
  FactSet assigned;
  assigned.object("other", "numa_node");
  assigned = *made;
  made.reset();  // the copies' indexes must not point into it
  for (const FactSet* f : {&copy, &assigned}) {
    auto nodes = f->of_kind("numa_node");
    ASSERT_EQ(nodes.size(), 6u);
    for (const Object* o : nodes) EXPECT_EQ(o, f->find(o->key));
  }
  FactSet moved = std::move(copy);
  for (const Object* o : moved.of_kind("numa_node")) EXPECT_EQ(o, moved.find(o->key));
  // Made after the copy: indexed in place.
  moved.object("numa:11", "numa_node");
  EXPECT_EQ(keys(moved.of_kind("numa_node")).back(), "numa:11");
}

// absorb moves another set's objects in (the same objects, not copies), keeps
// this set's version of a key both hold, appends diagnostics, indexes the new
// objects in natural order and records them as made in an attached journal.
TEST(FactSetAbsorb, MovesObjectsKeepsTheFirstOfARepeatedKeyAndJournalsWhatItMade) {
  FactSet main;
  main.object("pci:0000:00:10.0", "pci_device").set("vendor", std::int64_t{1}, Unit::kNone, Provenance::kKernel, "/a");
  main.object("host:0", "pci_host_bridge").set("bus", std::int64_t{0}, Unit::kNone, Provenance::kKernel, "/h");
  main.add(Diagnostic{Severity::kWarning, "pci", "/a", "first"});
  FactJournal j;
  main.attach_journal(&j);
  FactSet part;
  part.object("pci:0000:00:2.0", "pci_device").set("vendor", std::int64_t{2}, Unit::kNone, Provenance::kKernel, "/b");
  part.object("host:0", "pci_host_bridge").set("bus", std::int64_t{9}, Unit::kNone, Provenance::kKernel, "/h2");
  part.add(Diagnostic{Severity::kWarning, "pci", "/b", "second"});
  const Object* moved = part.find("pci:0000:00:2.0");
  main.absorb(std::move(part));
  EXPECT_TRUE(part.objects().empty());
  EXPECT_TRUE(part.diagnostics().empty());
  EXPECT_EQ(main.find("pci:0000:00:2.0"), moved);  // spliced, not copied
  EXPECT_EQ(*main.find("host:0")->get_int("bus"), 0);  // this set's version stays
  ASSERT_EQ(main.diagnostics().size(), 2u);
  EXPECT_EQ(main.diagnostics()[1].message, "second");
  auto pcis = main.of_kind("pci_device");
  ASSERT_EQ(pcis.size(), 2u);
  EXPECT_EQ(pcis[0]->key, "pci:0000:00:2.0");  // natural order: 2 before 10
  EXPECT_EQ(j.before.size(), 1u);
  EXPECT_TRUE(j.before.count("pci:0000:00:2.0") && !j.before.at("pci:0000:00:2.0").has_value());
}

TEST(NaturalLess, NumbersCompareAsNumbers) {
  EXPECT_TRUE(natural_less("numa:2", "numa:10"));
  EXPECT_FALSE(natural_less("numa:10", "numa:2"));
  EXPECT_TRUE(natural_less("pci:0000:00:02.0", "pci:0000:00:10.0"));
  EXPECT_TRUE(natural_less("a", "ab"));
  EXPECT_FALSE(natural_less("a", "a"));
}

TEST(TextList, HoldsEveryTextInOneBlockInOrder) {
  const std::vector<std::string> texts{"", "idxd.wq=wq0.0", "a text longer than any inline one", "", "x"};
  Value v(texts);
  const TextList* list = v.as_strings();
  ASSERT_NE(list, nullptr);
  ASSERT_EQ(list->size(), texts.size());
  for (std::size_t i = 0; i < texts.size(); ++i) EXPECT_EQ((*list)[i], texts[i]) << i;
  EXPECT_EQ(*list, texts);
  EXPECT_EQ(list->to_vector(), texts);
  EXPECT_EQ(list->front(), "");
  EXPECT_EQ(list->back(), "x");
  EXPECT_EQ(std::distance(list->begin(), list->end()), 5);
  EXPECT_EQ(*(list->begin() + 2), texts[2]);
  // Made from views, copied, compared: the same list.
  Value from_views = Value::strings({texts.begin(), texts.end()});
  EXPECT_EQ(v, from_views);
  Value copy = v;
  EXPECT_EQ(copy, v);
  EXPECT_NE(Value(std::vector<std::string>{"a", "b"}), Value(std::vector<std::string>{"ab"}));  // where texts end counts
  EXPECT_NE(Value(std::vector<std::string>{"", "a"}), Value(std::vector<std::string>{"a", ""}));
  const TextList* empty = Value::strings({}).as_strings();
  ASSERT_NE(empty, nullptr);  // an empty list is still a list, not unknown
  EXPECT_TRUE(Value::strings({}).as_strings()->empty());
  std::ostringstream os;
  os << *list;
  EXPECT_EQ(os.str(), R"(["", "idxd.wq=wq0.0", "a text longer than any inline one", "", "x"])");
}

TEST(Value, CopiesShareALongTextOrAListOfTexts) {
  const Value text("a text longer than fourteen bytes");
  const Value copy = text;
  EXPECT_EQ(copy, text);
  EXPECT_EQ(copy.as_string()->data(), text.as_string()->data());  // one block
  const Value list(std::vector<std::string>{"idxd.wq=wq0.0"});
  Value list_copy = list;
  EXPECT_EQ(list_copy.as_strings(), list.as_strings());
  list_copy = Value("short");  // the other copy keeps the block
  EXPECT_EQ(list.as_strings()->front(), "idxd.wq=wq0.0");
  // The views of a moved Value's block stay valid: the block does not move.
  Value moved = std::move(list_copy = list);
  EXPECT_EQ(moved.as_strings(), list.as_strings());
  const Value ids(IdSet{{0, 8}});
  const Value ids_copy = ids;
  EXPECT_EQ(ids_copy.as_ids(), ids.as_ids());
}

TEST(FactSet, ShareGivesOneBlockForEqualTextsAndLists) {
  FactSet f;
  const std::string name = "crypto.cipher.aes-gcm";
  const Value a = f.share(Value(name));
  const Value b = f.share(Value(std::string(name)));
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.as_string()->data(), b.as_string()->data());
  EXPECT_NE(f.share(Value("crypto.cipher.aes-cbc")).as_string()->data(), a.as_string()->data());
  const Value l1 = f.share(Value::strings({"qat.service=sym", "x"}));
  const Value l2 = f.share(Value::strings({"qat.service=sym", "x"}));
  EXPECT_EQ(l1.as_strings(), l2.as_strings());
  // Where texts end counts: not the same list.
  const Value l3 = f.share(Value::strings({"qat.service=symx"}));
  EXPECT_NE(l3.as_strings(), l1.as_strings());
  EXPECT_EQ(l3.as_strings()->size(), 1u);
  // Sets of ids too (most PCI functions have the same local CPUs).
  const Value ids1 = f.share(Value(IdSet{{0, 1, 2, 3}}));
  const Value ids2 = f.share(Value(IdSet{{0, 1, 2, 3}}));
  EXPECT_EQ(ids1.as_ids(), ids2.as_ids());
  EXPECT_NE(f.share(Value(IdSet{{0, 1, 2}})).as_ids(), ids1.as_ids());
  EXPECT_EQ(f.share(Value(IdSet{})).as_ids(), f.share(Value(IdSet{})).as_ids());
  // Short texts and numbers come back as they are.
  EXPECT_EQ(f.share(Value("gpu")), Value("gpu"));
  EXPECT_EQ(f.share(Value(std::int64_t{7})), Value(std::int64_t{7}));
  // normalize() forgets them: the blocks live on in the values that hold them.
  f.normalize();
  const Value c = f.share(Value(name));
  EXPECT_EQ(c, a);
  EXPECT_NE(c.as_string()->data(), a.as_string()->data());
  EXPECT_EQ(*a.as_string(), name);
}

TEST(TextListView, ViewsAListOrNone) {
  Value v(std::vector<std::string>{"dsa.op=memmove", "idxd.wq=wq0.0"});
  const TextListView view(v.as_strings());
  EXPECT_EQ(view.size(), 2u);
  EXPECT_FALSE(view.empty());
  EXPECT_EQ(view[1], "idxd.wq=wq0.0");
  EXPECT_EQ(view.front(), "dsa.op=memmove");
  EXPECT_EQ(view.back(), "idxd.wq=wq0.0");
  EXPECT_EQ(view, (std::vector<std::string_view>{"dsa.op=memmove", "idxd.wq=wq0.0"}));
  EXPECT_FALSE(view == (std::vector<std::string_view>{"dsa.op=memmove"}));
  std::vector<std::string_view> seen(view.begin(), view.end());
  EXPECT_EQ(seen.size(), 2u);
  // No list and an empty list read alike: nothing to iterate.
  const TextListView none;
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none.begin(), none.end());
  EXPECT_EQ(none.list(), nullptr);
  Value empty = Value::strings({});
  EXPECT_EQ(none, TextListView(empty.as_strings()));
  EXPECT_FALSE(none == view);
  std::ostringstream os;
  os << view << none;
  EXPECT_EQ(os.str(), R"(["dsa.op=memmove", "idxd.wq=wq0.0"][])");
  static_assert(sizeof(TextListView) == 8);
}

}  // namespace
}  // namespace accelmap
