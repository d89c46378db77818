//===- FloatBits.h - Bit-level float conversions (private) ------*- C++ -*-===//
//
// Inline conversions between float and the bit patterns of f16 and bf16
// (round to nearest, ties to even), shared by the numerics library's .cpp
// files so that hot loops can inline them.
//
//===----------------------------------------------------------------------===//

#ifndef QEMBED_LIB_NUMERICS_FLOATBITS_H
#define QEMBED_LIB_NUMERICS_FLOATBITS_H

#include <cmath>
#include <cstdint>
#include <cstring>

namespace qembed::detail {

/// The IEEE bits of `x`.
inline uint32_t bitsOf(float x) {
  uint32_t b;
  std::memcpy(&b, &x, 4);
  return b;
}

/// The float with IEEE bits `b`.
inline float fromBits(uint32_t b) {
  float x;
  std::memcpy(&x, &b, 4);
  return x;
}

/// `x` rounded to bf16 (nearest, ties to even; NaN stays NaN).
inline uint16_t toBF16Bits(float x) {
  uint32_t b = bitsOf(x);
  if (std::isnan(x))
    return uint16_t((b >> 16) | 0x40);
  b += 0x7fffu + ((b >> 16) & 1u); // round to nearest, ties to even
  return uint16_t(b >> 16);
}

/// The float value of bf16 bits.
inline float fromBF16Bits(uint16_t h) { return fromBits(uint32_t(h) << 16); }

/// `x` rounded to f16 (IEEE round to nearest even).
inline uint16_t toF16Bits(float x) {
  _Float16 h = static_cast<_Float16>(x);
  uint16_t b;
  std::memcpy(&b, &h, 2);
  return b;
}

/// The float value of f16 bits.
inline float fromF16Bits(uint16_t b) {
  _Float16 h;
  std::memcpy(&h, &b, 2);
  return static_cast<float>(h);
}

} // namespace qembed::detail

#endif // QEMBED_LIB_NUMERICS_FLOATBITS_H
