// XXH64, written from the published algorithm description (Yann Collet's xxHash spec): a fast 64-bit
// checksum over the tensor bytes of reckit files, so a flipped or truncated byte is caught on load.
#include <cstdint>
#include <cstring>

#include "core/safetensors.h"

namespace reckit::st {
namespace {

constexpr uint64_t kP1 = 0x9E3779B185EBCA87ULL;
constexpr uint64_t kP2 = 0xC2B2AE3D27D4EB4FULL;
constexpr uint64_t kP3 = 0x165667B19E3779F9ULL;
constexpr uint64_t kP4 = 0x85EBCA77C2B2AE63ULL;
constexpr uint64_t kP5 = 0x27D4EB2F165667C5ULL;

inline uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

// Little-endian loads independent of host order and alignment.
inline uint64_t load64(const uint8_t* p) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
#else
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
#endif
}
inline uint32_t load32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) | (static_cast<uint32_t>(p[2]) << 16) |
         (static_cast<uint32_t>(p[3]) << 24);
}

inline uint64_t accumulate(uint64_t acc, uint64_t lane) {
  acc += lane * kP2;
  acc = rotl(acc, 31);
  return acc * kP1;
}

inline uint64_t merge(uint64_t hash, uint64_t acc) {
  hash ^= accumulate(0, acc);
  return hash * kP1 + kP4;
}

}  // namespace

Xxh64::Xxh64(uint64_t seed)
    : acc_{seed + kP1 + kP2, seed + kP2, seed, seed - kP1}, seed_(seed) {}

void Xxh64::consume_stripe(const uint8_t* p) {
  acc_[0] = accumulate(acc_[0], load64(p));
  acc_[1] = accumulate(acc_[1], load64(p + 8));
  acc_[2] = accumulate(acc_[2], load64(p + 16));
  acc_[3] = accumulate(acc_[3], load64(p + 24));
}

void Xxh64::update(const void* data, size_t size) {
  if (size == 0) return;
  const uint8_t* p = static_cast<const uint8_t*>(data);
  total_ += size;
  if (buffered_ > 0) {
    const size_t take = size < 32 - buffered_ ? size : 32 - buffered_;
    std::memcpy(buffer_ + buffered_, p, take);
    buffered_ += take;
    p += take;
    size -= take;
    if (buffered_ < 32) return;
    consume_stripe(buffer_);
    buffered_ = 0;
  }
  while (size >= 32) {
    consume_stripe(p);
    p += 32;
    size -= 32;
  }
  if (size) std::memcpy(buffer_, p, size);
  buffered_ = size;
}

uint64_t Xxh64::digest() const {
  uint64_t hash;
  if (total_ >= 32) {
    hash = rotl(acc_[0], 1) + rotl(acc_[1], 7) + rotl(acc_[2], 12) + rotl(acc_[3], 18);
    for (uint64_t a : acc_) hash = merge(hash, a);
  } else {
    hash = seed_ + kP5;
  }
  hash += total_;
  const uint8_t* p = buffer_;
  const uint8_t* const end = buffer_ + buffered_;
  while (end - p >= 8) {
    hash ^= accumulate(0, load64(p));
    hash = rotl(hash, 27) * kP1 + kP4;
    p += 8;
  }
  if (end - p >= 4) {
    hash ^= static_cast<uint64_t>(load32(p)) * kP1;
    hash = rotl(hash, 23) * kP2 + kP3;
    p += 4;
  }
  while (p < end) {
    hash ^= static_cast<uint64_t>(*p) * kP5;
    hash = rotl(hash, 11) * kP1;
    ++p;
  }
  hash ^= hash >> 33;
  hash *= kP2;
  hash ^= hash >> 29;
  hash *= kP3;
  hash ^= hash >> 32;
  return hash;
}

uint64_t xxh64(const void* data, size_t size, uint64_t seed) {
  Xxh64 state(seed);
  state.update(data, size);
  return state.digest();
}

}  // namespace reckit::st
