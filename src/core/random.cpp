#include "lucid/random.h"

#include <cmath>

#include "lucid/error.h"

namespace lucid {
namespace {

constexpr int64_t kChunk = 1 << 16;

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// xoshiro256+ (Blackman & Vigna): fast, and good in the high bits we use for floats.
struct Xoshiro {
  uint64_t s[4];
  explicit Xoshiro(uint64_t seed) {
    for (auto& word : s) word = splitmix64(seed);
  }
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t next() {
    uint64_t result = s[0] + s[3], t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t; s[3] = rotl(s[3], 45);
    return result;
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
};

// Runs fill(stream, begin, end) over fixed chunks of [0, n) in parallel.
template <class Fill>
void chunked(uint64_t seed, uint64_t draw, int64_t n, Fill fill) {
#pragma omp parallel for schedule(static)
  for (int64_t c = 0; c < (n + kChunk - 1) / kChunk; ++c) {
    uint64_t mix = seed ^ (draw * 0xd1b54a32d192ed03ull) ^ (static_cast<uint64_t>(c) * 0x8cb92ba72f3d8dd7ull);
    Xoshiro rng(mix);
    fill(rng, c * kChunk, std::min(n, (c + 1) * kChunk));
  }
}

float* f32_data(Tensor& t, const char* op) {
  if (t.dtype() != DType::F32) throw ValueError(op, cat("needs an F32 tensor, got ", dtype_name(t.dtype())));
  return t.data<float>();
}

}  // namespace

Generator& default_generator() {
  static Generator generator(0);
  return generator;
}

void manual_seed(uint64_t seed) { default_generator() = Generator(seed); }

void Generator::normal_(Tensor& t, float mean, float std) {
  float* p = f32_data(t, "normal_");
  chunked(seed_, draws_++, t.numel(), [&](Xoshiro& rng, int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; i += 2) {  // Box-Muller: two normals per pair of uniforms
      double r = std::sqrt(-2.0 * std::log(1.0 - rng.uniform()));
      double theta = 2.0 * M_PI * rng.uniform();
      p[i] = static_cast<float>(mean + std * r * std::cos(theta));
      if (i + 1 < end) p[i + 1] = static_cast<float>(mean + std * r * std::sin(theta));
    }
  });
}

void Generator::uniform_(Tensor& t, float low, float high) {
  float* p = f32_data(t, "uniform_");
  chunked(seed_, draws_++, t.numel(), [&](Xoshiro& rng, int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) p[i] = static_cast<float>(low + (high - low) * rng.uniform());
  });
}

void Generator::dropout_mask_(Tensor& mask, float p) {
  if (!(p >= 0.0f && p < 1.0f)) throw ValueError("dropout", cat("probability ", p, " must be in [0, 1)"));
  float* m = f32_data(mask, "dropout");
  float keep = 1.0f / (1.0f - p);
  chunked(seed_, draws_++, mask.numel(), [&](Xoshiro& rng, int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) m[i] = rng.uniform() < p ? 0.0f : keep;
  });
}

}  // namespace lucid
