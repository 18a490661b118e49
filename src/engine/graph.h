// The forward of a ResNet as a list of nodes over numbered activations, in execution order:
// what the engine compiles. BatchNorm and ReLU are attached to the convolution before them,
// and each block's residual add to its last convolution.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "lucid/models/resnet.h"

namespace lucid::engine {

struct Node {
  enum class Kind { Conv, MaxPool, AvgPool, Linear };
  Kind kind;
  std::string name;  // the module's path: "layer1.0.conv2"
  int src = -1, dst = -1;
  // Conv: dst = relu?(bn(conv(src)) + residual?). The residual's last use is this node.
  const nn::Conv2d* conv = nullptr;
  const nn::BatchNorm2d* bn = nullptr;
  bool relu = false;
  int residual = -1;
  // Pools: window, stride and padding (height, width).
  std::array<int64_t, 2> kernel{}, stride{}, padding{};
  // Linear: dst (N, out) = src (N, C, 1, 1) flattened, times weight^T, plus bias.
  const nn::Linear* linear = nullptr;
};

struct Graph {
  std::vector<Shape> values;  // value 0 is the input; each node's dst is a new value
  std::vector<Node> nodes;
  int output = -1;
};

// Throws ValueError for a model the walk does not know, ShapeError for an input it cannot take.
Graph build_graph(const models::ResNet& model, const Shape& input_shape);

}  // namespace lucid::engine
