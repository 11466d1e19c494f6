#include "parse/parse.h"

#include <gtest/gtest.h>

using namespace accelmap::parse;

TEST(IdList, Ranges) {
  auto v = id_list("0-2,4,6,8-9\n");
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, (std::vector<std::uint32_t>{0, 1, 2, 4, 6, 8, 9}));
  EXPECT_EQ(format_id_list(*v), "0-2,4,6,8-9");
}
