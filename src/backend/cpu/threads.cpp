#include <omp.h>

#include "backend/cpu/cpu.h"

namespace lucid::backend::cpu {

// 0 restores the count OpenMP started with (all cores, or OMP_NUM_THREADS when set).
void set_num_threads(int threads) {
  static const int initial = omp_get_max_threads();
  omp_set_num_threads(threads > 0 ? threads : initial);
}

}  // namespace lucid::backend::cpu
