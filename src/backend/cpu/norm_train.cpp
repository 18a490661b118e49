// Training batch norm and its backward as OpenMP loops, one channel (or block of channels) per
// task so a channel's passes (sum, squared deviations, normalize; or the two sums, then dx)
// reread it from cache. oneDNN 2.6 has only its generic ncsp kernel for plain NCHW batch norm,
// and its blocked jit kernel would cost two reorders each way. Runs are summed in float (they
// vectorize) and added up in double.
#include <algorithm>
#include <cmath>

#include "backend/cpu/cpu.h"
#include "backend/cpu/simd.h"

namespace lucid::backend::cpu {
namespace {

// x (N,C,inner): channel ch of sample n is the run at (n*C + ch) * inner.
struct Layout {
  int64_t n, c, inner;
  double count() const { return double(n * inner); }
  int64_t at(int64_t sample, int64_t ch) const { return (sample * c + ch) * inner; }
};
Layout layout_of(const Tensor& x) { return {x.size(0), x.size(1), x.numel() / (x.size(0) * x.size(1))}; }

// Small planes (inner < kBlock: 4x4, 2x2, 1x1) are summed as blocks of whole channels, row
// by row: sample n's part of a block is one contiguous run of kBlock columns at most, and each
// column gets its own accumulator, so the loops run along memory with no horizontal sums.
constexpr int64_t kBlock = 64;

struct Block {
  int64_t c0, channels, width;  // first channel, channel count, columns (channels * inner)
  Block(const Layout& l, int64_t first)
      : c0(first), channels(std::min(kBlock / l.inner, l.c - first)), width(channels * l.inner) {}
  int64_t offset(const Layout& l, int64_t n) const { return l.at(n, c0); }  // of row n
};

// The sum of channel ch's columns.
double channel_sum(const double* column, int64_t ch, int64_t inner) {
  double sum = 0.0;
  for (int64_t k = 0; k < inner; ++k) sum += column[ch * inner + k];
  return sum;
}

// per_column[j] = per_channel[j / inner]: column j belongs to the block's channel j / inner.
template <class T>
void spread(const T* per_channel, const Block& b, int64_t inner, T* per_column) {
  for (int64_t j = 0; j < b.width; ++j) per_column[j] = per_channel[j / inner];
}

const float* optional_in(const Tensor& t) { return t.defined() ? t.data<float>() : nullptr; }
float* optional_out(Tensor& t) { return t.defined() ? t.data<float>() : nullptr; }

struct Forward {
  const float *x, *weight, *bias;  // weight, bias may be null
  float eps;
  float *y, *mean, *var;
};

// Given a channel's mean and biased variance: y = x * scale + shift.
void affine(const Forward& f, int64_t ch, double mu, double var, float& scale, float& shift) {
  const double s = (f.weight ? f.weight[ch] : 1.0) / std::sqrt(var + f.eps);
  f.mean[ch] = float(mu), f.var[ch] = float(var);
  scale = float(s), shift = float((f.bias ? f.bias[ch] : 0.0) - mu * s);
}

// Two passes for the statistics (mean, then squared deviations: no cancellation), one to normalize.
LUCID_SIMD_CLONES void train_channel(const Layout& l, const Forward& f, int64_t ch) {
  double sum = 0.0;
  for (int64_t n = 0; n < l.n; ++n) {
    const float* p = f.x + l.at(n, ch);
    float s = 0.0f;
#pragma omp simd reduction(+ : s)
    for (int64_t k = 0; k < l.inner; ++k) s += p[k];
    sum += s;
  }
  const double mu = sum / l.count();
  const float m = float(mu);
  double squares = 0.0;
  for (int64_t n = 0; n < l.n; ++n) {
    const float* p = f.x + l.at(n, ch);
    float s = 0.0f;
#pragma omp simd reduction(+ : s)
    for (int64_t k = 0; k < l.inner; ++k) s += (p[k] - m) * (p[k] - m);
    squares += s;
  }
  float scale, shift;
  affine(f, ch, mu, squares / l.count(), scale, shift);
  for (int64_t n = 0; n < l.n; ++n) {
    const float* p = f.x + l.at(n, ch);
    float* q = f.y + l.at(n, ch);
    for (int64_t k = 0; k < l.inner; ++k) q[k] = p[k] * scale + shift;
  }
}

LUCID_SIMD_CLONES void train_block(const Layout& l, const Forward& f, int64_t first) {
  const Block b(l, first);
  // Per column, and per channel of the block.
  double sums[kBlock] = {}, mean[kBlock], squares[kBlock] = {}, channel_mean[kBlock];
  float scale[kBlock], shift[kBlock], channel_scale[kBlock], channel_shift[kBlock];
  for (int64_t n = 0; n < l.n; ++n) {
    const float* x = f.x + b.offset(l, n);
    for (int64_t j = 0; j < b.width; ++j) sums[j] += x[j];
  }
  for (int64_t ch = 0; ch < b.channels; ++ch) channel_mean[ch] = channel_sum(sums, ch, l.inner) / l.count();
  spread(channel_mean, b, l.inner, mean);
  for (int64_t n = 0; n < l.n; ++n) {
    const float* x = f.x + b.offset(l, n);
    for (int64_t j = 0; j < b.width; ++j) squares[j] += (x[j] - mean[j]) * (x[j] - mean[j]);
  }
  for (int64_t ch = 0; ch < b.channels; ++ch)
    affine(f, b.c0 + ch, channel_mean[ch], channel_sum(squares, ch, l.inner) / l.count(), channel_scale[ch],
           channel_shift[ch]);
  spread(channel_scale, b, l.inner, scale);
  spread(channel_shift, b, l.inner, shift);
  for (int64_t n = 0; n < l.n; ++n) {
    const float* x = f.x + b.offset(l, n);
    float* y = f.y + b.offset(l, n);
    for (int64_t j = 0; j < b.width; ++j) y[j] = x[j] * scale[j] + shift[j];
  }
}

// Backward: with xhat = (x - mean) * invstd over a channel's M values, dbias = sum dy,
// dweight = sum dy * xhat, and dx = k1 * dy + k2 * x + k3 where k1 = weight * invstd,
// k2 = -k1 * invstd * dweight / M, k3 = -k1 * dbias / M - k2 * mean.
struct Backward {
  const float *x, *dy, *mean, *var, *weight;  // weight may be null
  float eps;
  float *dx, *dweight, *dbias;  // each may be null
};

struct Coefficients {
  float k1, k2, k3;
};

// Stores dweight and dbias from a channel's sums and returns dx's coefficients.
Coefficients finish(const Layout& l, const Backward& b, int64_t ch, double sum_dy, double sum_dy_dev) {
  const double invstd = 1.0 / std::sqrt(double(b.var[ch]) + b.eps);
  const double sum_dy_xhat = sum_dy_dev * invstd;
  if (b.dbias) b.dbias[ch] = float(sum_dy);
  if (b.dweight) b.dweight[ch] = float(sum_dy_xhat);
  const double k1 = (b.weight ? b.weight[ch] : 1.0) * invstd, k2 = -k1 * invstd * sum_dy_xhat / l.count();
  return {float(k1), float(k2), float(-k1 * sum_dy / l.count() - k2 * b.mean[ch])};
}

LUCID_SIMD_CLONES void backward_channel(const Layout& l, const Backward& b, int64_t ch) {
  const float m = b.mean[ch];
  double sum_dy = 0.0, sum_dy_dev = 0.0;
  for (int64_t n = 0; n < l.n; ++n) {
    const float* p = b.x + l.at(n, ch);
    const float* d = b.dy + l.at(n, ch);
    float s = 0.0f, t = 0.0f;
#pragma omp simd reduction(+ : s, t)
    for (int64_t k = 0; k < l.inner; ++k) {
      s += d[k];
      t += d[k] * (p[k] - m);
    }
    sum_dy += s;
    sum_dy_dev += t;
  }
  const auto [k1, k2, k3] = finish(l, b, ch, sum_dy, sum_dy_dev);
  if (!b.dx) return;
  for (int64_t n = 0; n < l.n; ++n) {
    const float* p = b.x + l.at(n, ch);
    const float* d = b.dy + l.at(n, ch);
    float* q = b.dx + l.at(n, ch);
    for (int64_t k = 0; k < l.inner; ++k) q[k] = k1 * d[k] + k2 * p[k] + k3;
  }
}

LUCID_SIMD_CLONES void backward_block(const Layout& l, const Backward& g, int64_t first) {
  const Block b(l, first);
  double dy_sums[kBlock] = {}, dy_dev_sums[kBlock] = {};
  float mean[kBlock], k1[kBlock], k2[kBlock], k3[kBlock];  // per column
  float channel_k1[kBlock], channel_k2[kBlock], channel_k3[kBlock];
  spread(g.mean + b.c0, b, l.inner, mean);
  for (int64_t n = 0; n < l.n; ++n) {
    const float* x = g.x + b.offset(l, n);
    const float* dy = g.dy + b.offset(l, n);
    for (int64_t j = 0; j < b.width; ++j) {
      dy_sums[j] += dy[j];
      dy_dev_sums[j] += double(dy[j]) * (x[j] - mean[j]);
    }
  }
  for (int64_t ch = 0; ch < b.channels; ++ch) {
    const Coefficients c =
        finish(l, g, b.c0 + ch, channel_sum(dy_sums, ch, l.inner), channel_sum(dy_dev_sums, ch, l.inner));
    channel_k1[ch] = c.k1, channel_k2[ch] = c.k2, channel_k3[ch] = c.k3;
  }
  if (!g.dx) return;
  spread(channel_k1, b, l.inner, k1);
  spread(channel_k2, b, l.inner, k2);
  spread(channel_k3, b, l.inner, k3);
  for (int64_t n = 0; n < l.n; ++n) {
    const float* x = g.x + b.offset(l, n);
    const float* dy = g.dy + b.offset(l, n);
    float* dx = g.dx + b.offset(l, n);
    for (int64_t j = 0; j < b.width; ++j) dx[j] = k1[j] * dy[j] + k2[j] * x[j] + k3[j];
  }
}

// Runs task(l, args, first channel) over the channels: one each, or whole blocks of small planes.
template <class Args>
void over_channels(const Layout& l, const Args& args, void (*per_channel)(const Layout&, const Args&, int64_t),
                   void (*per_block)(const Layout&, const Args&, int64_t)) {
  const bool blocks = l.inner < kBlock;
  const int64_t step = blocks ? kBlock / l.inner : 1;
  auto task = blocks ? per_block : per_channel;
#pragma omp parallel for schedule(static)
  for (int64_t c0 = 0; c0 < l.c; c0 += step) task(l, args, c0);
}

}  // namespace

void batch_norm_train(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps, Tensor& y, Tensor& mean,
                      Tensor& var) {
  const Forward f{x.data<float>(), optional_in(weight), optional_in(bias), eps,
                  y.data<float>(), mean.data<float>(), var.data<float>()};
  over_channels(layout_of(x), f, train_channel, train_block);
}

void batch_norm_backward(const Tensor& x, const Tensor& dy, const Tensor& mean, const Tensor& var,
                         const Tensor& weight, float eps, Tensor& dx, Tensor& dweight, Tensor& dbias) {
  const Backward b{x.data<float>(), dy.data<float>(), mean.data<float>(), var.data<float>(), optional_in(weight),
                   eps, optional_out(dx), optional_out(dweight), optional_out(dbias)};
  over_channels(layout_of(x), b, backward_channel, backward_block);
}

}  // namespace lucid::backend::cpu
