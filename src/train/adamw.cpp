#include <cmath>

#include "backend/kernels.h"
#include "lucid/error.h"
#include "lucid/train/optimizer.h"
#include "train/json_field.h"

namespace lucid::train {

Adamw::Adamw(const nn::NamedTensors& parameters, const AdamwOptions& options)
    : Optimizer(parameters, options.lr, options.weight_decay, options.exclude_norm_and_bias),
      beta1_(options.beta1),
      beta2_(options.beta2),
      eps_(options.eps) {
  check_non_negative("lr", options.lr);
  check_non_negative("weight_decay", options.weight_decay);
  check(beta1_, beta2_, eps_);
}

void Adamw::check(double beta1, double beta2, double eps) const {
  for (double beta : {beta1, beta2})
    if (!(beta >= 0 && beta < 1)) throw ValueError("adamw", cat("betas must be in [0, 1), got ", beta));
  check_non_negative("eps", eps);
}

void Adamw::set_momentum(double beta1) {
  check(beta1, beta2_, eps_);
  beta1_ = beta1;
}

void Adamw::update(Tensor& param, const Tensor& grad, std::vector<Tensor>& state, double weight_decay) {
  if (state.empty())
    state = {Tensor::zeros(param.shape(), param.dtype(), param.device()),
             Tensor::zeros(param.shape(), param.dtype(), param.device()), Tensor::zeros({}, DType::I64)};
  int64_t& count = state[2].data<int64_t>()[0];  // this parameter's updates: it may have skipped steps
  backend::AdamwStep step;
  step.lr = lr();
  step.beta1 = beta1_;
  step.beta2 = beta2_;
  step.eps = eps_;
  step.weight_decay = weight_decay;
  step.step = ++count;
  backend::kernels_for(param.device()).adamw_step(param, grad, state[0], state[1], step);
}

nlohmann::json Adamw::hyper_json() const { return {{"beta1", beta1_}, {"beta2", beta2_}, {"eps", eps_}}; }

void Adamw::check_hyper(const nlohmann::json& hyper) const {
  constexpr const char* kWhat = "optimizer state";
  check(json_field<double>("adamw", kWhat, hyper, "beta1"), json_field<double>("adamw", kWhat, hyper, "beta2"),
        json_field<double>("adamw", kWhat, hyper, "eps"));
}

void Adamw::set_hyper(const nlohmann::json& hyper) {
  check_hyper(hyper);
  beta1_ = hyper["beta1"];
  beta2_ = hyper["beta2"];
  eps_ = hyper["eps"];
}

}  // namespace lucid::train
