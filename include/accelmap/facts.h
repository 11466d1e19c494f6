// accelmap/facts.h — what discovery read: keyed objects with typed, sourced attributes.
//
// Facts are the seam of the pipeline: providers write them, the snapshot
// builder reads them, and they serialize to a versioned JSON format
// (schema/facts.schema.json, docs/facts.md) so that `accelmap show --facts F`
// rebuilds the very same snapshot with no tree at all.
//
// Every attribute carries its unit, its provenance and the in-root path it was
// read from. A value the kernel left unknown is absent (or Value{} = null),
// never 0.
//
//   FactSet facts;
//   Object& n = facts.object("numa:1", "numa_node");
//   n.set("capacity", Value(std::int64_t{34359738368}), Unit::kBytes, Provenance::kKernel,
//         "/sys/devices/system/node/node1/meminfo");
//
// Thread-safety: plain values. A FactSet is built by one thread, then read by many.
#pragma once

#include <algorithm>
#include <atomic>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <iterator>
#include <map>
#include <memory>
#include <new>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "accelmap/status.h"

namespace accelmap {

/// Units of numeric attributes. Names (unit_name) are part of the JSON format.
enum class Unit : std::uint8_t {
  kNone,       ///< identifiers, flags, strings
  kBytes,      ///< capacities, sizes
  kMBps,       ///< bandwidth, 10^6 bytes per second (HMAT, KFD)
  kNs,         ///< latency, nanoseconds
  kGTps,       ///< PCIe per-lane transfer rate, giga-transfers per second
  kLanes,      ///< PCIe link width
  kCount,      ///< a number of things (VFs, queues, engines)
  kMHz,        ///< clocks
  kRelative,   ///< unitless relative figures (ACPI SLIT distance, KFD weight)
  kBits,       ///< bus widths
};

/// Where a value came from. Trust order for numbers that compete:
/// user > measured > firmware > link_trained > nominal > unknown.
/// `kernel` marks what the OS reports about itself (capacities, drivers, ids),
/// `derived` what accelmap computed from other facts (and says so).
enum class Provenance : std::uint8_t {
  kUnknown,
  kNominal,      ///< a table: PCI ID database, nominal link rates
  kLinkTrained,  ///< PCIe current speed x width as negotiated
  kFirmware,     ///< ACPI HMAT / SLIT / CDAT as relayed by the kernel
  kKernel,       ///< the kernel's own accounting (meminfo, driver binding)
  kDerived,      ///< computed by accelmap from other facts
  kMeasured,
  kUser,
};

const char* unit_name(Unit u) noexcept;
const char* provenance_name(Provenance p) noexcept;
std::optional<Unit> unit_from_name(std::string_view s) noexcept;
std::optional<Provenance> provenance_from_name(std::string_view s) noexcept;

/// A sorted set of small ids (CPUs, NUMA nodes); serialized as "0-3,8".
struct IdSet {
  std::vector<std::uint32_t> ids;
  friend bool operator==(const IdSet&, const IdSet&) = default;
};

/// A list of texts, read-only: what a Value of type kStrings holds
/// (Value::as_strings). Indexes and iterates as std::string_view.
///
/// Why not std::vector<std::string>: a large machine has ~100,000 of these
/// lists (an accelerator function's `via` and `queues`), nearly all of one or
/// two texts, and a vector of strings cost three to four heap blocks (the
/// vector, its array, each text over 15 characters) where this is one: the
/// count, where each text ends, then the bytes.
///
/// Ownership: only a Value makes, owns and frees one; copies of that Value
/// share it (a reference count), and views into it are valid while one of them
/// is neither changed nor destroyed. Thread-safety: immutable; const use from
/// many threads at once is safe.
class TextList {
 public:
  /// Walks the texts in order (random access).
  class const_iterator {
   public:
    using value_type = std::string_view;
    using reference = std::string_view;
    using pointer = void;
    using difference_type = std::ptrdiff_t;
    using iterator_category = std::random_access_iterator_tag;
    const_iterator() = default;
    std::string_view operator*() const noexcept { return (*list_)[i_]; }
    std::string_view operator[](difference_type n) const noexcept { return (*list_)[i_ + static_cast<std::size_t>(n)]; }
    const_iterator& operator++() noexcept { ++i_; return *this; }
    const_iterator operator++(int) noexcept { const_iterator b = *this; ++i_; return b; }
    const_iterator& operator--() noexcept { --i_; return *this; }
    const_iterator operator--(int) noexcept { const_iterator b = *this; --i_; return b; }
    const_iterator& operator+=(difference_type n) noexcept { i_ += static_cast<std::size_t>(n); return *this; }
    const_iterator& operator-=(difference_type n) noexcept { i_ -= static_cast<std::size_t>(n); return *this; }
    friend const_iterator operator+(const_iterator a, difference_type n) noexcept { return a += n; }
    friend const_iterator operator+(difference_type n, const_iterator a) noexcept { return a += n; }
    friend const_iterator operator-(const_iterator a, difference_type n) noexcept { return a -= n; }
    friend difference_type operator-(const const_iterator& a, const const_iterator& b) noexcept {
      return static_cast<difference_type>(a.i_) - static_cast<difference_type>(b.i_);
    }
    friend bool operator==(const const_iterator& a, const const_iterator& b) noexcept { return a.i_ == b.i_; }
    friend std::strong_ordering operator<=>(const const_iterator& a, const const_iterator& b) noexcept {
      return a.i_ <=> b.i_;
    }

   private:
    friend class TextList;
    const_iterator(const TextList* list, std::size_t i) noexcept : list_(list), i_(i) {}
    const TextList* list_ = nullptr;
    std::size_t i_ = 0;
  };
  using iterator = const_iterator;
  using value_type = std::string_view;
  using size_type = std::size_t;

  TextList(const TextList&) = delete;
  TextList& operator=(const TextList&) = delete;

  std::size_t size() const noexcept { return count_; }
  bool empty() const noexcept { return count_ == 0; }
  std::string_view operator[](std::size_t i) const noexcept {
    const std::uint32_t begin = i == 0 ? 0 : ends()[i - 1];
    return {bytes() + begin, ends()[i] - begin};
  }
  std::string_view front() const noexcept { return (*this)[0]; }
  std::string_view back() const noexcept { return (*this)[count_ - 1]; }
  const_iterator begin() const noexcept { return {this, 0}; }
  const_iterator end() const noexcept { return {this, count_}; }
  /// A copy of the texts, to change.
  std::vector<std::string> to_vector() const { return {begin(), end()}; }

  friend bool operator==(const TextList& a, const TextList& b) noexcept;
  /// Same texts in the same order (reads like the vector this replaced).
  friend bool operator==(const TextList& a, const std::vector<std::string>& b) noexcept;

 private:
  friend class Value;
  friend class FactSet;  // share() finds equal lists (contents())
  explicit TextList(std::uint32_t count) noexcept : refs_(1), count_(count) {}
  /// One block holding `texts` (nullptr never: an empty list is a block too).
  template <typename Range>
  static TextList* make(const Range& texts);
  static void destroy(TextList* list) noexcept;
  // The block: this header, count_ end offsets, then the bytes of every text.
  const std::uint32_t* ends() const noexcept { return reinterpret_cast<const std::uint32_t*>(this + 1); }
  const char* bytes() const noexcept { return reinterpret_cast<const char*>(ends() + count_); }
  /// The count, the ends and the bytes: equal exactly for equal lists (FactSet::share).
  std::string_view contents() const noexcept {
    const std::uint32_t size = count_ == 0 ? 0 : ends()[count_ - 1];
    return {reinterpret_cast<const char*>(&count_), sizeof count_ + count_ * sizeof(std::uint32_t) + size};
  }
  std::atomic<std::uint32_t> refs_;  ///< the Values that share this block
  std::uint32_t count_;  ///< right before the ends, for contents()
};
std::ostream& operator<<(std::ostream& os, const TextList& list);

/// A read-only view of a TextList, or of none (then empty): what a snapshot row
/// holds for a list of texts (Function::via), indexing and iterating as
/// std::string_view.
///
/// Why not std::vector<std::string_view>: the list is in the facts already,
/// and a vector of views cost a 24-byte field and a heap block in each of a
/// large machine's ~60,000 functions; a view is 8 bytes and never allocates.
///
/// Ownership: refers to a TextList it does not own (see TextList for how long
/// that stays valid). Thread-safety: immutable; safe to share.
class TextListView {
 public:
  using const_iterator = TextList::const_iterator;
  using iterator = const_iterator;
  using value_type = std::string_view;
  using size_type = std::size_t;

  TextListView() noexcept = default;
  explicit TextListView(const TextList* list) noexcept : list_(list) {}

  std::size_t size() const noexcept { return list_ ? list_->size() : 0; }
  bool empty() const noexcept { return size() == 0; }
  std::string_view operator[](std::size_t i) const noexcept { return (*list_)[i]; }
  std::string_view front() const noexcept { return list_->front(); }
  std::string_view back() const noexcept { return list_->back(); }
  const_iterator begin() const noexcept { return list_ ? list_->begin() : const_iterator(); }
  const_iterator end() const noexcept { return list_ ? list_->end() : const_iterator(); }
  /// The list viewed; null for none.
  const TextList* list() const noexcept { return list_; }

  /// Same texts in the same order.
  friend bool operator==(const TextListView& a, const TextListView& b) noexcept {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
  }
  friend bool operator==(const TextListView& a, const std::vector<std::string_view>& b) noexcept {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
  }

 private:
  const TextList* list_ = nullptr;
};
std::ostream& operator<<(std::ostream& os, const TextListView& list);

/// A typed value: unknown ("known to be unknown", JSON null), a bool, an
/// integer, a double, a text, a set of ids, integers or texts.
///
/// Why not std::variant: a large machine has about a million attributes, and a
/// variant holding a std::string is 40 bytes, most of it unused by the integers
/// that are half of all values. A Value is 16 bytes: numbers and a text of up to
/// kInlineText bytes (nearly every driver, state, mode and key) live inside it;
/// a longer text and the lists are one heap block it owns.
///
/// Reading: type(), then the accessor of that type, which answers null (or
/// nullopt) for any other type, so `if (auto* i = v.as_int())` reads like
/// std::get_if. as_string() is a view: it stays valid while this Value is
/// neither changed nor destroyed (an attribute added to the same object moves
/// its values; see AttrMap).
///
/// Ownership: a value type. A long text, a list of texts and a set of ids are
/// immutable blocks with an atomic reference count, which copies share (a large
/// machine repeats a function's name, a PCI vendor's or a set of local CPUs
/// tens of thousands of times, and FactSet::share makes equal ones one block);
/// a list of integers is copied.
/// Thread-safety: a value type; const use (copies included) from many threads
/// at once is safe.
class Value {
 public:
  enum class Type : std::uint8_t { kUnknown, kBool, kInt, kDouble, kString, kIds, kInts, kStrings };
  /// Texts up to this many bytes are kept inside the Value (no allocation).
  static constexpr std::size_t kInlineText = 14;

  /// Unknown.
  Value() noexcept = default;
  Value(std::monostate) noexcept {}  // NOLINT: reads like the variant it replaced
  /// bool only: a pointer or a number never becomes a bool by accident.
  template <typename B, std::enable_if_t<std::is_same_v<B, bool>, int> = 0>
  Value(B b) noexcept : type_(Type::kBool) {  // NOLINT: implicit, like the variant it replaced
    ::new (storage_) bool(b);
  }
  /// Any integer type but bool, kept as int64_t (callers check the range first).
  template <typename I, std::enable_if_t<std::is_integral_v<I> && !std::is_same_v<I, bool>, int> = 0>
  Value(I i) noexcept : type_(Type::kInt) {  // NOLINT
    ::new (storage_) std::int64_t(static_cast<std::int64_t>(i));
  }
  Value(double d) noexcept : type_(Type::kDouble) { ::new (storage_) double(d); }  // NOLINT
  Value(std::string_view text);                                     // NOLINT
  Value(const std::string& text) : Value(std::string_view(text)) {}  // NOLINT
  Value(const char* text) : Value(std::string_view(text)) {}        // NOLINT
  Value(IdSet ids);                                                 // NOLINT
  Value(std::vector<std::int64_t> ints);                            // NOLINT
  Value(const std::vector<std::string>& texts);                     // NOLINT
  /// A list of texts (the type kStrings), from any range of texts.
  static Value strings(const std::vector<std::string_view>& texts);
  Value(const TextList& texts);                                     // NOLINT

  Value(const Value& other);
  Value(Value&& other) noexcept;
  Value& operator=(const Value& other);
  Value& operator=(Value&& other) noexcept;
  ~Value() { release(); }

  Type type() const noexcept { return type_; }
  bool is_unknown() const noexcept { return type_ == Type::kUnknown; }
  const bool* as_bool() const noexcept { return type_ == Type::kBool ? slot<bool>() : nullptr; }
  const std::int64_t* as_int() const noexcept { return type_ == Type::kInt ? slot<std::int64_t>() : nullptr; }
  const double* as_double() const noexcept { return type_ == Type::kDouble ? slot<double>() : nullptr; }
  /// The text; nullopt when this is not a text.
  std::optional<std::string_view> as_string() const noexcept {
    if (type_ != Type::kString) return std::nullopt;
    return text();
  }
  const IdSet* as_ids() const noexcept { return type_ == Type::kIds ? &(*slot<SharedIds*>())->ids : nullptr; }
  const std::vector<std::int64_t>* as_ints() const noexcept {
    return type_ == Type::kInts ? *slot<std::vector<std::int64_t>*>() : nullptr;
  }
  /// The texts; null when this is not a list of texts. To change one, make a
  /// new Value (TextList::to_vector gives a copy to edit).
  const TextList* as_strings() const noexcept { return type_ == Type::kStrings ? *slot<TextList*>() : nullptr; }

  /// Calls `f` with what this holds: std::monostate (unknown), bool,
  /// std::int64_t, double, std::string_view, const IdSet&,
  /// const std::vector<std::int64_t>& or const TextList&.
  template <typename F>
  decltype(auto) visit(F&& f) const {
    switch (type_) {
      case Type::kBool: return f(*as_bool());
      case Type::kInt: return f(*as_int());
      case Type::kDouble: return f(*as_double());
      case Type::kString: return f(text());
      case Type::kIds: return f(*as_ids());
      case Type::kInts: return f(*as_ints());
      case Type::kStrings: return f(*as_strings());
      case Type::kUnknown: break;
    }
    return f(std::monostate{});
  }

  /// Same type and same contents (a double compares with ==).
  friend bool operator==(const Value& a, const Value& b) noexcept;

 private:
  // A text longer than kInlineText: its length and bytes in one block, shared
  // by the copies of a Value (a reference count).
  struct LongText {
    std::atomic<std::uint32_t> refs;
    std::uint32_t size;
    char data[1];
  };
  /// text_size_ of a text kept in a LongText.
  static constexpr std::uint8_t kLongText = 0xff;
  // A set of ids, shared by the copies of a Value like a LongText (nearly every
  // PCI function of a large machine has the same local CPUs).
  struct SharedIds {
    std::atomic<std::uint32_t> refs;
    IdSet ids;
  };
  friend class FactSet;  // share() finds equal blocks

  // The object of type T that a constructor placed in storage_.
  template <typename T>
  const T* slot() const noexcept {
    return std::launder(reinterpret_cast<const T*>(storage_));
  }
  template <typename T>
  T* slot() noexcept {
    return std::launder(reinterpret_cast<T*>(storage_));
  }
  std::string_view text() const noexcept {
    if (text_size_ == kLongText) {
      const LongText* t = *slot<LongText*>();
      return {t->data, t->size};
    }
    return {storage_, text_size_};
  }
  void copy_from(const Value& other);
  void release() noexcept;

  // A bool, int64_t or double, an inline text, or the pointer to a LongText or a list.
  alignas(8) char storage_[kInlineText] = {};
  std::uint8_t text_size_ = 0;  ///< of a kString: its length when inline, else kLongText
  Type type_ = Type::kUnknown;
};

/// Where a value came from: an in-root path ("/sys/bus/pci/devices/0000:3b:00.0/vendor")
/// or a word ("pci.ids", "derived: ...").
///
/// Why not a std::string: a large machine has about a hundred attributes per
/// device, nearly all read from a handful of sysfs directories, and a private
/// copy of the ~70-character path per attribute was the largest single cost of
/// a FactSet. A Source keeps the text up to and including the last '/' as a
/// shared, immutable stem, plus the leaf after it. Copies share the stem, so a
/// Source copied into a Snapshot or from one attribute to another costs no new
/// allocation for it; Object::set shares the stem with the object's other
/// attributes read from the same directory (Object::source_for).
///
/// A leaf of up to kLeafCapacity characters lives inside the Source; a longer
/// one that is in accelmap's table of names (see AttrName: "current_link_speed",
/// "subordinate_bus_number") is an index into it. A text whose leaf is neither
/// names a folder of one instance ("/sys/devices/pci0000:00/0000:00:01.0"): its
/// stem is the text and a '/', the very stem of the files read in that folder,
/// so the folder costs no stem of its own. A word in the table ("pci.ids") has
/// no stem at all; any other word is all stem.
///
/// Compares and spells as its full text. Size: 16 bytes on LP64, leaf
/// included (a std::string is 32). Ownership: the stem has an atomic reference count,
/// so a Source stays valid on its own, away from the FactSet it came from; no
/// table outlives it. Thread-safety: a value type; const use (copies included)
/// from many threads at once is safe.
class Source {
 public:
  Source() noexcept = default;
  /// Explicit: a Source made from text owns a new stem; prefer copying an
  /// existing Source, or Object::set, which share one.
  explicit Source(std::string_view text);
  /// Like Source(text), but shares `like`'s stem when `text` has the same one.
  Source(std::string_view text, const Source& like);
  Source(const Source& other) noexcept;
  Source(Source&& other) noexcept;
  Source& operator=(const Source& other) noexcept;
  Source& operator=(Source&& other) noexcept;
  ~Source();

  /// The full text ("" when none). Allocates; compare with == instead where that is all.
  std::string str() const;
  operator std::string() const { return str(); }  // NOLINT: a Source reads as its text
  bool empty() const noexcept { return stem_ == nullptr && leaf_size_ == 0; }
  /// True when the text begins with '/' (an in-root path rather than a word).
  bool is_path() const noexcept { return !stem().empty() && stem().front() == '/'; }
  /// True when `other` holds the same stem object (not merely equal text).
  bool shares_stem_with(const Source& other) const noexcept { return stem_ && stem_ == other.stem_; }

  friend bool operator==(const Source& a, std::string_view text) noexcept;
  friend bool operator==(const Source& a, const Source& b) noexcept;

  /// Leaves up to this long live inside the Source ("cap", "irq"); the longer
  /// file names providers read are in the table of names (a two-byte index).
  /// 3 leaves the last four of a Source's 16 bytes unused: an Attr keeps its
  /// unit and provenance there, and an AttrMap the attribute's name (see
  /// AttrMap), which makes an attribute's slot 32 bytes.
  static constexpr std::size_t kLeafCapacity = 3;

 private:
  friend struct Object;  // Object::source_for looks for a stem to share
  struct Stem;           // immutable text with an atomic reference count (facts.cc)
  struct Split;          // how a text divides into stem and leaf (facts.cc)
  /// leaf_size_ of a leaf kept as its index in the table of names (in leaf_).
  static constexpr std::uint8_t kTableLeaf = 0xff;
  /// leaf_size_ of a folder's text: no leaf, and the text is the stem less its last '/'.
  static constexpr std::uint8_t kDirLeaf = 0xfe;

  /// The Source of `split`, sharing `like` when that is the stem it asks for.
  Source(const Split& split, Stem* like);

  std::string_view stem() const noexcept;
  std::string_view leaf() const noexcept;
  void set_leaf(const Split& split) noexcept;
  void release() noexcept;

  Stem* stem_ = nullptr;  ///< the text up to its leaf; null for no text, or for a word that is all leaf
  char leaf_[kLeafCapacity] = {};  ///< the leaf, or the bytes of a table index (kTableLeaf)
  std::uint8_t leaf_size_ = 0;
};
std::ostream& operator<<(std::ostream& os, const Source& s);

/// An attribute's name ("numa_node", "read_bandwidth"), or an object's kind
/// ("pci_device", "function"): a word of accelmap's vocabulary.
///
/// Why not std::string: a large machine has about a million attributes and
/// some two hundred distinct names. A name from accelmap's own vocabulary (the
/// attribute names of docs/facts.md) is a pointer into a constant table in the
/// library: 8 bytes, no allocation, never freed. Any other name (say, from a
/// facts file written by a newer accelmap) owns a private copy of its text, so
/// every name works; only its memory differs.
///
/// Compares and orders as its text. Ownership: a value type; a built-in name
/// refers to static storage, an owned one frees its copy. Thread-safety: a
/// value type; const use from many threads at once is safe.
class AttrName {
 public:
  AttrName() noexcept = default;
  AttrName(std::string_view text);                                    // NOLINT: a name reads as its text
  AttrName(const char* text) : AttrName(std::string_view(text)) {}    // NOLINT
  AttrName(const std::string& text) : AttrName(std::string_view(text)) {}  // NOLINT
  AttrName(const AttrName& other);
  AttrName(AttrName&& other) noexcept : text_(other.text_) { other.text_ = nullptr; }
  AttrName& operator=(const AttrName& other);
  AttrName& operator=(AttrName&& other) noexcept;
  ~AttrName() { release(); }

  std::string_view view() const noexcept { return text_ ? *text_ : std::string_view(); }
  operator std::string_view() const noexcept { return view(); }  // NOLINT
  std::string str() const { return std::string(view()); }
  bool empty() const noexcept { return view().empty(); }
  /// True when the name is one of accelmap's own (a pointer into the table, no copy).
  bool is_builtin() const noexcept;

  friend bool operator==(const AttrName& a, const AttrName& b) noexcept {
    return a.text_ == b.text_ || a.view() == b.view();
  }
  friend bool operator==(const AttrName& a, std::string_view b) noexcept { return a.view() == b; }
  friend bool operator==(const AttrName& a, const std::string& b) noexcept { return a.view() == b; }
  friend bool operator==(const AttrName& a, const char* b) noexcept { return a.view() == b; }
  friend std::strong_ordering operator<=>(const AttrName& a, const AttrName& b) noexcept {
    return a.view() <=> b.view();
  }
  friend std::strong_ordering operator<=>(const AttrName& a, std::string_view b) noexcept { return a.view() <=> b; }
  friend std::strong_ordering operator<=>(const AttrName& a, const std::string& b) noexcept { return a.view() <=> b; }

 private:
  friend class AttrMap;  // keeps a name as its place in the table
  /// The name at `entry`, a place in the built-in table.
  explicit AttrName(const std::string_view* entry) noexcept : text_(entry) {}
  void release() noexcept;
  /// Into the built-in table, or to an owned block (the view, then its text); null for "".
  const std::string_view* text_ = nullptr;
};
std::ostream& operator<<(std::ostream& os, const AttrName& n);

/// One attribute: its value, where it came from, its unit and provenance.
///
/// Member order and [[no_unique_address]] are for size: the unit and the
/// provenance take two of the four bytes a Source leaves unused (its tail
/// padding), so an Attr is 32 bytes where it was 40; an AttrMap keeps the
/// attribute's name in the last two, so its slot is 32 bytes too (it was 48,
/// then 40: 8.5 MB each step at a 10,000-device discovery's million
/// attributes). Assigning an Attr writes its members only, never those last
/// bytes. Aggregate initialization follows the member order:
/// Attr{value, source, unit, provenance}.
struct Attr {
  Value value;
  [[no_unique_address]] Source source;  ///< in-root path (or "pci.ids", "derived") it came from
  Unit unit = Unit::kNone;
  Provenance provenance = Provenance::kKernel;
  friend bool operator==(const Attr&, const Attr&) = default;
};

namespace internal {
/// accelmap's constant table of names (src/facts/name_table.cc). Not API:
/// declared here so that an AttrMap reads one of its names by number inline.
extern const std::string_view kNameTable[];
}  // namespace internal

/// An object's attributes by name, kept sorted by name, with the part of
/// std::map's interface that facts use.
///
/// Why not std::map: a large machine has about a million attributes, and a map
/// spends a 32-byte tree node header and an allocation on each (over half the
/// heap of a 10,000-device discovery). Objects have a few dozen attributes, so
/// a sorted vector finds by binary search and inserts by a short move.
///
/// Why the name is not stored as an AttrName beside the Attr (a std::pair):
/// that slot was 40 bytes. Here the name is a two-byte number kept in the
/// Attr's unused last bytes (see Source::kLeafCapacity), which makes a slot 32
/// bytes (8.5 MB of a 10,000-device discovery's million attributes): the
/// position of one of accelmap's own names in its table, or of a name that is
/// not (from a facts file of a newer accelmap) in a list this map keeps.
///
/// Iteration is in name order and gives `reference`, a pair of the name (an
/// AttrName, no allocation for accelmap's own names) and a reference to the
/// attribute, made as it is read: bind it as `const auto& [name, attr]` (or
/// `auto&& [name, attr]` to change the attribute), and `it->second` reaches the
/// attribute. Unlike std::map, an insertion or erasure moves the elements: it
/// invalidates iterators, references and pointers (Object::find results) into
/// the same AttrMap; other objects' attributes are not touched. An iterator
/// also refers to its map (for the names that are not accelmap's), so moving
/// the AttrMap itself invalidates its iterators too.
///
/// Errors: inserting a name that is not accelmap's into a map that already
/// holds 32,768 such names throws std::length_error.
/// Thread-safety: a value type; const use from many threads at once is safe.
class AttrMap {
  // One attribute and its name's number, in the Attr's unused last bytes.
  struct Slot {
    [[no_unique_address]] Attr attr;
    std::uint16_t name = 0;
  };
  static_assert(sizeof(Slot) == sizeof(Attr), "a slot keeps the name's number inside the Attr's 32 bytes");

 public:
  /// What insert_or_assign and emplace take.
  using value_type = std::pair<AttrName, Attr>;
  /// What iteration gives: the name and the attribute, in place.
  using reference = std::pair<AttrName, Attr&>;
  using const_reference = std::pair<AttrName, const Attr&>;

  /// Walks the attributes in name order (bidirectional; `reference` is made as it is read).
  template <bool kConst>
  class basic_iterator {
    using SlotPointer = std::conditional_t<kConst, const Slot*, Slot*>;

   public:
    using value_type = AttrMap::value_type;
    using reference = std::conditional_t<kConst, AttrMap::const_reference, AttrMap::reference>;
    using difference_type = std::ptrdiff_t;
    using iterator_category = std::input_iterator_tag;  // `reference` is not a true reference
    using iterator_concept = std::bidirectional_iterator_tag;
    /// What operator-> gives: `it->second` is the attribute.
    struct pointer {
      reference ref;
      const reference* operator->() const noexcept { return &ref; }
    };

    basic_iterator() = default;
    /// A mutable iterator reads as a const one.
    template <bool kOther, std::enable_if_t<kConst && !kOther, int> = 0>
    basic_iterator(const basic_iterator<kOther>& other) noexcept  // NOLINT: like std::map's iterators
        : slot_(other.slot_), map_(other.map_) {}

    reference operator*() const { return {map_->name_at(*slot_), slot_->attr}; }
    pointer operator->() const { return {**this}; }
    /// The name's text, without making an AttrName (valid as long as the map's names).
    std::string_view name() const noexcept { return map_->name_view(*slot_); }
    basic_iterator& operator++() noexcept { ++slot_; return *this; }
    basic_iterator operator++(int) noexcept { basic_iterator b = *this; ++slot_; return b; }
    basic_iterator& operator--() noexcept { --slot_; return *this; }
    basic_iterator operator--(int) noexcept { basic_iterator b = *this; --slot_; return b; }
    friend bool operator==(const basic_iterator& a, const basic_iterator& b) noexcept { return a.slot_ == b.slot_; }

   private:
    friend class AttrMap;
    template <bool>
    friend class basic_iterator;
    basic_iterator(SlotPointer slot, const AttrMap* map) noexcept : slot_(slot), map_(map) {}
    SlotPointer slot_ = nullptr;
    const AttrMap* map_ = nullptr;
  };
  using iterator = basic_iterator<false>;
  using const_iterator = basic_iterator<true>;

  AttrMap() = default;
  AttrMap(const AttrMap& other);
  AttrMap& operator=(const AttrMap& other);
  AttrMap(AttrMap&&) noexcept = default;
  AttrMap& operator=(AttrMap&&) noexcept = default;
  ~AttrMap() = default;

  iterator begin() noexcept { return {items_.data(), this}; }
  iterator end() noexcept { return {items_.data() + items_.size(), this}; }
  const_iterator begin() const noexcept { return {items_.data(), this}; }
  const_iterator end() const noexcept { return {items_.data() + items_.size(), this}; }
  std::size_t size() const noexcept { return items_.size(); }
  bool empty() const noexcept { return items_.empty(); }
  void clear() noexcept {
    items_.clear();
    foreign_.reset();
  }
  /// Gives back the spare capacity (one allocation and move).
  void shrink_to_fit() { items_.shrink_to_fit(); }
  /// How many attributes fit before the next insertion moves them all.
  std::size_t capacity() const noexcept { return items_.capacity(); }
  /// Room for `n` attributes in all, so that adding up to n - size() of them
  /// moves the others at most once and takes no more room than they need (a
  /// provider amending many objects at once; growing one attribute at a time
  /// doubles the room).
  void reserve(std::size_t n) { items_.reserve(n); }

  iterator find(std::string_view name) noexcept;
  const_iterator find(std::string_view name) const noexcept;
  std::size_t count(std::string_view name) const noexcept { return find(name) != end() ? 1 : 0; }
  /// The attribute `name`; throws std::out_of_range when there is none.
  Attr& at(std::string_view name);
  const Attr& at(std::string_view name) const;
  /// The attribute `name`, inserted as Attr{} when there is none.
  Attr& operator[](std::string_view name);
  /// Inserts, or replaces the attribute of that name; true when inserted.
  std::pair<iterator, bool> insert_or_assign(AttrName name, Attr attr);
  /// Inserts unless the name is there (then nothing changes); true when inserted.
  std::pair<iterator, bool> emplace(AttrName name, Attr attr);
  /// Removes the attribute `name`; the number removed (0 or 1).
  std::size_t erase(std::string_view name);

  /// Same names with equal attributes.
  friend bool operator==(const AttrMap& a, const AttrMap& b) noexcept;

 private:
  /// Numbers below this are positions in the table of names; kEmptyName is "";
  /// from kForeignName on, positions in foreign_ (names that are not accelmap's).
  static constexpr std::uint16_t kEmptyName = 0x7fff;
  static constexpr std::uint16_t kForeignName = 0x8000;
  static constexpr std::size_t kForeignNames = 0x10000 - kForeignName;
  std::string_view name_view(const Slot& slot) const noexcept {
    if (slot.name < kEmptyName) [[likely]] return internal::kNameTable[slot.name];
    return other_name_view(slot);
  }
  std::string_view other_name_view(const Slot& slot) const noexcept;
  AttrName name_at(const Slot& slot) const {
    if (slot.name < kEmptyName) [[likely]] return AttrName(&internal::kNameTable[slot.name]);
    return other_name_at(slot);
  }
  AttrName other_name_at(const Slot& slot) const;
  /// The number `name` is kept as here (adding it to foreign_ where it must).
  std::uint16_t number_for(const AttrName& name);
  /// Makes foreign_ again from the names in use, numbering them anew.
  void renumber_foreign();
  Slot* lower_bound(std::string_view name) noexcept;
  iterator insert_at(Slot* at, AttrName name, Attr attr);
  std::vector<Slot> items_;
  /// The names that are not accelmap's, by number - kForeignName; null while
  /// there is none (nearly always). Not shrunk by erase(): made again from the
  /// names in use when the numbers run out (renumber_foreign).
  std::unique_ptr<std::vector<AttrName>> foreign_;
};

/// One thing discovery found, e.g. key "pci:0000:3b:00.0", kind "pci_device".
struct Object {
  std::string key;  ///< fixed when FactSet::object makes it (the FactSet is ordered by it)
  /// Fixed when FactSet::object makes it (of_kind indexes by it). A name, not a
  /// std::string: accelmap's kinds are in its table of names (8 bytes, no copy),
  /// and a large machine has over 100,000 objects.
  AttrName kind;
  AttrMap attrs;

  /// Sets (or replaces) attribute `name`. A source given as text shares its
  /// directory stem with the object's other attributes where they agree (see Source).
  void set(AttrName name, Value value, Unit unit, Provenance provenance, std::string_view source);
  void set(AttrName name, Value value, Unit unit, Provenance provenance, const Source& source);
  /// A Source of `text` that shares its stem with one of this object's
  /// attributes where one has it (an object of the same device, say a
  /// function's, writes its own attributes with it).
  Source source_for(std::string_view text) const;
  const Attr* find(std::string_view name) const;
  /// Typed getters; nullopt when absent, null, or of another type.
  std::optional<std::int64_t> get_int(std::string_view name) const;
  std::optional<double> get_double(std::string_view name) const;
  std::optional<bool> get_bool(std::string_view name) const;
  /// A view of the text, valid while the attribute is neither changed nor moved (see AttrMap).
  std::optional<std::string_view> get_string(std::string_view name) const;
  const IdSet* get_ids(std::string_view name) const;
  const std::vector<std::int64_t>* get_ints(std::string_view name) const;
  const TextList* get_strings(std::string_view name) const;
  friend bool operator==(const Object&, const Object&) = default;
};

/// Orders objects by key (byte order), and finds one by its key's text.
struct ObjectKeyLess {
  using is_transparent = void;
  bool operator()(const Object& a, const Object& b) const noexcept { return a.key < b.key; }
  bool operator()(const Object& a, std::string_view b) const noexcept { return a.key < b; }
  bool operator()(std::string_view a, const Object& b) const noexcept { return a < b.key; }
};
/// A FactSet's objects, ordered by key.
///
/// Why a set and not a map from key to object: the object holds its key, and a
/// map would hold it twice (a second string, and a second allocation for a key
/// longer than 15 characters, which nearly every key is: "pci:0000:3b:00.0").
using ObjectSet = std::set<Object, ObjectKeyLess>;

enum class Severity : std::uint8_t { kInfo, kWarning, kError };
const char* severity_name(Severity s) noexcept;

/// A soft problem: discovery went on without this piece.
struct Diagnostic {
  Severity severity = Severity::kWarning;
  std::string provider;  ///< "pci", "hmat", ...
  std::string path;      ///< in-root path (or key) involved
  std::string message;   ///< the reason, one sentence
  friend bool operator==(const Diagnostic&, const Diagnostic&) = default;
};

/// While attached to a FactSet (FactSet::attach_journal), the state every object had
/// before its first mutable access (FactSet::object, FactSet::with_prefix) since the
/// attach: nullopt for an object that did not exist. Objects are only ever changed
/// through those two calls, so the keys here are a superset of the objects that changed,
/// and one provider's contribution is found by comparing just these (IncrementalDiscovery)
/// instead of copying and comparing the whole FactSet.
struct FactJournal {
  std::map<std::string, std::optional<Object>, std::less<>> before;
};

/// Every object and diagnostic of one discovery, ordered by key.
class FactSet {
 public:
  static constexpr int kFormatVersion = 1;

  FactSet() = default;
  /// A copy has its own index of kinds (of_kind), over its own objects.
  FactSet(const FactSet& other);
  FactSet& operator=(const FactSet& other);
  /// Objects keep their addresses in a move, so the index moves with them.
  FactSet(FactSet&&) noexcept = default;
  FactSet& operator=(FactSet&&) noexcept = default;

  /// Returns the object with `key`, creating it with `kind` if needed, with room
  /// for as many attributes as the object of its kind before it has (most
  /// objects of a kind end with as many; see shrink()).
  Object& object(const std::string& key, std::string_view kind);
  const Object* find(std::string_view key) const;
  /// All objects of one kind, in natural key order ("numa:2" before "numa:10", "n1"
  /// before "n01"). Costs a copy of the kind's list, not a pass over every object:
  /// an index kept as objects are made.
  std::vector<const Object*> of_kind(std::string_view kind) const;
  const ObjectSet& objects() const { return objects_; }
  /// Objects whose key starts with `prefix` (for providers amending earlier facts).
  std::vector<Object*> with_prefix(std::string_view prefix);

  void add(Diagnostic d) { diagnostics_.push_back(std::move(d)); }
  /// Moves `other`'s objects and diagnostics into this set, leaving `other`
  /// empty. An object whose key is already here keeps this set's version and
  /// `other`'s is dropped: this is for one provider's work split into parts
  /// (each part its own FactSet, absorbed in order), where only identical
  /// objects repeat (a host bridge seen from functions of several parts), so
  /// the first part's is the one a single pass would have made. Objects are
  /// moved, not copied (their set nodes are spliced), and recorded in an
  /// attached journal as made.
  void absorb(FactSet&& other);
  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }
  /// Sorts diagnostics (provider, path, message) so output never depends on probe order,
  /// shrinks (below), and forgets what share() kept.
  void normalize();
  /// `value`, or an equal long text, list of texts or set of ids that share()
  /// gave before: then the two share one block (see Value). For what providers
  /// write again and again (a function's name and `via`, a PCI vendor's name, a
  /// PCI function's local CPUs): a large machine's ~120,000 copies become a few
  /// thousand blocks. Other values come back as they are. What it keeps is not
  /// part of the value (==), is not copied, and goes at normalize().
  Value share(Value value);
  /// Gives back the spare room of the objects' attributes where over a third
  /// of it is spare (an object that grew one attribute at a time), and of the
  /// index of kinds. Not part of the value (==).
  ///
  /// Why not all of it: objects are made with room for as many attributes as
  /// the one before them (object()), so a little spare is the rule, and a
  /// shrunk vector leaves its old block behind as a hole: at 10,000 devices,
  /// shrinking every object made the peak RSS 118.8 MB where this makes it
  /// 109.4, the holes mostly in the arenas of in_parts()'s threads, which
  /// nothing allocates from afterwards.
  void shrink();

  /// Starts (a journal) or stops (nullptr) recording first mutable accesses into
  /// `journal`, which the caller owns and keeps alive while attached. Not copied with
  /// the FactSet and not part of its value (==).
  void attach_journal(FactJournal* journal) noexcept { journal_.to = journal; }

  friend bool operator==(const FactSet& a, const FactSet& b) {
    return a.objects_ == b.objects_ && a.diagnostics_ == b.diagnostics_;
  }

 private:
  // Records `key`'s state before its first mutable access; `it` is its place or end().
  void journal(std::string_view key, ObjectSet::const_iterator it);
  // The object at `it`, to change: a set gives only const access to its
  // elements, because changing what orders them would break it. Objects are
  // ordered by key alone, and a key never changes once the object is made.
  static Object& mutable_object(ObjectSet::const_iterator it) { return const_cast<Object&>(*it); }
  // A link that copies and moves as "none": a journal belongs to one FactSet object.
  struct JournalLink {
    FactJournal* to = nullptr;
    JournalLink() noexcept = default;
    JournalLink(const JournalLink&) noexcept {}
    JournalLink& operator=(const JournalLink&) noexcept { return *this; }
  };
  // Adds a new object to by_kind_, keeping each list in of_kind's order; the
  // number of attributes of the object of its kind before it (0: none).
  std::size_t index(const Object& o);
  // Builds by_kind_ afresh from objects_ (a copy).
  void reindex();
  ObjectSet objects_;
  std::vector<Diagnostic> diagnostics_;
  JournalLink journal_;
  // What share() gave, by the bytes of its block; copies and moves as empty.
  struct Shared {
    std::unordered_map<std::string_view, Value> values;
    Shared() = default;
    Shared(const Shared&) noexcept {}
    Shared(Shared&&) noexcept {}
    Shared& operator=(const Shared&) noexcept { return *this; }
    Shared& operator=(Shared&&) noexcept { return *this; }
  };
  Shared shared_;
  // Kind -> its objects (pointers into objects_, whose nodes never move), in
  // of_kind's order. Not part of the value (==); rebuilt by a copy.
  std::map<AttrName, std::vector<const Object*>, std::less<>> by_kind_;
};

/// Versioned JSON form (see docs/facts.md). Deterministic: same facts, same bytes.
std::string facts_to_json(const FactSet& facts);
/// Receives successive pieces of a facts document (see write_facts_json).
using FactsSink = std::function<void(std::string_view)>;
/// The bytes of facts_to_json(facts), handed to `sink` in pieces as they are
/// made, so that a large machine's document is never in memory whole.
void write_facts_json(const FactSet& facts, const FactsSink& sink);
/// Parses facts JSON; kDataLoss with a sentence naming what is wrong.
Result<FactSet> facts_from_json(std::string_view text);

/// Compares two keys so that numeric parts sort numerically ("numa:2" < "numa:10").
bool natural_less(std::string_view a, std::string_view b) noexcept;

}  // namespace accelmap
