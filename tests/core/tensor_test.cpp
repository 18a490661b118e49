#include "lucid/tensor.h"

#include <gtest/gtest.h>

#include "lucid/error.h"

namespace lucid {

TEST(Tensor, HandlesShareStorage) {
  Tensor a = Tensor::zeros({2, 3});
  Tensor b = a;
  b.data<float>()[4] = 7.0f;
  EXPECT_EQ(a.data<float>()[4], 7.0f);
  EXPECT_TRUE(a.same(b));
  Tensor c = a.clone();
  c.data<float>()[4] = 1.0f;
  EXPECT_EQ(a.data<float>()[4], 7.0f);
}

TEST(Tensor, StorageIsAligned) {
  for (int64_t n : {1, 3, 17, 1000}) {
    Tensor t = Tensor::empty({n});
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.raw_data()) % 64, 0u);
  }
}

TEST(Tensor, ReshapeChecksCount) {
  Tensor t = Tensor::full({2, 6}, 1.0f);
  EXPECT_EQ(t.reshape({3, 4}).shape(), (Shape{3, 4}));
  EXPECT_THROW(t.reshape({5}), ShapeError);
}

TEST(Tensor, TypedAccessChecksDtype) {
  Tensor t = Tensor::zeros({2}, DType::I64);
  EXPECT_NO_THROW(t.data<int64_t>());
  EXPECT_THROW(t.data<float>(), ValueError);
  EXPECT_THROW(Tensor().shape(), ValueError);
}

TEST(Tensor, ShapeParsing) {
  EXPECT_EQ(parse_shape("1x3x224x224"), (Shape{1, 3, 224, 224}));
  EXPECT_EQ(to_string(Shape{2, 3}), "2x3");
  EXPECT_THROW(parse_shape("1x"), ValueError);
  EXPECT_THROW(parse_shape("ax3"), ValueError);
  EXPECT_THROW(numel({-1, 2}), ValueError);
  EXPECT_THROW(numel({1 << 30, 1 << 30, 1 << 30}), ValueError);
}

TEST(Tensor, HalfConversionsAreExact) {
  EXPECT_EQ(half_to_float(0x3c00), 1.0f);
  EXPECT_EQ(half_to_float(0xc000), -2.0f);
  EXPECT_EQ(half_to_float(0x7bff), 65504.0f);
  EXPECT_EQ(half_to_float(0x0001), 5.9604644775390625e-08f);  // smallest subnormal
  EXPECT_EQ(half_to_float(0x03ff), 6.097555160522461e-05f);   // largest subnormal
  EXPECT_EQ(bfloat16_to_float(0x3f80), 1.0f);
  EXPECT_EQ(bfloat16_to_float(0xc0a0), -5.0f);
}

TEST(Tensor, CopyConvertsHalfSources) {
  Tensor h = Tensor::empty({2}, DType::F16);
  h.data<uint16_t>()[0] = 0x3c00;
  h.data<uint16_t>()[1] = 0x4000;
  Tensor f = Tensor::empty({2});
  f.copy_from(h);
  EXPECT_EQ(f.to_vector(), (std::vector<float>{1.0f, 2.0f}));
  Tensor i = Tensor::empty({2}, DType::I64);
  EXPECT_THROW(i.copy_from(h), UnsupportedError);
}

}  // namespace lucid
