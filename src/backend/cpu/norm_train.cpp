// Training batch norm and its backward as OpenMP loops, one channel (or block of channels) per
// iteration so a channel's passes (sum, squared deviations, normalize; or the two sums and dx)
// reread it from cache. oneDNN 2.6 has only its generic ncsp kernel for plain NCHW batch norm,
// and the blocked jit kernel would cost two reorders each way. Runs are summed in float (they
// vectorize) and added up in double.
#include <algorithm>
#include <cmath>

#include "backend/cpu/cpu.h"

namespace lucid::backend::cpu {
namespace {

// x (N,C,inner): channel ch of sample n is the run at (n*C + ch) * inner.
struct Layout {
  int64_t n, c, inner;
  double count() const { return double(n * inner); }
};
Layout layout_of(const Tensor& x) { return {x.size(0), x.size(1), x.numel() / (x.size(0) * x.size(1))}; }

const float* optional_data(const Tensor& t) { return t.defined() ? t.data<float>() : nullptr; }

// With inner == 1, x is (N,C) rows: a block of channels is summed row by row, along memory.
constexpr int64_t kBlock = 64;

// ---- Forward: mean, biased variance, then y = x * scale + shift per channel ----

void train_runs(const Layout& l, const float* x, const float* w, const float* b, float eps, float* y, float* mean,
                float* var) {
#pragma omp parallel for schedule(static)
  for (int64_t ch = 0; ch < l.c; ++ch) {
    double sum = 0.0;
    for (int64_t n = 0; n < l.n; ++n) {
      const float* p = x + (n * l.c + ch) * l.inner;
      float s = 0.0f;
#pragma omp simd reduction(+ : s)
      for (int64_t k = 0; k < l.inner; ++k) s += p[k];
      sum += s;
    }
    const double mu = sum / l.count();
    const float m = float(mu);
    double squares = 0.0;
    for (int64_t n = 0; n < l.n; ++n) {
      const float* p = x + (n * l.c + ch) * l.inner;
      float s = 0.0f;
#pragma omp simd reduction(+ : s)
      for (int64_t k = 0; k < l.inner; ++k) s += (p[k] - m) * (p[k] - m);
      squares += s;
    }
    const double v = squares / l.count();
    mean[ch] = m;
    var[ch] = float(v);
    const double s = (w ? w[ch] : 1.0) / std::sqrt(v + eps);
    const float scale = float(s), shift = float((b ? b[ch] : 0.0) - mu * s);
    for (int64_t n = 0; n < l.n; ++n) {
      const float* p = x + (n * l.c + ch) * l.inner;
      float* q = y + (n * l.c + ch) * l.inner;
#pragma omp simd
      for (int64_t k = 0; k < l.inner; ++k) q[k] = p[k] * scale + shift;
    }
  }
}

void train_rows(const Layout& l, const float* x, const float* w, const float* b, float eps, float* y, float* mean,
                float* var) {
#pragma omp parallel for schedule(static)
  for (int64_t c0 = 0; c0 < l.c; c0 += kBlock) {
    const int64_t width = std::min(kBlock, l.c - c0);
    double sum[kBlock] = {}, squares[kBlock] = {};
    float scale[kBlock], shift[kBlock];
    for (int64_t n = 0; n < l.n; ++n)
      for (int64_t j = 0; j < width; ++j) sum[j] += x[n * l.c + c0 + j];
    for (int64_t j = 0; j < width; ++j) sum[j] /= l.count();  // now the mean
    for (int64_t n = 0; n < l.n; ++n)
      for (int64_t j = 0; j < width; ++j) {
        const double d = x[n * l.c + c0 + j] - sum[j];
        squares[j] += d * d;
      }
    for (int64_t j = 0; j < width; ++j) {
      const int64_t ch = c0 + j;
      const double v = squares[j] / l.count();
      mean[ch] = float(sum[j]);
      var[ch] = float(v);
      const double s = (w ? w[ch] : 1.0) / std::sqrt(v + eps);
      scale[j] = float(s);
      shift[j] = float((b ? b[ch] : 0.0) - sum[j] * s);
    }
    for (int64_t n = 0; n < l.n; ++n)
#pragma omp simd
      for (int64_t j = 0; j < width; ++j) y[n * l.c + c0 + j] = x[n * l.c + c0 + j] * scale[j] + shift[j];
  }
}

// ---- Backward: with xhat = (x - mean) * invstd over a channel's M values,
// dbias = sum dy, dweight = sum dy * xhat, dx = k1 * dy + k2 * x + k3 where
// k1 = weight * invstd, k2 = -k1 * invstd * dweight / M, k3 = -k1 * dbias / M - k2 * mean.

struct Coefficients {
  float k1, k2, k3;
};

Coefficients coefficients(double weight, double mu, double invstd, double sum_dy, double sum_dy_xhat, double count) {
  const double k1 = weight * invstd, k2 = -k1 * invstd * sum_dy_xhat / count;
  return {float(k1), float(k2), float(-k1 * sum_dy / count - k2 * mu)};
}

struct Grads {
  float *dx, *dweight, *dbias;  // each may be null
};

void backward_runs(const Layout& l, const float* x, const float* dy, const float* mean, const float* var,
                   const float* w, float eps, Grads g) {
#pragma omp parallel for schedule(static)
  for (int64_t ch = 0; ch < l.c; ++ch) {
    const float m = mean[ch];
    const double invstd = 1.0 / std::sqrt(double(var[ch]) + eps);
    double sum_dy = 0.0, sum_dy_dev = 0.0;
    for (int64_t n = 0; n < l.n; ++n) {
      const int64_t at = (n * l.c + ch) * l.inner;
      const float* p = x + at;
      const float* d = dy + at;
      float s = 0.0f, t = 0.0f;
#pragma omp simd reduction(+ : s, t)
      for (int64_t k = 0; k < l.inner; ++k) {
        s += d[k];
        t += d[k] * (p[k] - m);
      }
      sum_dy += s;
      sum_dy_dev += t;
    }
    const double sum_dy_xhat = sum_dy_dev * invstd;
    if (g.dbias) g.dbias[ch] = float(sum_dy);
    if (g.dweight) g.dweight[ch] = float(sum_dy_xhat);
    if (!g.dx) continue;
    const auto [k1, k2, k3] = coefficients(w ? w[ch] : 1.0, m, invstd, sum_dy, sum_dy_xhat, l.count());
    for (int64_t n = 0; n < l.n; ++n) {
      const int64_t at = (n * l.c + ch) * l.inner;
      const float* p = x + at;
      const float* d = dy + at;
      float* q = g.dx + at;
#pragma omp simd
      for (int64_t k = 0; k < l.inner; ++k) q[k] = k1 * d[k] + k2 * p[k] + k3;
    }
  }
}

void backward_rows(const Layout& l, const float* x, const float* dy, const float* mean, const float* var,
                   const float* w, float eps, Grads g) {
#pragma omp parallel for schedule(static)
  for (int64_t c0 = 0; c0 < l.c; c0 += kBlock) {
    const int64_t width = std::min(kBlock, l.c - c0);
    double sum_dy[kBlock] = {}, sum_dy_dev[kBlock] = {};
    float k1[kBlock], k2[kBlock], k3[kBlock];
    for (int64_t n = 0; n < l.n; ++n)
      for (int64_t j = 0; j < width; ++j) {
        const int64_t i = n * l.c + c0 + j;
        sum_dy[j] += dy[i];
        sum_dy_dev[j] += double(dy[i]) * (x[i] - mean[c0 + j]);
      }
    for (int64_t j = 0; j < width; ++j) {
      const int64_t ch = c0 + j;
      const double invstd = 1.0 / std::sqrt(double(var[ch]) + eps);
      const double sum_dy_xhat = sum_dy_dev[j] * invstd;
      if (g.dbias) g.dbias[ch] = float(sum_dy[j]);
      if (g.dweight) g.dweight[ch] = float(sum_dy_xhat);
      const Coefficients k = coefficients(w ? w[ch] : 1.0, mean[ch], invstd, sum_dy[j], sum_dy_xhat, l.count());
      k1[j] = k.k1, k2[j] = k.k2, k3[j] = k.k3;
    }
    if (!g.dx) continue;
    for (int64_t n = 0; n < l.n; ++n)
#pragma omp simd
      for (int64_t j = 0; j < width; ++j) {
        const int64_t i = n * l.c + c0 + j;
        g.dx[i] = k1[j] * dy[i] + k2[j] * x[i] + k3[j];
      }
  }
}

float* optional_out(Tensor& t) { return t.defined() ? t.data<float>() : nullptr; }

}  // namespace

void batch_norm_train(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps, Tensor& y, Tensor& mean,
                      Tensor& var) {
  const Layout l = layout_of(x);
  auto run = l.inner == 1 ? train_rows : train_runs;
  run(l, x.data<float>(), optional_data(weight), optional_data(bias), eps, y.data<float>(), mean.data<float>(),
      var.data<float>());
}

void batch_norm_backward(const Tensor& x, const Tensor& dy, const Tensor& mean, const Tensor& var,
                         const Tensor& weight, float eps, Tensor& dx, Tensor& dweight, Tensor& dbias) {
  const Layout l = layout_of(x);
  auto run = l.inner == 1 ? backward_rows : backward_runs;
  run(l, x.data<float>(), dy.data<float>(), mean.data<float>(), var.data<float>(), optional_data(weight), eps,
      {optional_out(dx), optional_out(dweight), optional_out(dbias)});
}

}  // namespace lucid::backend::cpu
