// Optimizers as torch.optim computes them (SGD, AdamW), over a model's named parameters.
// Hyper-parameters are doubles, as torch's Python floats; each update runs as one fused kernel
// pass per parameter tensor (backend::Kernels::sgd_step / adamw_step).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lucid/io/tensor_source.h"
#include "lucid/nn/module.h"

namespace lucid::train {

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // "sgd" or "adamw": the tag of its errors and the type recorded in its state.
  virtual const char* name() const = 0;

  // One update of every parameter that has a gradient; the others are skipped, as torch does.
  // Records nothing for autograd.
  void step();
  // Clears every parameter's gradient (set_grad(Tensor())).
  void zero_grad();

  double lr() const { return lr_; }
  void set_lr(double lr);
  // SGD's momentum or AdamW's beta1: what a one-cycle schedule cycles.
  virtual double momentum() const = 0;
  virtual void set_momentum(double momentum) = 0;
  // step() calls so far.
  int64_t steps() const { return steps_; }

  // The parameters it updates (those that required grad when it was made), with their names.
  const nn::NamedTensors& parameters() const { return params_; }
  // The weight decay applied to parameters()[index]: 0 for tensors of dim <= 1 when norm and
  // bias parameters are excluded (timm's rule).
  double weight_decay(size_t index) const;

  // Per-parameter state for checkpoints, named "<slot>.<parameter>", e.g.
  // "momentum_buffer.layer1.0.conv1.weight"; parameters not yet updated have none.
  nn::NamedTensors state_tensors() const;
  // {"type", "hyper" (this optimizer's hyper-parameters), "steps", "parameters" (count)}.
  nlohmann::json state_json() const;
  // Restores both; hyper-parameters and step count come from the state, as torch's
  // load_state_dict does. Checks everything before changing anything: ValueError naming the
  // first unknown, missing or mismatched entry (and both shapes).
  void load_state(const io::TensorSource& tensors, const nlohmann::json& state);
  // Throws what load_state would, changing nothing.
  void check_state(const io::TensorSource& tensors, const nlohmann::json& state) const;

 protected:
  // Keeps the parameters that require grad (a frozen backbone's are left out).
  Optimizer(const nn::NamedTensors& parameters, double lr, double weight_decay, bool exclude_norm_and_bias);

  // The state tensors a parameter has once updated (SGD without momentum: none), in a fixed
  // order: tensors shaped like the parameter, or a step counter (an I64 scalar).
  struct Slot {
    std::string name;
    bool counter = false;
  };
  virtual std::vector<Slot> slots() const = 0;
  // One update of param from grad; state is empty until an update fills it with slots().
  virtual void update(Tensor& param, const Tensor& grad, std::vector<Tensor>& state, double weight_decay) = 0;
  // Hyper-parameters other than lr and weight decay. check_hyper throws ValueError naming the
  // first missing or bad one; set_hyper sets them once checked.
  virtual nlohmann::json hyper_json() const = 0;
  virtual void check_hyper(const nlohmann::json& hyper) const = 0;
  virtual void set_hyper(const nlohmann::json& hyper) = 0;
  // Throws ValueError tagged with name() unless value is finite and >= 0.
  void check_non_negative(const char* what, double value) const;

 private:
  // The state tensor key of each parameter's each slot ("" where absent), after checking everything.
  std::vector<std::vector<std::string>> checked_state_keys(const io::TensorSource& tensors,
                                                           const nlohmann::json& state) const;

  double lr_;
  double weight_decay_;
  nn::NamedTensors params_;
  std::vector<std::vector<Tensor>> state_;  // per parameter: slots(), or empty before its first update
  bool exclude_norm_and_bias_;
  int64_t steps_ = 0;
};

struct SgdOptions {
  double lr = 0.1;
  double momentum = 0.0;
  double dampening = 0.0;
  double weight_decay = 0.0;
  bool nesterov = false;  // needs momentum > 0 and dampening 0
  bool exclude_norm_and_bias = false;
};

// torch.optim.SGD: d = g + wd p; buf = d on the first step, then momentum buf + (1 - dampening) d;
// d = nesterov ? d + momentum buf : buf; p -= lr d.
class Sgd : public Optimizer {
 public:
  Sgd(const nn::NamedTensors& parameters, const SgdOptions& options);
  const char* name() const override { return "sgd"; }
  double momentum() const override { return momentum_; }
  void set_momentum(double momentum) override;

 protected:
  std::vector<Slot> slots() const override { return {{"momentum_buffer"}}; }
  void update(Tensor& param, const Tensor& grad, std::vector<Tensor>& state, double weight_decay) override;
  nlohmann::json hyper_json() const override;
  void check_hyper(const nlohmann::json& hyper) const override;
  void set_hyper(const nlohmann::json& hyper) override;

 private:
  void check(double momentum, double dampening, bool nesterov) const;
  double momentum_, dampening_;
  bool nesterov_;
};

struct AdamwOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 1e-2;
  bool exclude_norm_and_bias = false;
};

// torch.optim.AdamW (amsgrad off): decoupled decay p *= 1 - lr wd, then Adam with bias corrections.
class Adamw : public Optimizer {
 public:
  Adamw(const nn::NamedTensors& parameters, const AdamwOptions& options);
  const char* name() const override { return "adamw"; }
  double momentum() const override { return beta1_; }
  void set_momentum(double beta1) override;

 protected:
  std::vector<Slot> slots() const override { return {{"exp_avg"}, {"exp_avg_sq"}, {"step", true}}; }
  void update(Tensor& param, const Tensor& grad, std::vector<Tensor>& state, double weight_decay) override;
  nlohmann::json hyper_json() const override;
  void check_hyper(const nlohmann::json& hyper) const override;
  void set_hyper(const nlohmann::json& hyper) override;

 private:
  void check(double beta1, double beta2, double eps) const;
  double beta1_, beta2_, eps_;
};

}  // namespace lucid::train
