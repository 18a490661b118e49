// PyTorch checkpoints (torch.save's zip format, torch >= 1.6) read without Python. The pickle
// inside is read by a restricted unpickler that accepts only what state dicts are made of and
// refuses every other global by name: loading a checkpoint never executes anything.
#pragma once

#include <memory>
#include <string>

#include "lucid/io/tensor_source.h"

namespace lucid::io {

// The state dict of a checkpoint: the top-level dict of tensors, or the one nested under
// "state_dict", "model" or "module" in a training checkpoint. Keys are as stored (a DataParallel
// "module." prefix included). Tensors are read from the archive on demand (F32, F16, BF16
// converted to F32; I64 as is). Throws IoError naming the file and the problem; a pre-1.6
// (non-zip) file gets "re-save with torch >= 1.6".
std::shared_ptr<TensorSource> open_torch_checkpoint(const std::string& path);

// Whether a file looks like a torch.save checkpoint (zip or legacy) rather than safetensors.
bool is_torch_checkpoint(const std::string& path);

}  // namespace lucid::io
