// linear's backward as two row-major sgemm calls (oneDNN's gemm; the inner-product backward
// primitives would compute the same products behind a forward hint).
#include "backend/cpu/column_sums.h"
#include "backend/cpu/cpu.h"
#include "backend/cpu/dnnl_context.h"
#include "lucid/error.h"

namespace lucid::backend::cpu {
namespace {

void check(dnnl::status status) {
  if (status != dnnl::status::success)
    throw Error("linear_backward", cat("oneDNN sgemm failed (status ", static_cast<int>(status), ")"));
}

}  // namespace

// x (N,in), weight (out,in), dy (N,out): dx = dy weight, dweight = dy^T x, dbias = column sums of dy.
void linear_backward(const Tensor& x, const Tensor& weight, const Tensor& dy, Tensor& dx, Tensor& dweight,
                     Tensor& dbias) {
  const int64_t n = x.size(0), in = x.size(1), out = weight.size(0);
  const float* gp = dy.data<float>();
  if (dx.defined())
    check(dnnl::sgemm('N', 'N', n, in, out, 1.0f, gp, out, weight.data<float>(), in, 0.0f, dx.data<float>(), in));
  if (dweight.defined())
    check(dnnl::sgemm('T', 'N', out, in, n, 1.0f, gp, out, x.data<float>(), in, 0.0f, dweight.data<float>(), in));
  if (dbias.defined()) column_sums(gp, n, out, dbias.data<float>());
}

}  // namespace lucid::backend::cpu
