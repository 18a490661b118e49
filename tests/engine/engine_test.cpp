#include "lucid/engine.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "backend/cpu/dnnl_context.h"
#include "backend/cpu/simd.h"
#include "engine/arena.h"
#include "engine/lower.h"
#include "lucid/error.h"
#include "lucid/models/registry.h"
#include "lucid/models/resnext.h"
#include "lucid/nn/trace.h"
#include "lucid/ops.h"

namespace lucid::engine {
namespace {

// BatchNorm statistics and affine parameters far from their 1/0 initial values, so a wrong
// fold shows; variances and scales stay away from 0 so the network stays well conditioned.
void randomize_batch_norms(nn::Module& model, uint64_t seed) {
  Generator rng(seed);
  for (auto [name, t] : model.named_buffers()) {
    if (name.ends_with("running_mean")) rng.uniform_(t, -0.5f, 0.5f);
    if (name.ends_with("running_var")) rng.uniform_(t, 0.5f, 2.0f);
  }
  for (auto [name, t] : model.named_parameters()) {
    if (name.find("bn") == std::string::npos && name.find("downsample.1") == std::string::npos) continue;
    if (name.ends_with("weight")) rng.uniform_(t, 0.5f, 1.5f);
    if (name.ends_with("bias")) rng.uniform_(t, -0.3f, 0.3f);
  }
}

// Whether plans here use lucid's nChw8c kernels (an AVX2 CPU without AVX-512).
bool backend_has_lucid_kernels() {
  return backend::cpu::cpu_has_avx2_fma() && backend::cpu::blocked_nchw() == dnnl::memory::format_tag::nChw8c;
}

Tensor random_input(const Shape& shape, uint64_t seed) {
  Tensor x = Tensor::empty(shape);
  Generator(seed).normal_(x, 0.0f, 1.0f);
  return x;
}

// max |plan - eager| <= 1e-4 * max(1, max |eager|), the parity tolerance against torchvision.
void expect_matches_eager(models::ResNet& model, const Shape& input, const CompileOptions& options = {}) {
  model.eval();
  Tensor x = random_input(input, 7);
  Tensor expected = model.forward(x);
  Plan plan = compile(model, input, options);
  Tensor got = plan.run(x);
  ASSERT_EQ(got.shape(), expected.shape());
  const auto e = expected.to_vector(), g = got.to_vector();
  float scale = 1.0f, diff = 0.0f;
  for (size_t i = 0; i < e.size(); ++i) {
    scale = std::max(scale, std::abs(e[i]));
    diff = std::max(diff, std::abs(e[i] - g[i]));
  }
  EXPECT_LE(diff, 1e-4f * scale) << "max |eager| " << scale << "\n" << plan.describe();
  // A second run reuses the arena and must give the same logits.
  EXPECT_EQ(plan.run(x).to_vector(), g);
}

TEST(Engine, SmallResNeXtOnAnOddGrayscaleInputMatchesEager) {
  manual_seed(3);
  models::ResNeXt model(models::BlockType::Bottleneck, {1, 1, 1, 1}, 4, 4,
                        models::ModelOptions{.num_classes = 10, .in_channels = 1});
  randomize_batch_norms(model, 11);
  expect_matches_eager(model, {1, 1, 45, 61});
}

TEST(Engine, BasicBlockResNetsMatchEager) {
  manual_seed(4);
  models::ResNet small(models::BlockType::Basic, {1, 1, 1, 1}, 1, 64, models::ModelOptions{.num_classes = 7});
  randomize_batch_norms(small, 12);
  expect_matches_eager(small, {2, 3, 37, 50}, {.threads = 1});

  auto resnet_18 = models::create_model("resnet_18", {.num_classes = 5});
  randomize_batch_norms(*resnet_18, 13);
  expect_matches_eager(*resnet_18, {1, 3, 64, 64});
}

TEST(Engine, ResNeXt50WithRandomBatchNormStatisticsMatchesEager) {
  manual_seed(5);
  auto model = models::resnext_50_32x4d();
  randomize_batch_norms(*model, 14);
  expect_matches_eager(*model, {2, 3, 64, 64});
}

// At batch 1 the small maps (stages 3 and 4 at 96 x 96) take lucid's 1x1 kernel, residual adds included.
TEST(Engine, ResNeXt50AtBatchOneOnSmallMapsMatchesEager) {
  manual_seed(9);
  auto model = models::resnext_50_32x4d();
  randomize_batch_norms(*model, 16);
  expect_matches_eager(*model, {1, 3, 96, 96});
  if (!backend_has_lucid_kernels()) return;
  model->eval();
  const std::string steps = compile(*model, {1, 3, 96, 96}).describe();
  EXPECT_NE(steps.find("layer4.2.conv3  conv+sum+relu  lucid:conv_1x1:avx2"), std::string::npos) << steps;
  EXPECT_NE(steps.find("layer3.0.conv1  conv+relu  jit_1x1"), std::string::npos) << steps;  // 12 x 12: oneDNN's
}

// On nChw8c (AVX2) machines lucid's grouped kernels take every grouped 3x3 they fit; on nChw16c
// (AVX-512) ones the 16-lane kernel those with 4, 8 or 16 channels per group, strides 1 and 2, on
// the layout the 1x1s around them use.
TEST(Engine, GroupedConvsGoToLucidWhereItsKernelsAreTheFaster) {
  using Tag = dnnl::memory::format_tag;
  for (int64_t group_channels : {4, 8, 16, 128}) EXPECT_TRUE(prefer_lucid_grouped(Tag::nChw8c, group_channels));
  EXPECT_TRUE(prefer_lucid_grouped(Tag::nChw16c, 4));
  EXPECT_TRUE(prefer_lucid_grouped(Tag::nChw16c, 8));
  EXPECT_FALSE(prefer_lucid_grouped(Tag::nChw16c, 16));
  EXPECT_FALSE(prefer_lucid_grouped(Tag::nChw16c, 32));
  if (!backend::cpu::cpu_has_avx2_fma()) return;
  // Here: resnext_50_32x4d's 4, 8, 16 and 32 channels per group.
  manual_seed(12);
  auto model = models::resnext_50_32x4d();
  model->eval();
  const std::string steps = compile(*model, {1, 3, 64, 64}).describe();
  std::vector<std::string> expected;
  if (backend_has_lucid_kernels()) {  // nChw8c: all of them, those of stride 1 with 16 or more per group by Winograd
    expected.insert(expected.end(), {"layer1.0.conv2  conv+relu  lucid:groups_of_4:avx2",
                                     "layer2.0.conv2  conv+relu  lucid:grouped_3x3:avx2",  // stride 2
                                     "layer2.1.conv2  conv+relu  lucid:grouped_3x3:avx2",
                                     "layer3.0.conv2  conv+relu  lucid:grouped_3x3:avx2",
                                     "layer3.1.conv2  conv+relu  lucid:winograd_3x3",
                                     "layer4.0.conv2  conv+relu  lucid:grouped_3x3:avx2",
                                     "layer4.1.conv2  conv+relu  lucid:winograd_3x3"});
  } else {  // AVX-512: the 16-lane kernel for 4, 8 and 16 per group, oneDNN's from 32 on
    expected.insert(expected.end(), {"layer1.0.conv2  conv+relu  lucid:small_groups:avx512",
                                     "layer2.0.conv2  conv+relu  lucid:small_groups:avx512",  // stride 2
                                     "layer2.1.conv2  conv+relu  lucid:small_groups:avx512",
                                     "layer3.0.conv2  conv+relu  lucid:small_groups:avx512",  // stride 2
                                     "layer3.1.conv2  conv+relu  lucid:small_groups:avx512"});
    EXPECT_EQ(steps.find("layer4.1.conv2  conv+relu  lucid:"), std::string::npos) << steps;
  }
  for (const std::string& step : expected) EXPECT_NE(steps.find(step), std::string::npos) << step << "\n" << steps;
  // lucid's kernels take the blocking the convs around them use: no reorder to or from them.
  for (const char* reorder : {"layer1.0.conv2 <- ", "layer1.0.conv3 <- ", "layer2.0.conv2 <- ", "layer2.0.conv3 <- ",
                              "layer2.1.conv2 <- ", "layer2.1.conv3 <- ", "layer3.0.conv2 <- ", "layer3.0.conv3 <- ",
                              "layer3.1.conv2 <- ", "layer3.1.conv3 <- "})
    EXPECT_EQ(steps.find(reorder), std::string::npos) << reorder << "\n" << steps;
}

// 32 channels per group on a 14 x 14 map (stage 1 of a 56 x 56 input) take the Winograd kernel,
// on odd maps too (stage 2's second block, on 7 x 7); the stride-2 grouped convs the direct one.
TEST(Engine, WideGroupsOnMidSizedMapsTakeWinogradAndMatchEager) {
  manual_seed(13);
  models::ResNeXt model(models::BlockType::Bottleneck, {2, 2, 1, 1}, 2, 32, 10);
  randomize_batch_norms(model, 17);
  expect_matches_eager(model, {2, 3, 56, 56});
  if (!backend_has_lucid_kernels()) return;
  model.eval();
  const std::string steps = compile(model, {2, 3, 56, 56}).describe();
  EXPECT_NE(steps.find("layer1.0.conv2  conv+relu  lucid:winograd_3x3"), std::string::npos) << steps;
  EXPECT_NE(steps.find("layer1.1.conv2  conv+relu  lucid:winograd_3x3"), std::string::npos) << steps;
  EXPECT_NE(steps.find("layer2.0.conv2  conv+relu  lucid:grouped_3x3:avx2"), std::string::npos) << steps;
  EXPECT_NE(steps.find("layer2.1.conv2  conv+relu  lucid:winograd_3x3"), std::string::npos) << steps;
}

// Where oneDNN keeps activations nhwc (AVX-512), 64 channels per group on maps of 14 x 14 and up
// take the Winograd kernel on nChw8c, between two reorders, from batch 2 on.
TEST(Engine, WideGroupsTakeWinogradBetweenReordersOnNhwcMachinesFromBatchTwo) {
  EXPECT_TRUE(prefer_winograd_between_reorders({2, 128, 14, 14}, 64));
  EXPECT_TRUE(prefer_winograd_between_reorders({16, 2048, 28, 28}, 64));
  EXPECT_FALSE(prefer_winograd_between_reorders({16, 4096, 14, 14}, 128));  // 128 per group
  EXPECT_FALSE(prefer_winograd_between_reorders({1, 128, 14, 14}, 64));   // batch 1
  EXPECT_FALSE(prefer_winograd_between_reorders({2, 1024, 28, 28}, 32));  // 32 per group
  EXPECT_FALSE(prefer_winograd_between_reorders({2, 4096, 7, 7}, 128));   // 7 x 7
  manual_seed(14);
  // Cardinality 2, base width 64: 64 per group in stage 1 (14 x 14 from a 56 x 56 input).
  models::ResNeXt model(models::BlockType::Bottleneck, {1, 2, 1, 1}, 2, 64, 10);
  randomize_batch_norms(model, 18);
  expect_matches_eager(model, {2, 3, 56, 56});
  if (backend_has_lucid_kernels() || !backend::cpu::cpu_has_avx512f()) return;
  model.eval();
  const std::string two = compile(model, {2, 3, 56, 56}).describe();
  EXPECT_NE(two.find("layer1.0.conv2 <- activation"), std::string::npos) << two;
  EXPECT_NE(two.find("layer1.0.conv2  conv+relu  lucid:winograd_3x3:avx512  aBcd8b -> aBcd8b"), std::string::npos)
      << two;
  const std::string one = compile(model, {1, 3, 56, 56}).describe();
  EXPECT_EQ(one.find("layer1.0.conv2  conv+relu  lucid:"), std::string::npos) << one;
}

// Where oneDNN keeps activations nhwc (AVX-512), 128 and more channels per group on maps of 14 x
// 14 and up take the Winograd kernel on nhwc as it comes, at any batch.
TEST(Engine, WidestGroupsTakeWinogradOnNhwcItself) {
  EXPECT_TRUE(prefer_winograd_on_nhwc({1, 4096, 14, 14}, 128));
  EXPECT_TRUE(prefer_winograd_on_nhwc({16, 512, 28, 14}, 256));
  EXPECT_FALSE(prefer_winograd_on_nhwc({16, 2048, 14, 14}, 64));  // 64 per group
  EXPECT_FALSE(prefer_winograd_on_nhwc({16, 4096, 7, 7}, 128));   // 7 x 7
  EXPECT_FALSE(prefer_winograd_on_nhwc({16, 4096, 14, 13}, 128));
  manual_seed(16);
  // Cardinality 2, base width 128: 128 per group in stage 1 (14 x 14 from a 56 x 56 input), 256 in
  // stage 2 (7 x 7).
  models::ResNeXt model(models::BlockType::Bottleneck, {2, 2, 1, 1}, 2, 128, 10);
  randomize_batch_norms(model, 19);
  expect_matches_eager(model, {1, 3, 56, 56});
  if (backend_has_lucid_kernels() || !backend::cpu::cpu_has_avx512f()) return;
  model.eval();
  const std::string steps = compile(model, {1, 3, 56, 56}).describe();
  for (const char* conv : {"layer1.0.conv2  conv+relu  lucid:winograd_3x3:avx512  acdb -> acdb",
                           "layer1.1.conv2  conv+relu  lucid:winograd_3x3:avx512  acdb -> acdb"})
    EXPECT_NE(steps.find(conv), std::string::npos) << conv << "\n" << steps;
  EXPECT_EQ(steps.find("layer1.0.conv2 <- "), std::string::npos) << steps;
  EXPECT_EQ(steps.find("layer2.1.conv2  conv+relu  lucid:"), std::string::npos) << steps;  // 7 x 7
}

// Where the 1x1s' input comes nhwc (AVX-512), those of stride 1 on maps of 7 x 7 and smaller run
// as one matmul over the batch's pixels, from batch 2 on; the residual add and ReLU stay fused.
TEST(Engine, SmallMapOneByOnesRunAsOneMatmulFromBatchTwo) {
  const ops::Conv2dOptions plain{}, stride_2{.stride = {2, 2}}, padded{.padding = {1, 1}}, grouped{.groups = 2};
  EXPECT_TRUE(prefer_matmul_1x1({2, 2048, 7, 7}, {1024, 2048, 1, 1}, plain));
  EXPECT_TRUE(prefer_matmul_1x1({16, 64, 3, 5}, {32, 64, 1, 1}, plain));
  EXPECT_FALSE(prefer_matmul_1x1({1, 2048, 7, 7}, {1024, 2048, 1, 1}, plain));     // batch 1
  EXPECT_FALSE(prefer_matmul_1x1({16, 1024, 14, 14}, {2048, 1024, 1, 1}, plain));  // 14 x 14
  EXPECT_FALSE(prefer_matmul_1x1({2, 1024, 7, 7}, {2048, 1024, 1, 1}, stride_2));
  EXPECT_FALSE(prefer_matmul_1x1({2, 1024, 7, 7}, {2048, 1024, 1, 1}, padded));
  EXPECT_FALSE(prefer_matmul_1x1({2, 1024, 7, 7}, {1024, 512, 1, 1}, grouped));
  EXPECT_FALSE(prefer_matmul_1x1({2, 1024, 7, 7}, {1024, 1024, 3, 3}, padded));
  manual_seed(15);
  auto model = models::resnext_50_32x4d();
  randomize_batch_norms(*model, 18);
  // Stages 3 and 4 on 4 x 4 and 2 x 2 maps: every 1x1 of stride 1 there, conv3 with the residual.
  expect_matches_eager(*model, {3, 3, 64, 64});
  if (backend::cpu::blocked_nchw() == dnnl::memory::format_tag::nChw8c) return;  // no nhwc 1x1s here
  model->eval();
  const std::string two = compile(*model, {2, 3, 64, 64}).describe();
  for (const char* step : {"layer3.1.conv1  conv+relu  matmul:", "layer4.1.conv3  conv+sum+relu  matmul:"})
    EXPECT_NE(two.find(step), std::string::npos) << step << "\n" << two;
  EXPECT_EQ(two.find("layer4.0.downsample.0  conv  matmul:"), std::string::npos) << two;  // stride 2
  EXPECT_EQ(two.find("layer3.0.conv1  conv+relu  matmul:"), std::string::npos) << two;    // 8 x 8
  EXPECT_EQ(two.find("layer4.1.conv3 <- "), std::string::npos) << two;  // no reorder around them
  const std::string one = compile(*model, {1, 3, 64, 64}).describe();
  EXPECT_EQ(one.find("matmul:"), std::string::npos) << one;
}

TEST(Engine, ProfileTimesEveryStepInOrder) {
  manual_seed(10);
  models::ResNeXt model(models::BlockType::Bottleneck, {1, 1, 1, 1}, 4, 4, 10);
  model.eval();
  Plan plan = compile(model, {1, 3, 32, 32});
  const std::vector<StepProfile> steps = plan.profile(random_input({1, 3, 32, 32}, 9), 3);
  ASSERT_EQ(int(steps.size()), plan.stats().primitives);
  std::istringstream lines(plan.describe());
  int64_t macs = 0;
  for (const StepProfile& step : steps) {
    std::string line;
    std::getline(lines, line);
    EXPECT_TRUE(line.starts_with(step.name + "  " + step.kind + "  " + step.impl)) << line;
    EXPECT_GE(step.ms, 0.0);
    macs += step.macs;
  }
  EXPECT_EQ(macs, plan.stats().macs);
  EXPECT_THROW(plan.profile(random_input({1, 3, 32, 32}, 9), 0), ValueError);
  EXPECT_THROW(plan.profile(random_input({1, 3, 33, 32}, 9), 1), ShapeError);
}

TEST(Engine, PlanOutlivesTheModel) {
  manual_seed(6);
  auto model = std::make_shared<models::ResNeXt>(models::BlockType::Bottleneck, std::vector<int64_t>{1, 1, 1, 1}, 4, 4,
                                                 models::ModelOptions{.num_classes = 3});
  randomize_batch_norms(*model, 15);
  model->eval();
  Tensor x = random_input({1, 3, 32, 32}, 8);
  const auto expected = model->forward(x).to_vector();
  Plan plan = compile(*model, x.shape());
  model.reset();
  const auto got = plan.run(x).to_vector();
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], 1e-4f * std::max(1.0f, std::abs(expected[i])));
}

TEST(Engine, RefusesATrainingModeModel) {
  nn::SkipInit no_weights;
  models::ResNeXt model(models::BlockType::Bottleneck, {1, 1, 1, 1}, 4, 4, 10);
  EXPECT_THROW(compile(model, {1, 3, 32, 32}), ValueError);
  model.eval();
  model.stage(2)[0].train();  // one module left in training mode is enough to refuse
  try {
    compile(model, {1, 3, 32, 32});
    FAIL() << "compiled a model with a module in training mode";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("layer2.0 is in training mode"), std::string::npos) << e.what();
  }
}

TEST(Engine, RejectsWrongShapesAndOptions) {
  manual_seed(7);
  models::ResNeXt model(models::BlockType::Bottleneck, {1, 1, 1, 1}, 4, 4, 10);
  model.eval();
  EXPECT_THROW(compile(model, {1, 1, 32, 32}), ShapeError);  // 3 input channels expected
  EXPECT_THROW(compile(model, {3, 32, 32}), ShapeError);
  EXPECT_THROW(compile(model, {1, 3, 32, 32}, {.precision = "fp8"}), ValueError);
  EXPECT_THROW(compile(model, {1, 3, 32, 32}, {.threads = -1}), ValueError);
  EXPECT_THROW(compile(model, {1, 3, 32, 32}, {.threads = ops::kMaxThreads + 1}), ValueError);
  Plan plan = compile(model, {2, 3, 32, 32});
  try {
    plan.run(Tensor::zeros({1, 3, 32, 32}));
    FAIL() << "ran a 1x3x32x32 input through a plan compiled for 2x3x32x32";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("compiled for input 2x3x32x32, got 1x3x32x32"), std::string::npos) << e.what();
  }
  EXPECT_THROW(plan.run(Tensor()), ShapeError);
}

// Two threads running one plan at once would share its arena: the second is refused, and every
// run that goes through returns the same logits as a run alone.
TEST(Engine, ConcurrentRunsOfOnePlanAreRefusedNeverWrong) {
  manual_seed(9);
  models::ResNeXt model(models::BlockType::Bottleneck, {1, 1, 1, 1}, 4, 4, 10);
  model.eval();
  const Shape input{2, 3, 96, 96};
  Plan plan = compile(model, input);
  const Tensor x = random_input(input, 3);
  const std::vector<float> alone = plan.run(x).to_vector();
  std::atomic<int> refused{0}, wrong{0}, done{0};
  auto run_once = [&] {
    try {
      if (plan.run(x).to_vector() != alone) ++wrong;
      ++done;
    } catch (const ValueError& e) {
      EXPECT_THAT(e.what(), ::testing::HasSubstr("the plan is already running on another thread"));
      ++refused;
    }
  };
  // Each round starts a run on another thread and, once it is under way, one here; a run takes
  // milliseconds, so the two overlap and one of them is refused. A few rounds, in case a
  // thread is held off by the scheduler for a whole run.
  for (int round = 0; round < 20 && refused == 0; ++round) {
    std::atomic<bool> started{false};
    std::thread other([&] {
      started = true;
      for (int i = 0; i < 3; ++i) run_once();
    });
    while (!started) std::this_thread::yield();
    for (int i = 0; i < 3; ++i) run_once();
    other.join();
  }
  EXPECT_GT(refused.load(), 0);
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GT(done.load(), 0);
  EXPECT_EQ(plan.run(x).to_vector(), alone);  // usable again afterwards
}

TEST(Engine, StatsCountPrimitivesReordersAndMemory) {
  manual_seed(8);
  models::ResNeXt model(models::BlockType::Bottleneck, {2, 1, 1, 1}, 4, 4, 10);
  model.eval();
  Plan plan = compile(model, {2, 3, 40, 40});
  const PlanStats& s = plan.stats();
  // stem + 5 blocks of 3 + 4 downsamples (layer1's too: 64 -> 256 channels).
  EXPECT_EQ(s.convolutions, 1 + 5 * 3 + 4);
  EXPECT_EQ(s.primitives, s.convolutions + 3 + s.reorder_count());  // + max-pool, avg-pool, fc
  std::istringstream lines(plan.describe());
  int described = 0, reorders = 0;
  for (std::string line; std::getline(lines, line); ++described) reorders += line.find("reorder:") != std::string::npos;
  EXPECT_EQ(described, s.primitives);
  EXPECT_EQ(reorders, s.reorder_count());
  EXPECT_GE(s.arena_bytes, s.peak_live_bytes);
  EXPECT_LT(s.arena_bytes, s.activation_bytes);  // buffers are reused
  int64_t weights = 0;  // conv and fc weights; the folded BNs add only a bias per conv
  for (const auto& [name, t] : model.named_parameters()) weights += t.dim() >= 2 ? t.numel() : 0;
  EXPECT_GE(s.weight_bytes, size_t(weights) * sizeof(float));
  // The MACs `lucid summary` counts from a traced eager forward.
  int64_t traced_macs = 0;
  {
    nn::Trace trace;
    model(Tensor::zeros({2, 3, 40, 40}));
    for (const auto& call : trace.calls())
      if (call.module->children().empty()) traced_macs += call.module->macs(call.output);
  }
  EXPECT_EQ(s.macs, traced_macs);
  EXPECT_EQ(plan.output_shape(), (Shape{2, 10}));
}

TEST(Engine, Bf16NeedsAvx512Bf16) {
  manual_seed(9);
  models::ResNeXt model(models::BlockType::Bottleneck, {1, 1, 1, 1}, 4, 4, 10);
  model.eval();
  Tensor x = random_input({1, 3, 64, 64}, 9);
  std::optional<Plan> plan;
  try {
    plan.emplace(compile(model, x.shape(), {.precision = "bf16"}));
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("AVX512_BF16"), std::string::npos) << e.what();
    GTEST_SKIP() << "this CPU has no AVX512_BF16: " << e.what();
  }
  // bf16 keeps 8 significant bits: the logits agree loosely, and the ranking at the top.
  const auto expected = model.forward(x).to_vector(), got = plan->run(x).to_vector();
  float scale = 1.0f;
  for (float v : expected) scale = std::max(scale, std::abs(v));
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], 0.05f * scale);
  EXPECT_EQ(std::max_element(got.begin(), got.end()) - got.begin(),
            std::max_element(expected.begin(), expected.end()) - expected.begin());
}

TEST(EngineArena, BuffersShareBytesOnlyWhenTheirLifetimesDoNotOverlap) {
  // A chain a -> b -> c -> d: a and c, b and d may share; the arena needs two buffers' worth.
  const std::vector<Lifetime> chain{{1000, 0, 1}, {1000, 1, 2}, {1000, 2, 3}, {1000, 3, 4}};
  const ArenaLayout layout = place_buffers(chain);
  EXPECT_EQ(layout.bytes, 2 * 1024u);
  EXPECT_EQ(layout.peak_live, 2 * 1024u);
  for (size_t i = 0; i + 1 < chain.size(); ++i) EXPECT_NE(layout.offsets[i], layout.offsets[i + 1]);
  // A long-lived buffer keeps its bytes from everything alive beside it.
  const ArenaLayout skip = place_buffers({{64, 0, 4}, {128, 1, 2}, {128, 3, 4}});
  EXPECT_EQ(skip.bytes, 192u);
  EXPECT_EQ(skip.offsets[1], skip.offsets[2]);
  EXPECT_NE(skip.offsets[0], skip.offsets[1]);
}

}  // namespace
}  // namespace lucid::engine
