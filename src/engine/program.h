// What compile builds: oneDNN primitives in execution order over values, each value a layout
// and a buffer. Private to src/engine (dnnl types).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "backend/cpu/dnnl_context.h"

namespace lucid::engine {

using dnnl::memory;

constexpr int kInputBuffer = -1;   // the caller's input tensor, bound per run
constexpr int kOutputBuffer = -2;  // the logits tensor run() returns, bound per run

struct Value {
  memory::desc desc;
  int buffer;  // index into Program::buffers, or kInputBuffer / kOutputBuffer
};

struct Buffer {
  size_t bytes = 0;
  int first = -1, last = -1;  // steps that write it first and read it last
};

// One primitive call.
struct Exec {
  std::string name;  // the module path, or what a reorder feeds: "layer1.0.conv1 <- input"
  std::string kind;  // "conv[+sum][+relu]", "reorder:<why>", "max_pool", "avg_pool", "inner_product"
  std::string impl;  // oneDNN's implementation name
  dnnl::primitive primitive;
  std::vector<std::pair<int, int>> values;        // (DNNL_ARG_*, value)
  std::vector<std::pair<int, memory>> constants;  // weights and biases, owned by the program
  memory::desc scratchpad;
  // A lucid kernel that runs instead of `primitive` (then empty), on the same bound arguments.
  std::function<void(const backend::cpu::Args&)> kernel = {};
  int64_t macs = 0;  // multiply-accumulates per run: convolutions and the classifier
};

struct Program {
  std::vector<Value> values;
  std::vector<Buffer> buffers;
  std::vector<Exec> steps;
  int input = -1, output = -1;  // values
  size_t weight_bytes = 0;
  int64_t macs = 0;
};

}  // namespace lucid::engine
