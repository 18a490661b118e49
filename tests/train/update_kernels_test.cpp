// The fused optimizer kernels: the OpenMP table against the reference loops, element for element.
#include <gtest/gtest.h>

#include <cstring>

#include "backend/kernels.h"

namespace lucid::backend {
namespace {

constexpr int64_t kSize = 100'003;  // not a multiple of any vector width or thread count

template <class T>
Tensor filled(DType dtype, uint64_t seed, double low, double high) {
  Tensor t = Tensor::empty({kSize}, dtype);
  T* p = t.data<T>();
  for (int64_t i = 0; i < kSize; ++i) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    p[i] = T(low + (high - low) * double(seed >> 11) * 0x1.0p-53);
  }
  return t;
}

bool same_bytes(const Tensor& a, const Tensor& b) { return std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0; }

template <class T>
void check_sgd(DType dtype, const SgdStep& step) {
  Tensor grad = filled<T>(dtype, 1, -1, 1);
  Tensor p_ref = filled<T>(dtype, 2, -1, 1), buf_ref = filled<T>(dtype, 3, -1, 1);
  Tensor p_cpu = p_ref.clone(), buf_cpu = buf_ref.clone();
  Tensor no_buffer;
  bool momentum = step.momentum != 0;
  reference_kernels().sgd_step(p_ref, grad, momentum ? buf_ref : no_buffer, step);
  cpu_kernels().sgd_step(p_cpu, grad, momentum ? buf_cpu : no_buffer, step);
  EXPECT_TRUE(same_bytes(p_ref, p_cpu));
  EXPECT_TRUE(same_bytes(buf_ref, buf_cpu));
  EXPECT_FALSE(same_bytes(p_ref, filled<T>(dtype, 2, -1, 1)));  // it did move
}

template <class T>
void check_adamw(DType dtype, const AdamwStep& step) {
  Tensor grad = filled<T>(dtype, 1, -1, 1);
  Tensor p_ref = filled<T>(dtype, 2, -1, 1), m_ref = filled<T>(dtype, 3, -0.1, 0.1), v_ref = filled<T>(dtype, 4, 0, 0.01);
  Tensor p_cpu = p_ref.clone(), m_cpu = m_ref.clone(), v_cpu = v_ref.clone();
  reference_kernels().adamw_step(p_ref, grad, m_ref, v_ref, step);
  cpu_kernels().adamw_step(p_cpu, grad, m_cpu, v_cpu, step);
  EXPECT_TRUE(same_bytes(p_ref, p_cpu));
  EXPECT_TRUE(same_bytes(m_ref, m_cpu));
  EXPECT_TRUE(same_bytes(v_ref, v_cpu));
}

TEST(UpdateKernels, SgdCpuEqualsReference) {
  const std::vector<SgdStep> steps = {
      {.lr = 0.1f, .weight_decay = 1e-4f},
      {.lr = 0.1f, .momentum = 0.9f, .weight_decay = 1e-4f, .first = true},
      {.lr = 0.05f, .momentum = 0.9f, .dampening = 0.1f},
      {.lr = 0.1f, .momentum = 0.9f, .weight_decay = 5e-4f, .nesterov = true},
  };
  for (size_t i = 0; i < steps.size(); ++i) {
    SCOPED_TRACE(i);
    check_sgd<float>(DType::F32, steps[i]);
    check_sgd<double>(DType::F64, steps[i]);
  }
}

TEST(UpdateKernels, AdamwCpuEqualsReference) {
  for (int64_t t : {1, 7}) {
    SCOPED_TRACE(t);
    AdamwStep step{.lr = 1e-3f, .weight_decay = 0.05f, .step = t};
    check_adamw<float>(DType::F32, step);
    check_adamw<double>(DType::F64, step);
  }
}

}  // namespace
}  // namespace lucid::backend
