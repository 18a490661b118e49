#include "backend/kernels.h"
#include "lucid/error.h"
#include "lucid/train/optimizer.h"
#include "train/json_field.h"

namespace lucid::train {

Sgd::Sgd(const nn::NamedTensors& parameters, const SgdOptions& options)
    : Optimizer(parameters, options.lr, options.weight_decay, options.exclude_norm_and_bias),
      momentum_(options.momentum),
      dampening_(options.dampening),
      nesterov_(options.nesterov) {
  check_non_negative("lr", options.lr);
  check_non_negative("weight_decay", options.weight_decay);
  check(momentum_, dampening_, nesterov_);
}

void Sgd::check(double momentum, double dampening, bool nesterov) const {
  check_non_negative("momentum", momentum);
  check_non_negative("dampening", dampening);
  if (nesterov && (momentum == 0 || dampening != 0))
    throw ValueError("sgd", cat("nesterov needs momentum > 0 and dampening 0, got momentum ", momentum,
                                " and dampening ", dampening));
}

void Sgd::set_momentum(double momentum) {
  check(momentum, dampening_, nesterov_);
  momentum_ = momentum;
}

void Sgd::update(Tensor& param, const Tensor& grad, std::vector<Tensor>& state, double weight_decay) {
  backend::SgdStep step;
  step.lr = lr();
  step.momentum = momentum_;
  step.dampening = dampening_;
  step.weight_decay = weight_decay;
  step.nesterov = nesterov_;
  Tensor no_buffer;
  // As torch: no buffer while momentum is 0; the first update with momentum starts it.
  if (momentum_ != 0 && state.empty()) {
    state.push_back(Tensor::empty(param.shape(), param.dtype(), param.device()));
    step.first = true;
  }
  backend::kernels_for(param.device()).sgd_step(param, grad, momentum_ != 0 ? state[0] : no_buffer, step);
}

nlohmann::json Sgd::hyper_json() const {
  return {{"momentum", momentum_}, {"dampening", dampening_}, {"nesterov", nesterov_}};
}

void Sgd::check_hyper(const nlohmann::json& hyper) const {
  constexpr const char* kWhat = "optimizer state";
  check(json_field<double>("sgd", kWhat, hyper, "momentum"), json_field<double>("sgd", kWhat, hyper, "dampening"),
        json_field<bool>("sgd", kWhat, hyper, "nesterov"));
}

void Sgd::set_hyper(const nlohmann::json& hyper) {
  check_hyper(hyper);
  momentum_ = hyper["momentum"];
  dampening_ = hyper["dampening"];
  nesterov_ = hyper["nesterov"];
}

}  // namespace lucid::train
