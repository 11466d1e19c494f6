// The watcher thread: uevents and polling feed one bounded pending set of
// providers; after a coalescing window the set is re-probed incrementally and,
// when the facts changed, a new Generation is published.
#include "accelmap/watch.h"

#include <fcntl.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "accelmap/incremental.h"

namespace accelmap {

bool parse_uevent(std::string_view msg, std::string* subsystem, std::string* devpath, std::string* action) {
  std::size_t at = msg.find('@');
  std::size_t nul = msg.find('\0');
  if (at == std::string_view::npos || nul == std::string_view::npos || at > nul) return false;
  subsystem->clear();
  *action = std::string(msg.substr(0, at));
  *devpath = std::string(msg.substr(at + 1, nul - at - 1));
  std::size_t i = nul + 1;
  while (i < msg.size()) {
    std::size_t j = msg.find('\0', i);
    if (j == std::string_view::npos) j = msg.size();
    std::string_view kv = msg.substr(i, j - i);
    if (kv.substr(0, 10) == "SUBSYSTEM=") *subsystem = std::string(kv.substr(10));
    else if (kv.substr(0, 8) == "DEVPATH=") *devpath = std::string(kv.substr(8));
    else if (kv.substr(0, 7) == "ACTION=") *action = std::string(kv.substr(7));
    i = j + 1;
  }
  return !devpath->empty();
}

namespace {

// What a polled path answers now, fingerprinted as AccessRecorder fingerprints
// what a probe read: content (file), entries (dir), target (link). A failure
// hashes its message, so appearing and vanishing are changes too (a recorded
// read always succeeded, so a failure never equals it).
std::size_t fingerprint(const FsRoot& fs, const std::string& path, int what) {
  auto failed = [](const Status& s) { return std::hash<std::string>{}("e" + s.message()); };
  if (what == 0) {
    auto t = fs.read_text(path);
    return t ? AccessRecorder::file_fingerprint(*t) : failed(t.error());
  }
  if (what == 1) {
    auto l = fs.list_dir(path);
    return l ? AccessRecorder::dir_fingerprint(*l) : failed(l.error());
  }
  auto t = fs.read_link(path);
  return t ? AccessRecorder::link_fingerprint(*t) : failed(t.error());
}

}  // namespace

struct Watcher::Impl {
  Options options;
  IncrementalDiscovery inc;  // worker thread only (after start)
  FsRoot poll_fs;            // plain root for polling reads

  // Publication (see watch.h).
  // A mutex held only to copy or swap the pointer: readers never wait on a
  // discovery (the writer builds the next generation before taking it), and
  // never hold it while they use a snapshot. libstdc++ 12's
  // std::atomic<std::shared_ptr> is not lock-free either (an internal bit lock
  // that ThreadSanitizer cannot see), so it would buy nothing here.
  mutable std::mutex pub_mu;
  std::shared_ptr<const Generation> published;
  std::shared_ptr<const Generation> load() const {
    std::lock_guard<std::mutex> l(pub_mu);
    return published;
  }
  void store(std::shared_ptr<const Generation> g) {
    std::lock_guard<std::mutex> l(pub_mu);
    published.swap(g);
    // The old generation is released outside the lock, when `g` goes out of scope.
  }

  // Everything below is guarded by mu.
  mutable std::mutex mu;
  mutable std::condition_variable gen_cv;  // a generation was published / a settle finished
  std::set<std::string> pending;           // providers to re-probe (bounded: provider names)
  bool poll_requested = false;
  std::vector<std::string> notified;       // paths from notify_path(), not yet looked up
  std::uint64_t settle_requested = 0, settle_done = 0;
  bool stopping = false;
  Stats stats;
  std::map<std::uint64_t, Callback> subscribers;
  std::uint64_t next_sub = 1;

  int wake_pipe[2] = {-1, -1};
  int netlink_fd = -1;
  std::thread thread;

  Impl(Options o, IncrementalDiscovery i, FsRoot fs) : options(std::move(o)), inc(std::move(i)), poll_fs(std::move(fs)) {}
  ~Impl() {
    for (int fd : {wake_pipe[0], wake_pipe[1], netlink_fd})
      if (fd >= 0) ::close(fd);
  }

  void wake() {
    char c = 1;
    [[maybe_unused]] auto n = ::write(wake_pipe[1], &c, 1);  // full pipe = already woken
  }

  void add_pending(const std::set<std::string>& providers) {
    // Caller holds mu.
    pending.insert(providers.begin(), providers.end());
    stats.pending_max = std::max(stats.pending_max, pending.size());
  }

  // A provider is stale when a path its last probe read answers differently
  // now than it answered that probe. The comparison is with what the probe
  // itself read, not with an earlier poll: a file that changes between the
  // poll that saw it change and the probe that reads it, and changes back
  // before the next poll, still leaves the provider stale, as it must.
  // Each path is read once per poll, however many providers read it.
  std::set<std::string> poll_once() {
    std::set<std::string> dirty;
    std::map<std::pair<std::string_view, int>, std::size_t> now;
    for (const auto& name : inc.provider_names()) {
      const auto& r = inc.reads_of(name);
      const std::map<std::string, AccessRecorder::Fingerprint>* maps[] = {&r.files, &r.dirs, &r.links};
      bool stale = false;
      for (int what = 0; what < 3 && !stale; ++what)
        for (const auto& [path, read] : *maps[what]) {
          auto [it, first] = now.try_emplace(std::make_pair(std::string_view(path), what), 0);
          if (first) it->second = fingerprint(poll_fs, path, what);
          if (!read || *read != it->second) {
            stale = true;
            break;
          }
        }
      if (stale) dirty.insert(name);
    }
    return dirty;
  }

  void drain_netlink() {
    if (netlink_fd < 0) return;
    char buf[8192];
    for (;;) {
      ssize_t n = ::recv(netlink_fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n <= 0) return;
      std::string subsystem, devpath, action;
      if (!parse_uevent(std::string_view(buf, static_cast<std::size_t>(n)), &subsystem, &devpath, &action)) continue;
      auto providers = providers_for_subsystem(subsystem);
      std::lock_guard<std::mutex> l(mu);
      ++stats.events;
      if (providers.empty()) ++stats.ignored;
      else add_pending(providers);
    }
  }

  void drain_wake_pipe() {
    char buf[256];
    while (::read(wake_pipe[0], buf, sizeof buf) > 0) {
    }
  }

  // Waits up to `ms` for the wake pipe or the netlink socket.
  void wait_io(std::chrono::milliseconds ms) {
    pollfd fds[2] = {{wake_pipe[0], POLLIN, 0}, {netlink_fd, POLLIN, 0}};
    ::poll(fds, netlink_fd >= 0 ? 2 : 1, static_cast<int>(std::max<std::int64_t>(0, ms.count())));
    drain_wake_pipe();
    drain_netlink();
  }

  void publish(const std::set<std::string>& ran) {
    auto prev = load();
    const FactSet& facts = inc.facts();
    if (facts == prev->snapshot->facts()) return;  // re-probed, nothing changed
    auto g = std::make_shared<Generation>();
    g->number = prev->number + 1;
    g->time = std::chrono::system_clock::now();
    g->snapshot = build_snapshot(facts);
    Change change{g, diff_facts(prev->snapshot->facts(), facts), ran};
    store(g);
    std::vector<Callback> subs;
    {
      std::lock_guard<std::mutex> l(mu);
      for (const auto& [id, cb] : subscribers) subs.push_back(cb);
    }
    gen_cv.notify_all();
    for (const auto& cb : subs) cb(change);
  }

  void loop() {
    using clock = std::chrono::steady_clock;
    const bool polling = options.interval.count() > 0;
    auto next_poll = clock::now() + options.interval;
    for (;;) {
      auto now = clock::now();
      auto wait = polling ? std::chrono::duration_cast<std::chrono::milliseconds>(next_poll - now)
                          : std::chrono::milliseconds(1000);
      {
        std::lock_guard<std::mutex> l(mu);
        if (stopping) return;
        if (!pending.empty() || poll_requested || !notified.empty()) wait = std::chrono::milliseconds(0);
      }
      if (wait.count() > 0) wait_io(wait);
      std::uint64_t settle_target;
      bool do_poll;
      {
        std::lock_guard<std::mutex> l(mu);
        if (stopping) return;
        do_poll = poll_requested || (polling && clock::now() >= next_poll);
        poll_requested = false;
        settle_target = settle_requested;
      }
      // Notified paths: their readers are known from the recorded reads, so no
      // poll of every path is needed. The next poll compares with what the
      // re-probe read, so it does not report the same change again.
      std::vector<std::string> paths;
      {
        std::lock_guard<std::mutex> l(mu);
        paths.swap(notified);
      }
      for (const auto& p : paths) {
        // Who is affected: the providers that read the path; for a path nobody
        // read (a new entry), those that listed its nearest read ancestor; for
        // a path under nothing read at all, the interface's providers by prefix.
        std::string read_path = p;  // the path whose readers are taken
        std::set<std::string> readers = inc.providers_reading(read_path);
        while (readers.empty() && read_path.size() > 1) {
          read_path = read_path.substr(0, std::max<std::size_t>(read_path.rfind('/'), 1));
          readers = inc.providers_reading(read_path);
        }
        if (readers.empty()) readers = providers_for_path(p);
        std::lock_guard<std::mutex> l(mu);
        add_pending(readers);
      }
      std::set<std::string> dirty;
      if (do_poll) {
        dirty = poll_once();
        next_poll = clock::now() + options.interval;
        std::lock_guard<std::mutex> l(mu);
        ++stats.polls;
        add_pending(dirty);
      }
      bool have_pending;
      {
        std::lock_guard<std::mutex> l(mu);
        have_pending = !pending.empty();
      }
      if (have_pending) {
        // Coalesce: whatever else arrives in the window joins this pass.
        auto until = clock::now() + options.coalesce;
        while (clock::now() < until) {
          wait_io(std::chrono::duration_cast<std::chrono::milliseconds>(until - clock::now()) +
                  std::chrono::milliseconds(1));
          std::lock_guard<std::mutex> l(mu);
          if (stopping) return;
        }
        std::set<std::string> work;
        {
          std::lock_guard<std::mutex> l(mu);
          work.swap(pending);
          ++stats.reprobes;
        }
        auto ran = inc.reprobe(work);
        publish(ran);
      }
      {
        std::lock_guard<std::mutex> l(mu);
        if (settle_target > settle_done) settle_done = settle_target;
      }
      gen_cv.notify_all();
    }
  }
};

Watcher::Watcher(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<Watcher>> Watcher::start(Options options) {
  auto inc = IncrementalDiscovery::create(options.root, options.discover);
  if (!inc) return inc.error();
  auto fs = FsRoot::open(options.root);
  if (!fs) return fs.error();
  auto impl = std::make_unique<Impl>(options, std::move(*inc), std::move(*fs));
  if (::pipe2(impl->wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
    return Status(StatusCode::kInternal, "cannot create the watcher's wake-up pipe");
  if (options.netlink && normalize_path(options.root) == "/") {
    int fd = ::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_KOBJECT_UEVENT);
    if (fd >= 0) {
      sockaddr_nl addr{};
      addr.nl_family = AF_NETLINK;
      addr.nl_groups = 1;  // kernel uevents (libudev uses group 2)
      if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) impl->netlink_fd = fd;
      else ::close(fd);
    }
    impl->stats.netlink = impl->netlink_fd >= 0;
  }
  auto g = std::make_shared<Generation>();
  g->number = 1;
  g->time = std::chrono::system_clock::now();
  g->snapshot = build_snapshot(impl->inc.facts());
  impl->store(std::move(g));
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->loop(); });
  return std::unique_ptr<Watcher>(new Watcher(std::move(impl)));
}

Watcher::~Watcher() { stop(); }

void Watcher::stop() {
  {
    std::lock_guard<std::mutex> l(impl_->mu);
    impl_->stopping = true;
  }
  impl_->wake();
  if (impl_->thread.joinable()) impl_->thread.join();
  impl_->gen_cv.notify_all();
}

std::shared_ptr<const Generation> Watcher::current() const { return impl_->load(); }

std::uint64_t Watcher::subscribe(Callback cb) {
  std::lock_guard<std::mutex> l(impl_->mu);
  std::uint64_t id = impl_->next_sub++;
  impl_->subscribers.emplace(id, std::move(cb));
  return id;
}

void Watcher::unsubscribe(std::uint64_t id) {
  std::lock_guard<std::mutex> l(impl_->mu);
  impl_->subscribers.erase(id);
}

std::shared_ptr<const Generation> Watcher::wait_for_generation_after(std::uint64_t number,
                                                                     std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> l(impl_->mu);
  std::shared_ptr<const Generation> g;
  impl_->gen_cv.wait_for(l, timeout, [&] {
    g = impl_->load();
    return g->number > number || impl_->stopping;
  });
  return g && g->number > number ? g : nullptr;
}

bool Watcher::notify_uevent(std::string_view subsystem, std::string_view /*devpath*/) {
  auto providers = providers_for_subsystem(subsystem);
  {
    std::lock_guard<std::mutex> l(impl_->mu);
    ++impl_->stats.events;
    if (providers.empty()) {
      ++impl_->stats.ignored;
      return false;
    }
    impl_->add_pending(providers);
  }
  impl_->wake();
  return true;
}

void Watcher::notify_path(std::string_view path) {
  std::string p = normalize_path(path);
  {
    std::lock_guard<std::mutex> l(impl_->mu);
    ++impl_->stats.events;
    // The worker finds whoever last read it (the recorded reads know exactly).
    impl_->notified.push_back(std::move(p));
  }
  impl_->wake();
}

bool Watcher::settle(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> l(impl_->mu);
  std::uint64_t target = ++impl_->settle_requested;
  impl_->poll_requested = true;
  l.unlock();
  impl_->wake();
  l.lock();
  return impl_->gen_cv.wait_for(l, timeout, [&] { return impl_->settle_done >= target || impl_->stopping; }) &&
         impl_->settle_done >= target;
}

Watcher::Stats Watcher::stats() const {
  std::lock_guard<std::mutex> l(impl_->mu);
  return impl_->stats;
}

}  // namespace accelmap
