#include "accelmap/facts.h"
#include "name_table.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <ostream>
#include <stdexcept>
#include <tuple>
#include <unordered_map>

namespace accelmap {

namespace {
constexpr std::array<std::pair<Unit, const char*>, 10> kUnitNames{{
    {Unit::kNone, "none"}, {Unit::kBytes, "bytes"}, {Unit::kMBps, "MB/s"}, {Unit::kNs, "ns"},
    {Unit::kGTps, "GT/s"}, {Unit::kLanes, "lanes"}, {Unit::kCount, "count"}, {Unit::kMHz, "MHz"},
    {Unit::kRelative, "relative"}, {Unit::kBits, "bits"},
}};
constexpr std::array<std::pair<Provenance, const char*>, 8> kProvenanceNames{{
    {Provenance::kUnknown, "unknown"}, {Provenance::kNominal, "nominal"},
    {Provenance::kLinkTrained, "link-trained"}, {Provenance::kFirmware, "firmware"},
    {Provenance::kKernel, "kernel"}, {Provenance::kDerived, "derived"},
    {Provenance::kMeasured, "measured"}, {Provenance::kUser, "user"},
}};
}  // namespace

const char* unit_name(Unit u) noexcept {
  for (auto& [k, n] : kUnitNames)
    if (k == u) return n;
  return "none";
}
const char* provenance_name(Provenance p) noexcept {
  for (auto& [k, n] : kProvenanceNames)
    if (k == p) return n;
  return "unknown";
}
std::optional<Unit> unit_from_name(std::string_view s) noexcept {
  for (auto& [k, n] : kUnitNames)
    if (s == n) return k;
  return std::nullopt;
}
std::optional<Provenance> provenance_from_name(std::string_view s) noexcept {
  for (auto& [k, n] : kProvenanceNames)
    if (s == n) return k;
  return std::nullopt;
}
const char* severity_name(Severity s) noexcept {
  switch (s) {
    case Severity::kInfo: return "info";
    case Severity::kWarning: return "warning";
    case Severity::kError: return "error";
  }
  return "warning";
}

// ---- Value ----

static_assert(sizeof(Value) == 16, "a Value is 16 bytes (see its comment)");
static_assert(sizeof(Attr) == 32, "an Attr keeps its unit and provenance in its Source's unused bytes (see Attr)");

Value::Value(std::string_view text) : type_(Type::kString) {
  if (text.size() <= kInlineText) {
    if (!text.empty()) std::memcpy(storage_, text.data(), text.size());
    text_size_ = static_cast<std::uint8_t>(text.size());
    return;
  }
  if (text.size() > UINT32_MAX) throw std::length_error("a text over 4 GiB");
  auto* t = ::new (::operator new(offsetof(LongText, data) + text.size()))
      LongText{{1}, static_cast<std::uint32_t>(text.size()), {}};
  std::memcpy(t->data, text.data(), text.size());
  ::new (storage_) LongText*(t);
  text_size_ = kLongText;
}

Value::Value(IdSet ids) : type_(Type::kIds) { ::new (storage_) SharedIds*(new SharedIds{{1}, std::move(ids)}); }
Value::Value(std::vector<std::int64_t> ints) : type_(Type::kInts) {
  ::new (storage_) std::vector<std::int64_t>*(new std::vector<std::int64_t>(std::move(ints)));
}
template <typename Range>
TextList* TextList::make(const Range& texts) {
  std::size_t bytes = 0;
  for (std::string_view t : texts) bytes += t.size();
  const std::size_t count = texts.size();
  if (count > UINT32_MAX || bytes > UINT32_MAX) throw std::length_error("a list of texts over 4 GiB");
  void* p = ::operator new(sizeof(TextList) + count * sizeof(std::uint32_t) + bytes);
  auto* list = ::new (p) TextList(static_cast<std::uint32_t>(count));
  auto* ends = reinterpret_cast<std::uint32_t*>(list + 1);
  char* out = reinterpret_cast<char*>(ends + count);
  std::uint32_t end = 0;
  std::size_t i = 0;
  for (std::string_view t : texts) {
    if (!t.empty()) std::memcpy(out + end, t.data(), t.size());
    end += static_cast<std::uint32_t>(t.size());
    ends[i++] = end;
  }
  return list;
}

void TextList::destroy(TextList* list) noexcept {
  if (list->refs_.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  list->~TextList();
  ::operator delete(list);
}

bool operator==(const TextList& a, const TextList& b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

bool operator==(const TextList& a, const std::vector<std::string>& b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

std::ostream& operator<<(std::ostream& os, const TextList& list) { return os << TextListView(&list); }

std::ostream& operator<<(std::ostream& os, const TextListView& list) {
  os << '[';
  for (std::size_t i = 0; i < list.size(); ++i) os << (i ? ", \"" : "\"") << list[i] << '"';
  return os << ']';
}

Value::Value(const std::vector<std::string>& texts) : type_(Type::kStrings) {
  ::new (storage_) TextList*(TextList::make(texts));
}
Value::Value(const TextList& texts) : type_(Type::kStrings) { ::new (storage_) TextList*(TextList::make(texts)); }
Value Value::strings(const std::vector<std::string_view>& texts) {
  Value v;
  ::new (v.storage_) TextList*(TextList::make(texts));
  v.type_ = Type::kStrings;
  return v;
}

Value::Value(const Value& other) { copy_from(other); }

// The bytes move as they are: what they hold (a number, an inline text or a
// pointer to an owned block) is trivially relocatable; `other` becomes unknown.
Value::Value(Value&& other) noexcept : text_size_(other.text_size_), type_(other.type_) {
  std::memcpy(storage_, other.storage_, sizeof storage_);
  other.type_ = Type::kUnknown;
  other.text_size_ = 0;
}

Value& Value::operator=(const Value& other) {
  if (this != &other) {
    Value copy(other);  // a failed allocation leaves *this as it was
    *this = std::move(copy);
  }
  return *this;
}

Value& Value::operator=(Value&& other) noexcept {
  if (this != &other) {
    release();
    std::memcpy(storage_, other.storage_, sizeof storage_);
    text_size_ = other.text_size_;
    type_ = other.type_;
    other.type_ = Type::kUnknown;
    other.text_size_ = 0;
  }
  return *this;
}

// A long text, a list of texts or a set of ids is shared (one more reference);
// a list of integers is copied through its constructor; a number or an inline
// text is its bytes.
void Value::copy_from(const Value& other) {
  switch (other.type_) {
    case Type::kString:
      if (other.text_size_ == kLongText) (*other.slot<LongText*>())->refs.fetch_add(1, std::memory_order_relaxed);
      break;
    case Type::kStrings: (*other.slot<TextList*>())->refs_.fetch_add(1, std::memory_order_relaxed); break;
    case Type::kIds: (*other.slot<SharedIds*>())->refs.fetch_add(1, std::memory_order_relaxed); break;
    case Type::kInts: *this = Value(*other.as_ints()); return;
    default: break;
  }
  std::memcpy(storage_, other.storage_, sizeof storage_);
  text_size_ = other.text_size_;
  type_ = other.type_;
}

void Value::release() noexcept {
  switch (type_) {
    case Type::kString:
      if (text_size_ == kLongText) {
        LongText* t = *slot<LongText*>();
        if (t->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
          t->~LongText();
          ::operator delete(t);
        }
      }
      break;
    case Type::kIds: {
      SharedIds* s = *slot<SharedIds*>();
      if (s->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete s;
      break;
    }
    case Type::kInts: delete *slot<std::vector<std::int64_t>*>(); break;
    case Type::kStrings: TextList::destroy(*slot<TextList*>()); break;
    default: break;
  }
  type_ = Type::kUnknown;
  text_size_ = 0;
}

bool operator==(const Value& a, const Value& b) noexcept {
  if (a.type_ != b.type_) return false;
  switch (a.type_) {
    case Value::Type::kUnknown: return true;
    case Value::Type::kBool: return *a.as_bool() == *b.as_bool();
    case Value::Type::kInt: return *a.as_int() == *b.as_int();
    case Value::Type::kDouble: return *a.as_double() == *b.as_double();
    case Value::Type::kString: return a.text() == b.text();
    case Value::Type::kIds: return *a.as_ids() == *b.as_ids();
    case Value::Type::kInts: return *a.as_ints() == *b.as_ints();
    case Value::Type::kStrings: return *a.as_strings() == *b.as_strings();
  }
  return false;
}

// One allocation: the header, then the text. Shared by every Source whose text
// starts with it; freed by the last one.
struct Source::Stem {
  std::atomic<std::uint32_t> refs;
  std::uint32_t size;
  const char* text() const noexcept { return reinterpret_cast<const char*>(this + 1); }

  /// `text`, and a '/' after it when `dir`.
  static Stem* make(std::string_view text, bool dir) {
    const std::size_t size = text.size() + (dir ? 1 : 0);
    void* p = ::operator new(sizeof(Stem) + size);
    Stem* s = new (p) Stem{{1}, static_cast<std::uint32_t>(size)};
    char* bytes = reinterpret_cast<char*>(s + 1);
    std::memcpy(bytes, text.data(), text.size());
    if (dir) bytes[text.size()] = '/';
    return s;
  }
};

// How a text is kept (see Source). Depends on the text alone, so equal texts
// split alike, and a Source's stem and leaf compare as its text.
struct Source::Split {
  std::string_view stem;  ///< the stem's text, less the '/' that `dir` adds; empty for no stem
  bool dir = false;       ///< the text names a folder: its stem is the text and a '/'
  std::string_view leaf;  ///< fits inside the Source, or is in the table of names
  /// The leaf's entry in the table of names where it is longer than fits inside
  /// (kept so that set_leaf does not look it up again); else null.
  const std::string_view* entry = nullptr;

  explicit Split(std::string_view text) noexcept {
    const std::size_t slash = text.rfind('/');
    // A word ("pci.ids"): only a leaf when it fits or is in the table, else all stem.
    if (slash == std::string_view::npos) {
      (keeps(text) ? leaf : stem) = text;
      return;
    }
    leaf = text.substr(slash + 1);
    if (keeps(leaf)) {
      stem = text.substr(0, slash + 1);
    } else {
      // A folder named for one instance ("0000:3b:00.0", "wq0.1"): the stem
      // of the files read in it, so that the folder and its files share one.
      stem = text;
      dir = true;
      leaf = {};
    }
  }
  /// True when `text` fits inside the Source or is in the table (then `entry` is set).
  bool keeps(std::string_view text) noexcept {
    if (text.size() <= kLeafCapacity) return true;
    entry = internal::table_name(text);
    return entry != nullptr;
  }
  /// True when `s` is the stem this split asks for.
  bool stem_is(const Stem* s) const noexcept {
    if (s == nullptr || s->size != stem.size() + (dir ? 1 : 0)) return false;
    return std::string_view(s->text(), stem.size()) == stem && (!dir || s->text()[stem.size()] == '/');
  }
};

std::string_view Source::stem() const noexcept {
  if (!stem_) return {};
  return {stem_->text(), stem_->size - (leaf_size_ == kDirLeaf ? 1u : 0u)};
}

std::string_view Source::leaf() const noexcept {
  if (leaf_size_ == kDirLeaf) return {};
  if (leaf_size_ != kTableLeaf) return {leaf_, leaf_size_};
  std::uint16_t index;
  std::memcpy(&index, leaf_, sizeof(index));
  return *internal::table_entry(index);
}

// The leaf of `split`: inside, or its entry in the table (Split found it).
void Source::set_leaf(const Split& split) noexcept {
  if (split.entry == nullptr) {
    const std::string_view leaf = split.leaf;
    if (!leaf.empty()) std::memcpy(leaf_, leaf.data(), leaf.size());  // an empty view's data may be null
    leaf_size_ = static_cast<std::uint8_t>(leaf.size());
    return;
  }
  const std::uint16_t index = internal::table_index(split.entry);
  std::memcpy(leaf_, &index, sizeof(index));
  leaf_size_ = kTableLeaf;
}

void Source::release() noexcept {
  if (stem_ && stem_->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    stem_->~Stem();
    ::operator delete(stem_);
  }
  stem_ = nullptr;
}

Source::Source(std::string_view text) : Source(text, Source()) {}

Source::Source(std::string_view text, const Source& like) : Source(Split(text), like.stem_) {}

Source::Source(const Split& split, Stem* like) {
  if (split.dir) {
    leaf_size_ = kDirLeaf;
  } else {
    set_leaf(split);
  }
  if (split.stem.empty()) return;
  if (split.stem_is(like)) {
    stem_ = like;
    stem_->refs.fetch_add(1, std::memory_order_relaxed);
  } else {
    stem_ = Stem::make(split.stem, split.dir);
  }
}

Source::Source(const Source& other) noexcept : stem_(other.stem_), leaf_size_(other.leaf_size_) {
  if (stem_) stem_->refs.fetch_add(1, std::memory_order_relaxed);
  std::memcpy(leaf_, other.leaf_, kLeafCapacity);
}

Source::Source(Source&& other) noexcept : stem_(other.stem_), leaf_size_(other.leaf_size_) {
  std::memcpy(leaf_, other.leaf_, kLeafCapacity);
  other.stem_ = nullptr;
  other.leaf_size_ = 0;
}

Source& Source::operator=(const Source& other) noexcept {
  if (this != &other) {
    if (other.stem_) other.stem_->refs.fetch_add(1, std::memory_order_relaxed);
    release();
    stem_ = other.stem_;
    std::memcpy(leaf_, other.leaf_, kLeafCapacity);
    leaf_size_ = other.leaf_size_;
  }
  return *this;
}

Source& Source::operator=(Source&& other) noexcept {
  if (this != &other) {
    release();
    stem_ = other.stem_;
    std::memcpy(leaf_, other.leaf_, kLeafCapacity);
    leaf_size_ = other.leaf_size_;
    other.stem_ = nullptr;
    other.leaf_size_ = 0;
  }
  return *this;
}

Source::~Source() { release(); }

std::string Source::str() const {
  std::string s;
  std::string_view leaf = this->leaf();
  s.reserve(stem().size() + leaf.size());
  s.append(stem()).append(leaf);
  return s;
}

bool operator==(const Source& a, std::string_view text) noexcept {
  std::string_view stem = a.stem(), leaf = a.leaf();
  return text.size() == stem.size() + leaf.size() && text.substr(0, stem.size()) == stem &&
         text.substr(stem.size()) == leaf;
}

bool operator==(const Source& a, const Source& b) noexcept {
  // Both texts are split by the same rule, so equal texts have equal stems, and
  // a folder's text ("/x/dir") shares its stem with its files' ("/x/dir/" + leaf).
  if ((a.leaf_size_ == Source::kDirLeaf) != (b.leaf_size_ == Source::kDirLeaf)) return false;
  return (a.stem_ == b.stem_ || a.stem() == b.stem()) && a.leaf() == b.leaf();
}

std::ostream& operator<<(std::ostream& os, const Source& s) { return os << s.str(); }

AttrMap::AttrMap(const AttrMap& other)
    : items_(other.items_),
      foreign_(other.foreign_ ? std::make_unique<std::vector<AttrName>>(*other.foreign_) : nullptr) {}

AttrMap& AttrMap::operator=(const AttrMap& other) {
  if (this != &other) *this = AttrMap(other);
  return *this;
}

std::string_view AttrMap::other_name_view(const Slot& slot) const noexcept {
  if (slot.name == kEmptyName) return {};
  return (*foreign_)[slot.name - kForeignName].view();
}

AttrName AttrMap::other_name_at(const Slot& slot) const {
  if (slot.name == kEmptyName) return AttrName();
  return (*foreign_)[slot.name - kForeignName];
}

std::uint16_t AttrMap::number_for(const AttrName& name) {
  if (name.text_ == nullptr) return kEmptyName;
  if (name.is_builtin()) return internal::table_index(name.text_);
  // Only a name new to this map gets here (a replaced attribute keeps its
  // number). An erased one stays in the list, so an attribute that goes and
  // comes back again and again (a long watch) uses numbers up: when they are,
  // the list is made again from the names in use.
  if (!foreign_) foreign_ = std::make_unique<std::vector<AttrName>>();
  if (foreign_->size() >= kForeignNames) renumber_foreign();
  if (foreign_->size() >= kForeignNames)
    throw std::length_error("more than 32768 attribute names that are not accelmap's in one object");
  foreign_->push_back(name);
  return static_cast<std::uint16_t>(kForeignName + foreign_->size() - 1);
}

void AttrMap::renumber_foreign() {
  auto in_use = std::make_unique<std::vector<AttrName>>();
  for (Slot& slot : items_)
    if (slot.name >= kForeignName) {
      in_use->push_back(std::move((*foreign_)[slot.name - kForeignName]));
      slot.name = static_cast<std::uint16_t>(kForeignName + in_use->size() - 1);
    }
  foreign_ = std::move(in_use);
}

AttrMap::Slot* AttrMap::lower_bound(std::string_view name) noexcept {
  return std::lower_bound(items_.data(), items_.data() + items_.size(), name,
                          [this](const Slot& e, std::string_view n) { return name_view(e) < n; });
}

AttrMap::iterator AttrMap::find(std::string_view name) noexcept {
  Slot* at = lower_bound(name);
  return at != items_.data() + items_.size() && name_view(*at) == name ? iterator(at, this) : end();
}

AttrMap::const_iterator AttrMap::find(std::string_view name) const noexcept {
  return const_cast<AttrMap*>(this)->find(name);
}

Attr& AttrMap::at(std::string_view name) {
  auto it = find(name);
  if (it == end()) throw std::out_of_range("no attribute " + std::string(name));
  return it.slot_->attr;
}

const Attr& AttrMap::at(std::string_view name) const { return const_cast<AttrMap*>(this)->at(name); }

AttrMap::iterator AttrMap::insert_at(Slot* at, AttrName name, Attr attr) {
  const std::uint16_t number = number_for(name);
  auto placed = items_.insert(items_.begin() + (at - items_.data()), Slot{std::move(attr), number});
  return {&*placed, this};
}

Attr& AttrMap::operator[](std::string_view name) {
  Slot* at = lower_bound(name);
  if (at != items_.data() + items_.size() && name_view(*at) == name) return at->attr;
  return insert_at(at, AttrName(name), Attr{}).slot_->attr;
}

std::pair<AttrMap::iterator, bool> AttrMap::insert_or_assign(AttrName name, Attr attr) {
  Slot* at = lower_bound(name);
  if (at != items_.data() + items_.size() && name_view(*at) == name.view()) {
    at->attr = std::move(attr);
    return {iterator(at, this), false};
  }
  return {insert_at(at, std::move(name), std::move(attr)), true};
}

std::pair<AttrMap::iterator, bool> AttrMap::emplace(AttrName name, Attr attr) {
  Slot* at = lower_bound(name);
  if (at != items_.data() + items_.size() && name_view(*at) == name.view()) return {iterator(at, this), false};
  return {insert_at(at, std::move(name), std::move(attr)), true};
}

std::size_t AttrMap::erase(std::string_view name) {
  auto it = find(name);
  if (it == end()) return 0;
  items_.erase(items_.begin() + (it.slot_ - items_.data()));
  return 1;
}

bool operator==(const AttrMap& a, const AttrMap& b) noexcept {
  if (a.items_.size() != b.items_.size()) return false;
  for (std::size_t i = 0; i < a.items_.size(); ++i)
    if (a.name_view(a.items_[i]) != b.name_view(b.items_[i]) || !(a.items_[i].attr == b.items_[i].attr)) return false;
  return true;
}

Source Object::source_for(std::string_view text) const {
  // Most attributes of an object are read from its own directory: share that
  // stem with an attribute that has it already. Objects have a few dozen
  // attributes, mostly from one or two directories, so a scan that skips runs
  // of the same stem is cheap.
  const Source::Split split(text);
  if (split.stem.empty()) return Source(split, nullptr);
  const Source::Stem* tried = nullptr;
  for (const auto& [k, a] : attrs) {
    if (!a.source.stem_ || a.source.stem_ == tried) continue;
    tried = a.source.stem_;
    if (split.stem_is(a.source.stem_)) return Source(split, a.source.stem_);
  }
  return Source(split, nullptr);
}

void Object::set(AttrName name, Value value, Unit unit, Provenance provenance, std::string_view source) {
  set(std::move(name), std::move(value), unit, provenance, source_for(source));
}

void Object::set(AttrName name, Value value, Unit unit, Provenance provenance, const Source& source) {
  attrs.insert_or_assign(std::move(name), Attr{std::move(value), source, unit, provenance});
}

const Attr* Object::find(std::string_view name) const {
  auto it = attrs.find(name);
  return it == attrs.end() ? nullptr : &it->second;
}

// The value of attribute `name`, or an unknown one (which every typed getter
// answers with nothing) when there is none.
static const Value& value_of(const Object& o, std::string_view name) {
  static const Value kNone;  // constant, never written: not state
  const Attr* a = o.find(name);
  return a ? a->value : kNone;
}

std::optional<std::int64_t> Object::get_int(std::string_view name) const {
  const std::int64_t* v = value_of(*this, name).as_int();
  return v ? std::optional<std::int64_t>(*v) : std::nullopt;
}
std::optional<double> Object::get_double(std::string_view name) const {
  const Value& v = value_of(*this, name);
  if (const double* d = v.as_double()) return *d;
  if (const std::int64_t* i = v.as_int()) return static_cast<double>(*i);
  return std::nullopt;
}
std::optional<bool> Object::get_bool(std::string_view name) const {
  const bool* v = value_of(*this, name).as_bool();
  return v ? std::optional<bool>(*v) : std::nullopt;
}
std::optional<std::string_view> Object::get_string(std::string_view name) const {
  return value_of(*this, name).as_string();
}
const IdSet* Object::get_ids(std::string_view name) const { return value_of(*this, name).as_ids(); }
const std::vector<std::int64_t>* Object::get_ints(std::string_view name) const {
  return value_of(*this, name).as_ints();
}
const TextList* Object::get_strings(std::string_view name) const {
  return value_of(*this, name).as_strings();
}

void FactSet::journal(std::string_view key, ObjectSet::const_iterator it) {
  auto& before = journal_.to->before;
  auto at = before.lower_bound(key);
  if (at != before.end() && at->first == key) return;  // only the first access counts
  before.emplace_hint(at, std::string(key), it == objects_.end() ? std::nullopt : std::optional<Object>(*it));
}

namespace {
// of_kind's order. natural_less orders any two different keys ("n1" before "n01").
bool kind_order(const Object* a, const Object* b) { return natural_less(a->key, b->key); }
}  // namespace

FactSet::FactSet(const FactSet& other) : objects_(other.objects_), diagnostics_(other.diagnostics_) { reindex(); }

FactSet& FactSet::operator=(const FactSet& other) {
  if (this != &other) {
    objects_ = other.objects_;
    diagnostics_ = other.diagnostics_;
    reindex();
  }
  return *this;
}

void FactSet::reindex() {
  // All at once, then one sort per kind: objects_ is in byte order, which
  // inserting one by one in natural order would shuffle ("numa:10" < "numa:2").
  by_kind_.clear();
  for (const Object& o : objects_) by_kind_[o.kind].push_back(&o);
  for (auto& [kind, list] : by_kind_) std::sort(list.begin(), list.end(), kind_order);
}

std::size_t FactSet::index(const Object& o) {
  auto at = by_kind_.find(o.kind);
  if (at == by_kind_.end()) at = by_kind_.emplace(o.kind, std::vector<const Object*>{}).first;
  std::vector<const Object*>& list = at->second;
  const std::size_t last_size = list.empty() ? 0 : list.back()->attrs.size();
  // Providers mostly make a kind's objects in key order: then this appends.
  if (list.empty() || kind_order(list.back(), &o)) list.push_back(&o);
  else list.insert(std::upper_bound(list.begin(), list.end(), &o, kind_order), &o);
  return last_size;
}

Object& FactSet::object(const std::string& key, std::string_view kind) {
  auto it = objects_.lower_bound(key);
  const bool made = it != objects_.end() && it->key == key;
  if (journal_.to) journal(key, made ? it : objects_.end());
  if (!made) {
    it = objects_.emplace_hint(it, Object{key, AttrName(kind), {}});
    // Objects of one kind mostly end with as many attributes as the one before
    // them: room for that many at once. Grown one at a time (1, 2, 4, ... 32
    // for a PCI function's 22), every step moved them and left the old block
    // behind: 582,121 blocks for the attributes of 116,611 objects at 10,000
    // devices, 205,283 with this.
    if (const std::size_t expected = index(*it)) mutable_object(it).attrs.reserve(expected);
  }
  return mutable_object(it);
}

void FactSet::absorb(FactSet&& other) {
  for (auto it = other.objects_.begin(); it != other.objects_.end();) {
    auto next = std::next(it);
    auto here = objects_.find(it->key);
    if (here == objects_.end()) {
      if (journal_.to) journal(it->key, here);
      auto placed = objects_.insert(other.objects_.extract(it));
      index(*placed.position);
    }
    it = next;
  }
  diagnostics_.insert(diagnostics_.end(), std::make_move_iterator(other.diagnostics_.begin()),
                      std::make_move_iterator(other.diagnostics_.end()));
  other = FactSet();
}

const Object* FactSet::find(std::string_view key) const {
  auto it = objects_.find(key);
  return it == objects_.end() ? nullptr : &*it;
}

std::vector<const Object*> FactSet::of_kind(std::string_view kind) const {
  auto it = by_kind_.find(kind);
  return it == by_kind_.end() ? std::vector<const Object*>{} : it->second;
}

std::vector<Object*> FactSet::with_prefix(std::string_view prefix) {
  std::vector<Object*> out;
  for (auto it = objects_.lower_bound(prefix); it != objects_.end(); ++it) {
    if (it->key.compare(0, prefix.size(), prefix) != 0) break;
    if (journal_.to) journal(it->key, it);
    out.push_back(&mutable_object(it));
  }
  return out;
}

void FactSet::shrink() {
  for (auto it = objects_.begin(); it != objects_.end(); ++it) {
    AttrMap& attrs = mutable_object(it).attrs;
    if (attrs.capacity() - attrs.size() > attrs.size() / 2) attrs.shrink_to_fit();  // over a third spare
  }
  // The index of kinds grew one object at a time too (a large machine's list
  // of functions: 60,000 pointers in room for up to twice that).
  for (auto& [kind, list] : by_kind_) list.shrink_to_fit();
}

Value FactSet::share(Value value) {
  std::string_view contents;
  if (value.type_ == Value::Type::kString && value.text_size_ == Value::kLongText) {
    contents = value.text();
  } else if (value.type_ == Value::Type::kStrings) {
    contents = (*value.slot<TextList*>())->contents();
  } else if (value.type_ == Value::Type::kIds) {
    const std::vector<std::uint32_t>& ids = value.as_ids()->ids;
    contents = {reinterpret_cast<const char*>(ids.data()), ids.size() * sizeof(std::uint32_t)};
  } else {
    return value;  // kept inside the Value, or a block that is not shared
  }
  // Only a value of the same type is shared (a text whose bytes were a list's is not).
  // An empty set of ids has no bytes: it is kept and shared like any other.
  auto& seen = shared_.values;
  if (auto it = seen.find(contents); it != seen.end() && it->second.type_ == value.type_) return it->second;
  // The key views the block the kept copy shares, which lives as long as it.
  seen.emplace(contents, value);
  return value;
}

void FactSet::normalize() {
  // Give back what objects that grew one attribute at a time have spare.
  shrink();
  shared_.values.clear();
  std::sort(diagnostics_.begin(), diagnostics_.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.provider, a.path, a.message, a.severity) < std::tie(b.provider, b.path, b.message, b.severity);
  });
  diagnostics_.erase(std::unique(diagnostics_.begin(), diagnostics_.end()), diagnostics_.end());
}

bool natural_less(std::string_view a, std::string_view b) noexcept {
  std::size_t i = 0, j = 0;
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  while (i < a.size() && j < b.size()) {
    if (digit(a[i]) && digit(b[j])) {
      // A digit run followed by a hex letter is part of a hex number ("6a" in a
      // PCI bus id): those are fixed-width, so compare them character by character.
      auto hex_letter = [](char c) { return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); };
      std::size_t ia = i, jb = j;
      while (ia < a.size() && digit(a[ia])) ++ia;
      while (jb < b.size() && digit(b[jb])) ++jb;
      if ((ia < a.size() && hex_letter(a[ia])) || (jb < b.size() && hex_letter(b[jb]))) {
        if (a[i] != b[j]) return a[i] < b[j];
        ++i;
        ++j;
        continue;
      }
      std::size_t i2 = i, j2 = j;
      while (i2 < a.size() && a[i2] == '0') ++i2;
      while (j2 < b.size() && b[j2] == '0') ++j2;
      std::size_t ie = i2, je = j2;
      while (ie < a.size() && digit(a[ie])) ++ie;
      while (je < b.size() && digit(b[je])) ++je;
      if (ie - i2 != je - j2) return ie - i2 < je - j2;
      int c = a.substr(i2, ie - i2).compare(b.substr(j2, je - j2));
      if (c != 0) return c < 0;
      if (ie - i != je - j) return ie - i < je - j;  // fewer leading zeros first
      i = ie;
      j = je;
      continue;
    }
    if (a[i] != b[j]) return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[j]);
    ++i;
    ++j;
  }
  return a.size() - i < b.size() - j;
}

}  // namespace accelmap
