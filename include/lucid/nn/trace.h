// A trace records every module call made while it is alive (on this thread): the module, its
// output shape. `lucid summary` builds its table from one traced forward pass.
#pragma once

#include <vector>

#include "lucid/nn/module.h"

namespace lucid::nn {

struct TracedCall {
  const Module* module;
  Shape output;
};

class Trace {
 public:
  Trace();
  ~Trace();
  Trace(const Trace&) = delete;
  Trace& operator=(const Trace&) = delete;
  const std::vector<TracedCall>& calls() const { return calls_; }

  static Trace* active();  // the innermost live trace of this thread, or nullptr
  void record(const Module* module, const Shape& output) { calls_.push_back({module, output}); }

 private:
  std::vector<TracedCall> calls_;
  Trace* outer_;
};

}  // namespace lucid::nn
