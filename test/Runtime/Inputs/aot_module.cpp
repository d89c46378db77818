// Stands in for the host code of an ahead-of-time compiled GPU module: like
// gpu-to-llvm's output, it loads its module from a global constructor, i.e.
// before or after the runtime's own static initialization (link order).
#include <cstddef>

extern "C" void *mgpuModuleLoad(void *data, size_t size);

namespace {
char image[] = "// not a real module";
struct LoadAtStartup {
  LoadAtStartup() { mgpuModuleLoad(image, sizeof(image)); }
} loadAtStartup;
} // namespace
