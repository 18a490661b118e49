#include "lucid/data/rng.h"

namespace lucid::data {

namespace {

uint64_t finalize(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

}  // namespace

uint64_t Rng::next() { return finalize(state_ += 0x9e3779b97f4a7c15ull); }

double Rng::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

// Lemire's multiply-shift: the high word of next() * n lies in [0, n).
int64_t Rng::below(int64_t n) {
  return static_cast<int64_t>((static_cast<unsigned __int128>(next()) * static_cast<uint64_t>(n)) >> 64);
}

uint64_t derive_seed(uint64_t seed, uint64_t index) {
  return finalize(finalize(seed + 0x9e3779b97f4a7c15ull) ^ finalize(index + 0xd1b54a32d192ed03ull));
}

}  // namespace lucid::data
