#include "lucid/nn/trace.h"

namespace lucid::nn {

static thread_local Trace* current = nullptr;

Trace::Trace() : outer_(current) { current = this; }
Trace::~Trace() { current = outer_; }
Trace* Trace::active() { return current; }

}  // namespace lucid::nn
