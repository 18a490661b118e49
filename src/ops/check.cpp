#include "ops/check.h"

#include "lucid/error.h"

namespace lucid::ops::detail {

std::string to_string(Pair pair) { return cat("(", pair[0], ", ", pair[1], ")"); }

void check_f32(const char* op, const char* what, const Tensor& t) {
  if (!t.defined()) throw ValueError(op, cat(what, " is undefined"));
  if (t.dtype() != DType::F32)
    throw UnsupportedError(op, cat(what, " must be F32, got ", dtype_name(t.dtype())));
}

void check_same_device(const char* op, const char* what, const Tensor& t, const Tensor& x) {
  if (t.device() != x.device())
    throw ValueError(op, cat(what, " is on ", lucid::to_string(t.device()), " but the input is on ",
                             lucid::to_string(x.device())));
}

void check_rank(const char* op, const char* what, const Tensor& t, int64_t rank, const char* layout) {
  if (t.dim() != rank)
    throw ShapeError(op, cat(what, " must be ", rank, "-D ", layout, ", got shape ",
                             lucid::to_string(t.shape())));
}

void check_vector(const char* op, const char* what, const Tensor& t, int64_t length,
                  const char* per, const Tensor& x) {
  check_f32(op, what, t);
  check_same_device(op, what, t, x);
  if (t.shape() != Shape{length})
    throw ShapeError(op, cat(what, " has shape ", lucid::to_string(t.shape()), ", expected ", length,
                             " (one per ", per, ")"));
}

void check_at_least(const char* op, const char* what, Pair pair, int64_t min) {
  if (pair[0] < min || pair[1] < min)
    throw ValueError(op, cat(what, " must be >= ", min, ", got ", to_string(pair)));
}

}  // namespace lucid::ops::detail
