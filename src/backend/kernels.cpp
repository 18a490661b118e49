#include "backend/kernels.h"

#include "lucid/error.h"

namespace lucid::backend {

const Kernels& kernels_for(Device device) {
  if (device.type == DeviceType::CPU) return cpu_kernels();
  throw UnsupportedError("backend", cat("no kernels for device ", to_string(device), " in this build"));
}

}  // namespace lucid::backend
