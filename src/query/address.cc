// The one query-side function that talks to the kernel: which node holds a page.
// Kept apart from query.cc so the rest of the query layer stays free of I/O.
#include <cerrno>
#include <cstring>

#include <sys/syscall.h>
#include <unistd.h>

#include "accelmap/query.h"

namespace accelmap {

namespace {
// From <numaif.h>; spelled out so that libnuma is not a dependency.
constexpr unsigned long kMpolFNode = 1UL << 0;
constexpr unsigned long kMpolFAddr = 1UL << 1;
}  // namespace

Result<std::uint32_t> numa_node_of_address(const void* address) {
  int node = -1;
  // get_mempolicy(&node, NULL, 0, addr, MPOL_F_NODE|MPOL_F_ADDR): the node of the page at addr
  // (faulting it in if needed, as the kernel does for this call).
  long rc = ::syscall(SYS_get_mempolicy, &node, nullptr, 0UL, address, kMpolFNode | kMpolFAddr);
  if (rc != 0)
    return Status(StatusCode::kIoError, std::string("get_mempolicy(MPOL_F_NODE|MPOL_F_ADDR) failed: ") + std::strerror(errno));
  if (node < 0) return Status(StatusCode::kIoError, "get_mempolicy returned no node for the address");
  return static_cast<std::uint32_t>(node);
}

}  // namespace accelmap
