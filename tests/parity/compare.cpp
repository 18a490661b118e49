// compare OURS.safetensors GOLDEN.safetensors [NAME...]: every tensor of GOLDEN (or the named
// ones) must be in OURS with the same shape and max |ours - golden| <= 1e-4 * max(1, max |golden|).
// Prints one line per tensor.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>

#include "lucid/io/safetensors.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: compare OURS.safetensors GOLDEN.safetensors [NAME...]\n");
    return 2;
  }
  try {
    auto ours = lucid::io::SafetensorsFile::open(argv[1]);
    auto golden = lucid::io::SafetensorsFile::open(argv[2]);
    bool ok = true;
    std::vector<std::string> only(argv + 3, argv + argc);
    for (const auto& entry : golden.entries()) {
      if (!only.empty() && std::find(only.begin(), only.end(), entry.name) == only.end()) continue;
      if (!ours.contains(entry.name)) {
        std::printf("%-8s missing from %s\n", entry.name.c_str(), argv[1]);
        ok = false;
        continue;
      }
      lucid::Tensor a = ours.load(entry.name), b = golden.load(entry.name);
      if (a.shape() != b.shape()) {
        std::printf("%-8s shape %s, golden %s\n", entry.name.c_str(), lucid::to_string(a.shape()).c_str(),
                    lucid::to_string(b.shape()).c_str());
        ok = false;
        continue;
      }
      const float *pa = a.data<float>(), *pb = b.data<float>();
      double max_diff = 0, max_ref = 0;
      for (int64_t i = 0; i < a.numel(); ++i) {
        double d = std::fabs(double(pa[i]) - pb[i]);
        max_diff = std::isnan(d) ? INFINITY : std::max(max_diff, d);
        max_ref = std::max(max_ref, std::fabs(double(pb[i])));
      }
      double bound = 1e-4 * std::max(1.0, max_ref);
      bool pass = max_diff <= bound;
      ok = ok && pass;
      std::printf("%-8s %-16s max|diff| %.3g  max|golden| %.4g  bound %.3g  %s\n", entry.name.c_str(),
                  lucid::to_string(b.shape()).c_str(), max_diff, max_ref, bound, pass ? "ok" : "FAIL");
    }
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "compare: %s\n", e.what());
    return 1;
  }
}
