#include "engine/graph.h"

#include "lucid/error.h"

namespace lucid::engine {
namespace {

// The child `name` of m as a T, or nullptr when m has none and it is optional.
template <class T>
const T* child(const nn::Module& m, const std::string& path, const std::string& name, bool required = true) {
  for (const auto& [n, c] : m.children()) {
    if (n != name) continue;
    if (auto* t = dynamic_cast<const T*>(c.get())) return t;
    throw ValueError("engine", cat(path, name, " is a ", c->type_name(), ", which the engine does not compile here"));
  }
  if (required) throw ValueError("engine", cat("the model has no ", path, name));
  return nullptr;
}

class Walk {
 public:
  explicit Walk(const Shape& input) { graph_.values.push_back(input); }

  int conv(const nn::Module& parent, const std::string& path, const std::string& conv_name,
           const std::string& bn_name, int src, bool relu, int residual = -1) {
    const auto* conv = child<nn::Conv2d>(parent, path, conv_name);
    const auto* bn = child<nn::BatchNorm2d>(parent, path, bn_name);
    const std::string name = path + conv_name;
    const Shape& x = graph_.values[src];
    const Shape& w = conv->weight.shape();
    const auto& o = conv->options();
    if (w[1] * o.groups != x[1])
      throw ShapeError(name, cat("expects ", w[1] * o.groups, " input channels, got ", to_string(x)));
    if (bn->weight.size(0) != w[0])
      throw ValueError(name, cat(path, bn_name, " has ", bn->weight.size(0), " channels for ", w[0], " outputs"));
    const int64_t oh = ops::window_output_size(name.c_str(), x[2], w[2], o.stride[0], o.padding[0], o.dilation[0]);
    const int64_t ow = ops::window_output_size(name.c_str(), x[3], w[3], o.stride[1], o.padding[1], o.dilation[1]);
    if (residual >= 0 && graph_.values[residual] != Shape{x[0], w[0], oh, ow})
      throw ShapeError(name, cat("residual ", to_string(graph_.values[residual]), " does not match the output ",
                                 to_string(Shape{x[0], w[0], oh, ow})));
    Node node{.kind = Node::Kind::Conv, .name = name, .src = src, .dst = value({x[0], w[0], oh, ow})};
    node.conv = conv;
    node.bn = bn;
    node.relu = relu;
    node.residual = residual;
    graph_.nodes.push_back(node);
    return node.dst;
  }

  int pool(Node::Kind kind, const std::string& name, int src, std::array<int64_t, 2> kernel,
           std::array<int64_t, 2> stride, std::array<int64_t, 2> padding) {
    const Shape& x = graph_.values[src];
    const int64_t oh = ops::window_output_size(name.c_str(), x[2], kernel[0], stride[0], padding[0], 1);
    const int64_t ow = ops::window_output_size(name.c_str(), x[3], kernel[1], stride[1], padding[1], 1);
    Node node{.kind = kind, .name = name, .src = src, .dst = value({x[0], x[1], oh, ow})};
    node.kernel = kernel;
    node.stride = stride;
    node.padding = padding;
    graph_.nodes.push_back(node);
    return node.dst;
  }

  int linear(const nn::Linear* fc, int src) {
    const Shape& x = graph_.values[src];
    if (fc->weight.size(1) != x[1] * x[2] * x[3])
      throw ShapeError("fc", cat("expects ", fc->weight.size(1), " features, got ", to_string(x)));
    Node node{.kind = Node::Kind::Linear, .name = "fc", .src = src, .dst = value({x[0], fc->weight.size(0)})};
    node.linear = fc;
    graph_.nodes.push_back(node);
    return node.dst;
  }

  // A bottleneck or basic block: the downsample (if any) first, so its output can take the
  // block's sum in place; then the main path, the last conv adding the identity.
  int block(const nn::Module& block, const std::string& path, int x) {
    int identity = x;
    if (const auto* down = child<nn::Sequential>(block, path, "downsample", false))
      identity = conv(*down, path + "downsample.", "0", "1", x, false);
    if (dynamic_cast<const models::Bottleneck*>(&block)) {
      int out = conv(block, path, "conv1", "bn1", x, true);
      out = conv(block, path, "conv2", "bn2", out, true);
      return conv(block, path, "conv3", "bn3", out, true, identity);
    }
    if (dynamic_cast<const models::BasicBlock*>(&block)) {
      int out = conv(block, path, "conv1", "bn1", x, true);
      return conv(block, path, "conv2", "bn2", out, true, identity);
    }
    throw ValueError("engine", cat(path, " is a ", block.type_name(), ", not a BasicBlock or Bottleneck"));
  }

  const Shape& shape(int value) const { return graph_.values[value]; }

  Graph finish(int output) {
    graph_.output = output;
    return std::move(graph_);
  }

 private:
  int value(Shape shape) {
    graph_.values.push_back(std::move(shape));
    return static_cast<int>(graph_.values.size()) - 1;
  }
  Graph graph_;
};

}  // namespace

Graph build_graph(const models::ResNet& model, const Shape& input) {
  const int64_t channels = model.options().in_channels;
  if (input.size() != 4 || input[0] < 1 || input[1] != channels || input[2] < 1 || input[3] < 1)
    throw ShapeError("engine", cat("expects an input shape (N, ", channels, ", H, W), got ", to_string(input)));
  Walk walk(input);
  int x = walk.conv(model, "", "conv1", "bn1", 0, true);
  // ResNet's max-pool is always MaxPool2d(3, 2, 1), and its average pool global (output 1x1).
  x = walk.pool(Node::Kind::MaxPool, "maxpool", x, {3, 3}, {2, 2}, {1, 1});
  for (int i = 1; i <= 4; ++i) {
    const nn::Sequential& stage = model.stage(i);
    const std::string path = "layer" + std::to_string(i) + ".";
    for (const auto& [name, block] : stage.children()) x = walk.block(*block, path + name + ".", x);
  }
  const int64_t h = walk.shape(x)[2], w = walk.shape(x)[3];
  x = walk.pool(Node::Kind::AvgPool, "avgpool", x, {h, w}, {h, w}, {0, 0});
  // Dropout is the identity in eval mode, and compile takes only eval-mode models.
  return walk.finish(walk.linear(child<nn::Linear>(model, "", "fc"), x));
}

}  // namespace lucid::engine
