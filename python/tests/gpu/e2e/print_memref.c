/* printMemrefI32 for the GPU end-to-end executables (no MLIR runtime
 * library on the GPU machine): prints the shape and every element, in
 * row-major order, one per line. The CPU reference executable is linked with
 * the same file, so their outputs compare as text. */
#include <stdint.h>
#include <stdio.h>

struct Unranked {
  int64_t rank;
  void *descriptor;
};

static void print(int64_t rank, const int64_t *sizes, const int64_t *strides,
                  const int32_t *base) {
  int64_t index[16] = {0};
  int64_t total = 1;
  for (int64_t d = 0; d < rank; ++d)
    total *= sizes[d];
  for (int64_t n = 0; n < total; ++n) {
    int64_t offset = 0;
    for (int64_t d = 0; d < rank; ++d)
      offset += index[d] * strides[d];
    printf("%d\n", base[offset]);
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++index[d] < sizes[d])
        break;
      index[d] = 0;
    }
  }
}

void _mlir_ciface_printMemrefI32(struct Unranked *m) {
  /* {allocated, aligned, offset, sizes[rank], strides[rank]} */
  const int64_t *words = (const int64_t *)m->descriptor;
  const int32_t *aligned = (const int32_t *)(intptr_t)words[1];
  int64_t offset = words[2];
  const int64_t *sizes = words + 3, *strides = words + 3 + m->rank;
  printf("rank %lld shape", (long long)m->rank);
  for (int64_t d = 0; d < m->rank; ++d)
    printf(" %lld", (long long)sizes[d]);
  printf("\n");
  if (m->rank <= 16)
    print(m->rank, sizes, strides, aligned + offset);
}
