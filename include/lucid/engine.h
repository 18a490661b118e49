// The inference engine: compile(model, input_shape) turns an eval-mode ResNet/ResNeXt into a Plan
// that runs oneDNN primitives with BatchNorm folded into the convolutions, ReLU and the residual
// add fused as post-ops, activations kept in the blocked layouts oneDNN picks from stem to pool,
// weights reordered once, and every activation placed in one arena reused by liveness.
//
// The plan holds its own (folded, blocked) copy of every weight and nothing of the model, so the
// model may be freed once compile returns; a later change to the model is not seen by the plan.
// One plan runs one call at a time (its arena is shared): a run while another is in progress on
// another thread throws ValueError. Compile one plan per concurrent caller.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lucid/models/resnet.h"
#include "lucid/tensor.h"

namespace lucid::engine {

struct CompileOptions {
  int threads = 0;                  // OpenMP threads the plan runs with; 0: the process's count at compile
  std::string precision = "fp32";  // "fp32", or "bf16" (needs a CPU with AVX512_BF16; on other
                                    // AVX-512 CPUs LUCID_BF16_EMULATION=1 lets oneDNN emulate it, slowly)
};

// What compile built, for reports and tests.
struct PlanStats {
  int primitives = 0;                  // primitives executed per run, reorders included
  int convolutions = 0;
  std::map<std::string, int> reorders; // per run, by kind: "input", "activation", "residual"
  int reorder_count() const;
  size_t arena_bytes = 0;              // the one activation buffer
  size_t activation_bytes = 0;         // every activation's bytes summed: the arena without reuse
  size_t peak_live_bytes = 0;          // the most activation bytes alive at one step (a floor for the arena)
  size_t scratchpad_bytes = 0;         // oneDNN's per-primitive scratch, one buffer shared by all
  size_t weight_bytes = 0;             // folded, reordered weights and biases the plan owns
  int64_t macs = 0;                    // multiply-accumulates per run (convolutions and the classifier)
  bool bf16_emulated = false;          // bf16 on oneDNN's emulation (LUCID_BF16_EMULATION=1), not the CPU's
};

// One step of a plan and its time, from Plan::profile.
struct StepProfile {
  std::string name, kind, impl;  // as describe() prints them
  int64_t macs = 0;              // multiply-accumulates: convolutions and the classifier, else 0
  double ms = 0;                 // the median over the profiled runs
};

class Plan {
 public:
  Plan(Plan&&) noexcept;
  Plan& operator=(Plan&&) noexcept;
  ~Plan();

  // x (N, C, H, W) F32 of exactly the compiled shape -> logits (N, num_classes). ShapeError otherwise.
  Tensor run(const Tensor& x);

  const Shape& input_shape() const;
  const Shape& output_shape() const;
  const std::string& precision() const;
  const PlanStats& stats() const;
  // One line per primitive: name, kind, oneDNN implementation, source and destination layouts.
  std::string describe() const;
  // Runs x `runs` times as run() does, timing each step on its own: one entry per step, in order.
  std::vector<StepProfile> profile(const Tensor& x, int runs);

  struct Impl;

 private:
  explicit Plan(std::unique_ptr<Impl> impl);
  friend Plan compile(const models::ResNet& model, const Shape& input_shape, const CompileOptions& options,
                      bool release_weights);
  std::unique_ptr<Impl> impl_;
};

// Throws ValueError for a model in training mode (any module) or an unknown precision,
// ShapeError for an input shape the model cannot take, UnsupportedError for bf16 on a CPU
// without AVX512_BF16.
Plan compile(const models::ResNet& model, const Shape& input_shape, const CompileOptions& options = {});
// As compile, but frees each of the model's weights as soon as the plan holds its copy, so that
// peak memory stays near one copy of the weights. The model cannot run afterwards.
Plan compile_consuming(models::ResNet& model, const Shape& input_shape, const CompileOptions& options = {});

}  // namespace lucid::engine
