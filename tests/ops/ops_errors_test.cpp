// Every front-end check throws its error type, tagged with the op and the offending values.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "lucid/error.h"
#include "lucid/ops.h"
#include "ops/message_of.h"

namespace lucid {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Matcher;

using testing::message_of;

Tensor x4(Shape s) { return Tensor::zeros(s); }
const Tensor none;

TEST(OpsErrors, Conv2dChannelsAndGroups) {
  EXPECT_THAT(message_of<ValueError>([] { ops::conv2d(x4({1, 100, 8, 8}), x4({64, 3, 3, 3}), none, {.groups = 32}); }),
              AllOf(HasSubstr("[conv2d]"), HasSubstr("groups (32) must divide in_channels (100)")));
  EXPECT_THAT(message_of<ValueError>([] { ops::conv2d(x4({1, 64, 8, 8}), x4({100, 2, 3, 3}), none, {.groups = 32}); }),
              HasSubstr("[conv2d] groups (32) must divide out_channels (100)"));
  EXPECT_THAT(message_of<ShapeError>([] { ops::conv2d(x4({1, 1, 32, 32}), x4({64, 3, 7, 7}), none, {}); }),
              HasSubstr("[conv2d] input has 1 channels, weight expects 3 (weight 64x3x7x7, groups 1)"));
  EXPECT_THAT(message_of<ShapeError>([] { ops::conv2d(x4({1, 256, 8, 8}), x4({256, 4, 3, 3}), none, {.groups = 32}); }),
              HasSubstr("input has 256 channels, weight expects 128 (weight 256x4x3x3, groups 32)"));
  EXPECT_THAT(message_of<ValueError>([] { ops::conv2d(x4({1, 4, 8, 8}), x4({4, 4, 3, 3}), none, {.groups = 0}); }),
              HasSubstr("[conv2d] groups must be >= 1, got 0"));
}

TEST(OpsErrors, Conv2dRanksDtypesAndBias) {
  EXPECT_THAT(message_of<ShapeError>([] { ops::conv2d(x4({3, 224, 224}), x4({64, 3, 7, 7}), none, {}); }),
              HasSubstr("[conv2d] input must be 4-D (N,C,H,W), got shape 3x224x224"));
  EXPECT_THAT(message_of<ShapeError>([] { ops::conv2d(x4({1, 3, 8, 8}), x4({64, 3, 7}), none, {}); }),
              HasSubstr("[conv2d] weight must be 4-D (Cout,Cin/groups,KH,KW), got shape 64x3x7"));
  EXPECT_THAT(message_of<UnsupportedError>([] {
                ops::conv2d(Tensor::zeros({1, 3, 8, 8}, DType::BF16), x4({4, 3, 3, 3}), none, {});
              }),
              HasSubstr("[conv2d] input must be F32, got BF16"));
  EXPECT_THAT(message_of<ValueError>([] { ops::conv2d(x4({1, 3, 8, 8}), none, none, {}); }),
              HasSubstr("[conv2d] weight is undefined"));
  EXPECT_THAT(message_of<ShapeError>([] { ops::conv2d(x4({1, 3, 8, 8}), x4({64, 3, 3, 3}), x4({10}), {}); }),
              HasSubstr("[conv2d] bias has shape 10, expected 64 (one per output channel)"));
  EXPECT_THAT(message_of<UnsupportedError>([] {
                ops::conv2d(x4({1, 3, 8, 8}), x4({4, 3, 3, 3}), Tensor::zeros({4}, DType::I64), {});
              }),
              HasSubstr("[conv2d] bias must be F32, got I64"));
}

TEST(OpsErrors, Conv2dWindowOptions) {
  EXPECT_THAT(message_of<ValueError>([] { ops::conv2d(x4({1, 3, 8, 8}), x4({4, 3, 3, 3}), none, {.stride = {0, 1}}); }),
              HasSubstr("[conv2d] stride must be >= 1, got (0, 1)"));
  EXPECT_THAT(message_of<ValueError>([] { ops::conv2d(x4({1, 3, 8, 8}), x4({4, 3, 3, 3}), none, {.padding = {1, -1}}); }),
              HasSubstr("[conv2d] padding must be >= 0, got (1, -1)"));
  EXPECT_THAT(message_of<ValueError>([] { ops::conv2d(x4({1, 3, 8, 8}), x4({4, 3, 3, 3}), none, {.dilation = {0, 0}}); }),
              HasSubstr("[conv2d] dilation must be >= 1, got (0, 0)"));
  EXPECT_THAT(message_of<ShapeError>([] { ops::conv2d(x4({1, 3, 3, 8}), x4({4, 3, 7, 3}), none, {}); }),
              HasSubstr("[conv2d] output size would be < 1: input 3 with padding 0 is smaller than the kernel "
                        "extent 7 (kernel 7, dilation 1)"));
  EXPECT_THAT(message_of<ShapeError>([] {
                ops::conv2d(x4({1, 3, 8, 4}), x4({4, 3, 3, 3}), none, {.dilation = {1, 2}});
              }),
              HasSubstr("input 4 with padding 0 is smaller than the kernel extent 5 (kernel 3, dilation 2)"));
  EXPECT_THAT(message_of<ValueError>([] { ops::window_output_size("conv2d", 8, 3, 0, 0, 1); }),
              HasSubstr("[conv2d] window needs kernel, stride, dilation >= 1 and padding >= 0, got kernel 3, "
                        "stride 0"));
  EXPECT_EQ(ops::window_output_size("conv2d", 224, 7, 2, 3, 1), 112);
  EXPECT_EQ(ops::window_output_size("conv2d", 7, 3, 2, 1, 1), 4);
}

TEST(OpsErrors, BatchNorm) {
  const Tensor c64 = x4({64});
  EXPECT_THAT(message_of<ShapeError>([&] { ops::batch_norm(x4({2, 64, 7, 7}), x4({32}), c64, c64, c64, 1e-5f); }),
              HasSubstr("[batch_norm] running_mean has shape 32, expected 64 (one per channel)"));
  EXPECT_THAT(message_of<ShapeError>([&] { ops::batch_norm(x4({2, 64, 7, 7}), c64, c64, c64, x4({64, 1}), 1e-5f); }),
              HasSubstr("[batch_norm] bias has shape 64x1, expected 64"));
  EXPECT_THAT(message_of<ShapeError>([&] { ops::batch_norm(x4({64}), c64, c64, c64, c64, 1e-5f); }),
              HasSubstr("[batch_norm] input must be 2-D to 5-D (N,C,...), got shape 64"));
  EXPECT_THAT(message_of<ValueError>([&] { ops::batch_norm(x4({2, 64, 7, 7}), c64, c64, c64, c64, -1.0f); }),
              HasSubstr("[batch_norm] eps must be finite and >= 0, got -1"));
  EXPECT_THAT(message_of<ValueError>([&] { ops::batch_norm(x4({2, 64, 7, 7}), none, c64, c64, c64, 1e-5f); }),
              HasSubstr("[batch_norm] running_mean is undefined"));
}

TEST(OpsErrors, Pooling) {
  EXPECT_THAT(message_of<ValueError>([] {
                ops::max_pool2d(x4({1, 3, 8, 8}), {.kernel = {3, 3}, .stride = {2, 2}, .padding = {2, 1}});
              }),
              HasSubstr("[max_pool2d] padding (2, 1) must be <= kernel/2 (kernel (3, 3))"));
  EXPECT_THAT(message_of<ValueError>([] { ops::max_pool2d(x4({1, 3, 8, 8}), {.kernel = {0, 3}}); }),
              HasSubstr("[max_pool2d] kernel must be >= 1, got (0, 3)"));
  EXPECT_THAT(message_of<ValueError>([] { ops::max_pool2d(x4({1, 3, 8, 8}), {.kernel = {2, 2}, .stride = {2, 0}}); }),
              HasSubstr("[max_pool2d] stride must be >= 1, got (2, 0)"));
  EXPECT_THAT(message_of<ShapeError>([] { ops::max_pool2d(x4({1, 3, 2, 8}), {.kernel = {3, 3}}); }),
              HasSubstr("[max_pool2d] output size would be < 1: input 2 with padding 0 is smaller than the kernel "
                        "extent 3"));
  EXPECT_THAT(message_of<ShapeError>([] { ops::max_pool2d(x4({3, 8, 8}), {.kernel = {2, 2}}); }),
              HasSubstr("[max_pool2d] input must be 4-D (N,C,H,W), got shape 3x8x8"));
  EXPECT_THAT(message_of<ValueError>([] { ops::adaptive_avg_pool2d(x4({1, 3, 8, 8}), {0, 3}); }),
              HasSubstr("[adaptive_avg_pool2d] output size must be >= 1, got (0, 3)"));
  EXPECT_THAT(message_of<ShapeError>([] { ops::adaptive_avg_pool2d(x4({1, 3, 0, 8}), {1, 1}); }),
              HasSubstr("[adaptive_avg_pool2d] input has an empty dimension: 1x3x0x8"));
}

TEST(OpsErrors, Linear) {
  EXPECT_THAT(message_of<ShapeError>([] { ops::linear(x4({2, 100}), x4({1000, 2048}), none); }),
              HasSubstr("[linear] input has 100 features, weight expects 2048 (weight 1000x2048)"));
  EXPECT_THAT(message_of<ShapeError>([] { ops::linear(x4({2, 2048}), x4({1000, 2048}), x4({999})); }),
              HasSubstr("[linear] bias has shape 999, expected 1000 (one per output feature)"));
  EXPECT_THAT(message_of<ShapeError>([] { ops::linear(x4({2, 2048, 1, 1}), x4({1000, 2048}), none); }),
              HasSubstr("[linear] input must be 2-D (N,in_features), got shape 2x2048x1x1"));
}

TEST(OpsErrors, AddFlattenSoftmaxRelu) {
  EXPECT_THAT(message_of<ShapeError>([] { ops::add(x4({2, 3}), x4({2, 4})); }),
              HasSubstr("[add] shapes differ: 2x3 vs 2x4"));
  EXPECT_THAT(message_of<UnsupportedError>([] { ops::add(x4({2}), Tensor::zeros({2}, DType::F16)); }),
              HasSubstr("[add] second input must be F32, got F16"));
  EXPECT_THAT(message_of<ShapeError>([] { ops::flatten(x4({2, 3, 4, 5}), 4); }),
              HasSubstr("[flatten] start_axis 4 out of range for a 4-D tensor (shape 2x3x4x5)"));
  EXPECT_THAT(message_of<ShapeError>([] { ops::flatten(x4({2, 3}), -3); }),
              HasSubstr("[flatten] start_axis -3 out of range for a 2-D tensor"));
  EXPECT_THAT(message_of<ShapeError>([] { ops::softmax(x4({2, 1000}), 2); }),
              HasSubstr("[softmax] axis 2 out of range for a 2-D tensor (shape 2x1000)"));
  EXPECT_THAT(message_of<UnsupportedError>([] { ops::relu(Tensor::zeros({3}, DType::I64)); }),
              HasSubstr("[relu] input must be F32, got I64"));
  EXPECT_THAT(message_of<ValueError>([] { ops::relu(none); }), HasSubstr("[relu] input is undefined"));
  EXPECT_THAT(message_of<ValueError>([] { ops::set_num_threads(-1); }),
              HasSubstr("[set_num_threads] threads must be 0 (all cores) to 1024, got -1"));
  EXPECT_THAT(message_of<ValueError>([] { ops::set_num_threads(ops::kMaxThreads + 1); }),
              HasSubstr("threads must be 0 (all cores) to 1024, got 1025"));
}

}  // namespace
}  // namespace lucid
