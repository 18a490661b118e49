// The training ops' front-end checks: each throws its error type, tagged with the op and the
// offending values.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "lucid/error.h"
#include "lucid/ops.h"
#include "ops/message_of.h"

namespace lucid {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

using testing::message_of;

Tensor labels_of(std::vector<int64_t> values, Shape shape) {
  Tensor t = Tensor::empty(shape, DType::I64);
  for (size_t i = 0; i < values.size(); ++i) t.data<int64_t>()[i] = values[i];
  return t;
}

Tensor logits() { return Tensor::zeros({3, 5}); }

TEST(TrainingOpsErrors, CrossEntropyLabelOutOfRange) {
  EXPECT_THAT(message_of<ValueError>([] { ops::cross_entropy(logits(), labels_of({0, 5, 1}, {3})); }),
              AllOf(HasSubstr("[cross_entropy]"), HasSubstr("label 5 at index 1"), HasSubstr("5 classes")));
  EXPECT_THAT(message_of<ValueError>([] { ops::cross_entropy(logits(), labels_of({0, 1, -1}, {3})); }),
              HasSubstr("label -1 at index 2 is out of range for 5 classes (expected 0..4)"));
}

TEST(TrainingOpsErrors, CrossEntropyLabelDtypeAndShape) {
  EXPECT_THAT(message_of<ValueError>([] { ops::cross_entropy(logits(), Tensor::zeros({3})); }),
              HasSubstr("[cross_entropy] labels must be I64 class indices, got F32"));
  EXPECT_THAT(message_of<ShapeError>([] { ops::cross_entropy(logits(), labels_of({0, 1, 2, 3}, {4})); }),
              HasSubstr("labels have shape 4, expected 3 (one per row of logits 3x5)"));
  EXPECT_THAT(message_of<ShapeError>([] { ops::cross_entropy(logits(), labels_of({0, 1, 2}, {3, 1})); }),
              HasSubstr("labels have shape 3x1, expected 3"));
  EXPECT_THAT(message_of<ValueError>([] { ops::cross_entropy(logits(), Tensor()); }),
              HasSubstr("[cross_entropy] labels are undefined"));
}

TEST(TrainingOpsErrors, CrossEntropyLogitsAndSmoothing) {
  const Tensor labels = labels_of({0, 1, 2}, {3});
  EXPECT_THAT(message_of<ShapeError>([&] { ops::cross_entropy(Tensor::zeros({3, 5, 2}), labels); }),
              HasSubstr("[cross_entropy] logits must be 2-D (N,classes), got shape 3x5x2"));
  EXPECT_THAT(message_of<ShapeError>([&] { ops::cross_entropy(Tensor::zeros({0, 5}), labels_of({}, {0})); }),
              HasSubstr("logits need at least one row and one class, got shape 0x5"));
  EXPECT_THAT(message_of<ValueError>([&] { ops::cross_entropy(logits(), labels, 1.5f); }),
              HasSubstr("[cross_entropy] label_smoothing must be in [0, 1], got 1.5"));
}

TEST(TrainingOpsErrors, MulShapes) {
  EXPECT_THAT(message_of<ShapeError>([] { ops::mul(Tensor::zeros({2, 3}), Tensor::zeros({3, 2})); }),
              HasSubstr("[mul] shapes differ: 2x3 vs 3x2"));
  EXPECT_THAT(message_of<UnsupportedError>([] { ops::mul(Tensor::zeros({2}), Tensor::zeros({2}, DType::I64)); }),
              HasSubstr("[mul] second input must be F32, got I64"));
}

TEST(TrainingOpsErrors, BatchNormTrain) {
  Tensor mean = Tensor::zeros({4}), var = Tensor::full({4}, 1.0f), none;
  auto train = [&](const Tensor& x, Tensor& running_mean, const Tensor& weight, float momentum) {
    ops::batch_norm_train(x, running_mean, var, weight, none, momentum, 1e-5f);
  };
  EXPECT_THAT(message_of<ValueError>([&] { train(Tensor::zeros({1, 4, 1, 1}), mean, none, 0.1f); }),
              HasSubstr("[batch_norm_train] expected more than 1 value per channel in training mode, got input "
                        "shape 1x4x1x1"));
  Tensor short_mean = Tensor::zeros({3});
  EXPECT_THAT(message_of<ShapeError>([&] { train(Tensor::zeros({2, 4, 3, 3}), short_mean, none, 0.1f); }),
              HasSubstr("[batch_norm_train] running_mean has shape 3, expected 4 (one per channel)"));
  EXPECT_THAT(message_of<ShapeError>([&] { train(Tensor::zeros({2, 4, 3, 3}), mean, Tensor::zeros({5}), 0.1f); }),
              HasSubstr("weight has shape 5, expected 4"));
  EXPECT_THAT(message_of<ValueError>([&] { train(Tensor::zeros({2, 4, 3, 3}), mean, none, 1.5f); }),
              HasSubstr("[batch_norm_train] momentum must be in [0, 1], got 1.5"));
  EXPECT_THAT(message_of<ShapeError>([&] { train(Tensor::zeros({8}), mean, none, 0.1f); }),
              HasSubstr("input must be 2-D to 5-D (N,C,...), got shape 8"));
}

TEST(TrainingOpsErrors, LogSoftmaxAxis) {
  EXPECT_THAT(message_of<ShapeError>([] { ops::log_softmax(Tensor::zeros({2, 3}), 2); }),
              HasSubstr("[log_softmax] axis 2 out of range for a 2-D tensor (shape 2x3)"));
}

TEST(TrainingOpsErrors, BackwardGradientShape) {
  Tensor x = Tensor::zeros({2, 3}).set_requires_grad();
  Tensor y = ops::relu(x);
  EXPECT_THAT(message_of<ShapeError>([&] { y.backward(Tensor::zeros({3, 2})); }), HasSubstr("[backward]"));
}

}  // namespace
}  // namespace lucid
