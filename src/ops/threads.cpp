#include "backend/kernels.h"
#include "lucid/error.h"
#include "lucid/ops.h"

namespace lucid::ops {

void set_num_threads(int threads) {
  if (threads < 0 || threads > kMaxThreads)
    throw ValueError("set_num_threads", cat("threads must be 0 (all cores) to ", kMaxThreads, ", got ", threads));
  backend::cpu_kernels().set_num_threads(threads);
}

}  // namespace lucid::ops
