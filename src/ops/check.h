// Input checks shared by the op front ends. Each throws "[op] ..." with the offending values:
// ShapeError for ranks and sizes, ValueError for options, UnsupportedError for dtypes.
#pragma once

#include <string>

#include "lucid/ops.h"
#include "lucid/tensor.h"

namespace lucid::ops::detail {

std::string to_string(Pair pair);  // "(3, 3)"

// what is defined, F32, and (when given) on device.
void check_f32(const char* op, const char* what, const Tensor& t);
void check_same_device(const char* op, const char* what, const Tensor& t, const Tensor& x);
void check_rank(const char* op, const char* what, const Tensor& t, int64_t rank, const char* layout);
// A per-channel vector: F32, on x's device, shape (length).
void check_vector(const char* op, const char* what, const Tensor& t, int64_t length,
                  const char* per, const Tensor& x);
// Both entries of pair are >= min.
void check_at_least(const char* op, const char* what, Pair pair, int64_t min);

}  // namespace lucid::ops::detail
