// cross_entropy = log_softmax over classes, then the label-smoothed negative log-likelihood
// (nll_loss), each with its own node.
#include "backend/kernels.h"
#include "lucid/autograd.h"
#include "lucid/error.h"
#include "lucid/ops.h"
#include "ops/check.h"

namespace lucid::ops {
namespace {

struct NllLossBackward : autograd::Node {
  Tensor labels;  // a copy: a loader may refill its label buffer before backward runs
  Shape logp_shape;
  float smoothing;
  const char* name() const override { return "NllLossBackward"; }
  std::vector<Tensor> backward(const Tensor& dloss) override {
    Tensor dlogp = Tensor::empty(logp_shape, DType::F32, dloss.device());
    backend::kernels_for(dloss.device()).nll_loss_backward(labels, smoothing, dloss, dlogp);
    return {dlogp};
  }
};

// labels: I64 (N), each in [0, classes).
void check_labels(const char* op, const Tensor& labels, const Tensor& logits) {
  if (!labels.defined()) throw ValueError(op, "labels are undefined");
  if (labels.dtype() != DType::I64)
    throw ValueError(op, cat("labels must be I64 class indices, got ", dtype_name(labels.dtype())));
  detail::check_same_device(op, "labels", labels, logits);
  const int64_t n = logits.size(0), classes = logits.size(1);
  if (labels.shape() != Shape{n})
    throw ShapeError(op, cat("labels have shape ", to_string(labels.shape()), ", expected ", n,
                             " (one per row of logits ", to_string(logits.shape()), ")"));
  const int64_t* label = labels.data<int64_t>();
  for (int64_t i = 0; i < n; ++i)
    if (label[i] < 0 || label[i] >= classes)
      throw ValueError(op, cat("label ", label[i], " at index ", i, " is out of range for ", classes,
                               " classes (expected 0..", classes - 1, ")"));
}

}  // namespace

Tensor cross_entropy(const Tensor& logits, const Tensor& labels, float label_smoothing) {
  constexpr const char* op = "cross_entropy";
  detail::check_f32(op, "logits", logits);
  detail::check_rank(op, "logits", logits, 2, "(N,classes)");
  if (logits.size(0) < 1 || logits.size(1) < 1)
    throw ShapeError(op, cat("logits need at least one row and one class, got shape ", to_string(logits.shape())));
  check_labels(op, labels, logits);
  if (!(label_smoothing >= 0.0f && label_smoothing <= 1.0f))
    throw ValueError(op, cat("label_smoothing must be in [0, 1], got ", label_smoothing));

  Tensor logp = log_softmax(logits, 1);
  Tensor loss = Tensor::empty({}, DType::F32, logits.device());
  backend::kernels_for(logits.device()).nll_loss(logp, labels, label_smoothing, loss);
  if (autograd::needs_grad({&logp})) {
    auto node = std::make_shared<NllLossBackward>();
    node->labels = labels.clone(), node->logp_shape = logp.shape(), node->smoothing = label_smoothing;
    autograd::record(loss, std::move(node), {logp});
  }
  return loss;
}

}  // namespace lucid::ops
