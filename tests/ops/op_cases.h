// The op-case table: ResNeXt's own shapes plus edge cases, with each case's output shape worked
// out by hand. ops_test.cpp runs every case through the front end (oneDNN) and the reference
// kernels; a new backend, a gradient check or a benchmark can run the same table.
#pragma once

#include <cstdlib>
#include <ostream>
#include <string>
#include <vector>

#include "lucid/ops.h"
#include "lucid/tensor.h"

namespace lucid::testing {

struct OpCase {
  // conv2d, batch_norm, relu, max_pool2d, adaptive_avg_pool2d, linear, add, flatten, softmax;
  // training ops: batch_norm_train, log_softmax, cross_entropy (inputs: logits; labels drawn by
  // the test), mul
  std::string op;
  // conv2d/linear: x, weight (and bias when `bias`); add: a, b; others: x. batch_norm makes its
  // per-channel statistics from x's channel count, with weight and bias when `bias`.
  std::vector<Shape> inputs;
  Shape out;  // expected output shape, by hand
  bool bias = false;
  ops::Conv2dOptions conv{};
  ops::Pool2dOptions pool{};
  ops::Pair output_size{1, 1};  // adaptive_avg_pool2d
  int64_t axis = -1;            // softmax axis, flatten start axis
  float scale = 1.0f;           // inputs are uniform in [-scale, scale]
  float smoothing = 0.0f;       // cross_entropy's label smoothing

  // A gtest-safe name: op_shape_w_shape_options.
  std::string name() const {
    auto dims = [](const Shape& s) { return to_string(s); };
    auto pair = [](ops::Pair p) { return std::to_string(p[0]) + "x" + std::to_string(p[1]); };
    std::string text = op + "_" + dims(inputs[0]);
    if (op == "conv2d" || op == "linear") text += "_w" + dims(inputs[1]);
    if (op == "conv2d")
      text += "_s" + pair(conv.stride) + "_p" + pair(conv.padding) + "_d" + pair(conv.dilation) + "_g" +
              std::to_string(conv.groups);
    if (op == "max_pool2d") text += "_k" + pair(pool.kernel) + "_s" + pair(pool.stride) + "_p" + pair(pool.padding);
    if (op == "adaptive_avg_pool2d") text += "_to" + pair(output_size);
    if (op == "softmax" || op == "flatten") text += "_axis" + std::string(axis < 0 ? "m" : "") + std::to_string(std::abs(axis));
    if (scale != 1.0f) text += "_scale" + std::to_string(int(scale));
    if (bias) text += "_bias";
    if (smoothing != 0.0f) text += "_smooth" + std::to_string(int(smoothing * 100));
    return text;
  }
};

inline void PrintTo(const OpCase& c, std::ostream* out) { *out << c.name(); }

inline OpCase conv(Shape x, Shape w, Shape out, ops::Conv2dOptions options, bool bias = false) {
  OpCase c{.op = "conv2d", .inputs = {x, w}, .out = out, .bias = bias, .conv = options};
  if (bias) c.inputs.push_back({w[0]});
  return c;
}

inline OpCase pool(Shape x, Shape out, ops::Pool2dOptions options) {
  return {.op = "max_pool2d", .inputs = {x}, .out = out, .pool = options};
}

inline OpCase adaptive(Shape x, ops::Pair size) {
  return {.op = "adaptive_avg_pool2d", .inputs = {x}, .out = {x[0], x[1], size[0], size[1]}, .output_size = size};
}

inline OpCase linear(Shape x, Shape w, bool bias) {
  OpCase c{.op = "linear", .inputs = {x, w}, .out = {x[0], w[0]}, .bias = bias};
  if (bias) c.inputs.push_back({w[0]});
  return c;
}

inline OpCase unary(std::string op, Shape x, Shape out, int64_t axis = -1, float scale = 1.0f, bool bias = false) {
  return {.op = op, .inputs = {x}, .out = out, .bias = bias, .axis = axis, .scale = scale};
}

// Sized so the naive reference runs the whole table in about a second (Release).
inline std::vector<OpCase> op_cases() {
  using P = ops::Pair;
  return {
      // ResNeXt's grouped 3x3: 32x4d, 32x8d and 64x4d stages; stride 2 opens a stage.
      conv({2, 256, 13, 13}, {256, 8, 3, 3}, {2, 256, 13, 13}, {.padding = {1, 1}, .groups = 32}),
      conv({1, 256, 15, 15}, {256, 8, 3, 3}, {1, 256, 8, 8}, {.stride = {2, 2}, .padding = {1, 1}, .groups = 32}),
      conv({3, 128, 7, 7}, {128, 4, 3, 3}, {3, 128, 7, 7}, {.padding = {1, 1}, .groups = 32}),
      conv({1, 512, 29, 29}, {512, 16, 3, 3}, {1, 512, 15, 15}, {.stride = {2, 2}, .padding = {1, 1}, .groups = 32}),
      conv({1, 1024, 7, 7}, {1024, 32, 3, 3}, {1, 1024, 7, 7}, {.padding = {1, 1}, .groups = 32}),
      conv({2, 256, 13, 13}, {256, 4, 3, 3}, {2, 256, 13, 13}, {.padding = {1, 1}, .groups = 64}),
      conv({1, 1024, 7, 7}, {1024, 16, 3, 3}, {1, 1024, 4, 4}, {.stride = {2, 2}, .padding = {1, 1}, .groups = 64}),
      conv({1, 2048, 5, 5}, {2048, 32, 3, 3}, {1, 2048, 5, 5}, {.padding = {1, 1}, .groups = 64}),
      // The 7x7/2 stem, RGB and grayscale.
      conv({1, 3, 29, 29}, {64, 3, 7, 7}, {1, 64, 15, 15}, {.stride = {2, 2}, .padding = {3, 3}}),
      conv({2, 1, 32, 32}, {64, 1, 7, 7}, {2, 64, 16, 16}, {.stride = {2, 2}, .padding = {3, 3}}),
      conv({1, 3, 15, 15}, {8, 3, 7, 7}, {1, 8, 8, 8}, {.stride = {2, 2}, .padding = {3, 3}}, true),
      // 1x1: the strided downsample and a plain projection with bias.
      conv({2, 256, 13, 13}, {512, 256, 1, 1}, {2, 512, 7, 7}, {.stride = {2, 2}}),
      conv({1, 64, 15, 15}, {256, 64, 1, 1}, {1, 256, 15, 15}, {}, true),
      // Dilation, alone and with groups and unequal axes.
      conv({1, 16, 13, 13}, {16, 16, 3, 3}, {1, 16, 13, 13}, {.padding = {2, 2}, .dilation = {2, 2}}),
      conv({1, 32, 15, 15}, {32, 8, 3, 3}, {1, 32, 15, 15}, {.padding = {2, 1}, .dilation = {2, 1}, .groups = 4}),
      // Unequal kernel, stride and padding per axis.
      conv({1, 8, 13, 17}, {12, 8, 3, 5}, {1, 12, 7, 17}, {.stride = {2, 1}, .padding = {1, 2}}, true),
      conv({3, 6, 9, 7}, {6, 2, 2, 3}, {3, 6, 8, 3}, {.stride = {1, 3}, .padding = {0, 1}, .groups = 3}),
      // Edges: 1x1 spatial, kernel as large as the input, one channel, depthwise.
      conv({2, 16, 1, 1}, {8, 16, 1, 1}, {2, 8, 1, 1}, {}, true),
      // Single pixels (ResNeXt's last stage on 28x28 images): one tap reads the pixel, the others padding.
      conv({5, 64, 1, 1}, {64, 2, 3, 3}, {5, 64, 1, 1}, {.padding = {1, 1}, .groups = 32}),
      conv({3, 24, 1, 1}, {12, 12, 1, 1}, {3, 12, 1, 1}, {.stride = {2, 2}, .groups = 2}, true),
      conv({2, 8, 1, 1}, {6, 4, 2, 3}, {2, 6, 1, 1}, {.stride = {2, 2}, .padding = {1, 2}, .dilation = {1, 2}, .groups = 2},
           true),
      conv({1, 4, 1, 1}, {4, 4, 3, 3}, {1, 4, 1, 1}, {.stride = {3, 3}, .padding = {3, 3}, .dilation = {2, 2}}, true),
      conv({1, 4, 5, 5}, {6, 4, 5, 5}, {1, 6, 1, 1}, {}),
      conv({1, 1, 7, 7}, {1, 1, 3, 3}, {1, 1, 7, 7}, {.padding = {1, 1}}),
      conv({2, 32, 13, 13}, {32, 1, 3, 3}, {2, 32, 13, 13}, {.padding = {1, 1}, .groups = 32}),
      conv({1, 64, 15, 15}, {64, 1, 3, 3}, {1, 64, 8, 8}, {.stride = {2, 2}, .padding = {1, 1}, .groups = 64}, true),
      conv({3, 32, 7, 7}, {64, 32, 3, 3}, {3, 64, 7, 7}, {.padding = {1, 1}}, true),

      unary("batch_norm", {2, 64, 13, 13}, {2, 64, 13, 13}, -1, 1.0f, true),
      unary("batch_norm", {1, 256, 7, 7}, {1, 256, 7, 7}, -1, 1.0f, true),
      unary("batch_norm", {3, 8, 5, 5}, {3, 8, 5, 5}),  // affine=False
      unary("batch_norm", {4, 10}, {4, 10}, -1, 1.0f, true),
      unary("batch_norm", {3, 16, 1, 1}, {3, 16, 1, 1}, -1, 1.0f, true),
      unary("batch_norm", {2, 12, 1, 3}, {2, 12, 1, 3}, -1, 1.0f, true),

      unary("relu", {2, 64, 13, 13}, {2, 64, 13, 13}),
      unary("relu", {7}, {7}),
      unary("relu", {1, 1, 1, 1}, {1, 1, 1, 1}),

      // ResNet's 3x3/2 pad 1 after the stem, on odd and even sizes.
      pool({2, 64, 29, 29}, {2, 64, 15, 15}, {.kernel = {3, 3}, .stride = {2, 2}, .padding = {1, 1}}),
      pool({1, 8, 15, 15}, {1, 8, 8, 8}, {.kernel = {3, 3}, .stride = {2, 2}, .padding = {1, 1}}),
      pool({1, 4, 8, 8}, {1, 4, 4, 4}, {.kernel = {3, 3}, .stride = {2, 2}, .padding = {1, 1}}),
      pool({1, 3, 13, 13}, {1, 3, 6, 6}, {.kernel = {2, 2}, .stride = {2, 2}}),
      pool({1, 2, 9, 8}, {1, 2, 9, 4}, {.kernel = {3, 2}, .stride = {1, 2}, .padding = {1, 0}}),
      pool({1, 3, 5, 5}, {1, 3, 5, 5}, {.kernel = {5, 5}, .stride = {1, 1}, .padding = {2, 2}}),
      pool({1, 16, 7, 7}, {1, 16, 1, 1}, {.kernel = {7, 7}, .stride = {1, 1}}),
      pool({1, 4, 1, 1}, {1, 4, 1, 1}, {}),

      // Global pooling (the classifier head), uniform windows, and torch's uneven windows.
      adaptive({2, 2048, 7, 7}, P{1, 1}),
      adaptive({1, 4, 14, 14}, P{7, 7}),
      adaptive({1, 4, 6, 6}, P{3, 2}),
      adaptive({2, 64, 7, 7}, P{3, 3}),
      adaptive({1, 8, 5, 5}, P{2, 2}),
      adaptive({1, 4, 13, 9}, P{5, 4}),
      adaptive({1, 3, 3, 3}, P{6, 6}),

      linear({2, 2048}, {1000, 2048}, true),
      linear({3, 100}, {10, 100}, false),
      linear({1, 1}, {1, 1}, true),

      {.op = "add", .inputs = {{2, 256, 13, 13}, {2, 256, 13, 13}}, .out = {2, 256, 13, 13}},
      {.op = "add", .inputs = {{5}, {5}}, .out = {5}},

      unary("flatten", {2, 2048, 1, 1}, {2, 2048}, 1),
      unary("flatten", {2, 3, 4, 5}, {2, 3, 20}, 2),
      unary("flatten", {2, 3, 4}, {2, 3, 4}, -1),
      unary("flatten", {2, 3, 4}, {24}, 0),

      // Logits as large as 1000 would overflow exp without the max subtraction.
      unary("softmax", {2, 1000}, {2, 1000}, -1, 1000.0f),
      unary("softmax", {3, 10}, {3, 10}),
      unary("softmax", {4, 3}, {4, 3}, 0),
      unary("softmax", {2, 5, 3}, {2, 5, 3}, 1, 50.0f),
      unary("softmax", {1, 1}, {1, 1}),
  };
}

// The gradient-check table: every differentiable op, small enough that finite differences
// (two forwards per input element, in double) stay fast, and covering each option a backward
// must honour (groups, stride, padding, dilation, bias, window overlap, uneven adaptive cells).
inline std::vector<OpCase> grad_cases() {
  using P = ops::Pair;
  return {
      conv({2, 8, 5, 5}, {8, 2, 3, 3}, {2, 8, 5, 5}, {.padding = {1, 1}, .groups = 4}),
      conv({2, 8, 6, 6}, {8, 2, 3, 3}, {2, 8, 3, 3}, {.stride = {2, 2}, .padding = {1, 1}, .groups = 4}),
      conv({2, 4, 7, 7}, {6, 4, 3, 3}, {2, 6, 4, 4}, {.stride = {2, 2}, .padding = {1, 1}}, true),
      conv({1, 3, 9, 9}, {4, 3, 7, 7}, {1, 4, 5, 5}, {.stride = {2, 2}, .padding = {3, 3}}),
      conv({2, 6, 4, 4}, {6, 6, 1, 1}, {2, 6, 4, 4}, {}, true),
      conv({2, 8, 4, 4}, {4, 8, 1, 1}, {2, 4, 2, 2}, {.stride = {2, 2}}),
      conv({2, 4, 6, 5}, {8, 1, 3, 3}, {2, 8, 6, 5}, {.padding = {2, 2}, .dilation = {2, 2}, .groups = 4}),
      unary("batch_norm_train", {4, 3, 3, 3}, {4, 3, 3, 3}, -1, 1.0f, true),
      unary("batch_norm_train", {3, 4, 2, 2}, {3, 4, 2, 2}),
      unary("batch_norm_train", {5, 2, 1, 1}, {5, 2, 1, 1}, -1, 3.0f, true),
      unary("relu", {2, 3, 4, 4}, {2, 3, 4, 4}),
      pool({2, 3, 7, 7}, {2, 3, 4, 4}, {.kernel = {3, 3}, .stride = {2, 2}, .padding = {1, 1}}),
      pool({1, 2, 6, 6}, {1, 2, 3, 3}, {.kernel = {2, 2}, .stride = {2, 2}}),
      adaptive({2, 3, 5, 5}, P{1, 1}),
      adaptive({1, 2, 7, 5}, P{3, 2}),
      linear({3, 8}, {5, 8}, true),
      linear({2, 6}, {4, 6}, false),
      unary("log_softmax", {3, 7}, {3, 7}, -1, 3.0f),
      unary("log_softmax", {2, 4, 3}, {2, 4, 3}, 1),
      {.op = "cross_entropy", .inputs = {{6, 5}}, .out = {}, .scale = 2.0f},
      {.op = "cross_entropy", .inputs = {{6, 5}}, .out = {}, .scale = 2.0f, .smoothing = 0.1f},
      {.op = "add", .inputs = {{2, 3, 4, 4}, {2, 3, 4, 4}}, .out = {2, 3, 4, 4}},
      {.op = "mul", .inputs = {{2, 3, 4}, {2, 3, 4}}, .out = {2, 3, 4}},
      unary("flatten", {2, 3, 2, 2}, {2, 12}, 1),
  };
}

}  // namespace lucid::testing
