// Persistence of EmbeddingTable in reckit's safetensors files: the rows as tensor "weight" [rows, dim]
// F32 and, when asked, the optimizer state ("adagrad.sum" | "adam.m", "adam.v" [rows, dim] F32,
// "adam.step" [rows] U32). Metadata: reckit.kind = "EmbeddingTable", reckit.embedding.optimizer.
// Writes are atomic (temp file, fsync, rename); reads check every size, offset and the checksum.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/embedding_table.h"

namespace reckit {

struct EmbeddingTableIo {
  static void save(const EmbeddingTable& table, const std::string& path, bool with_optimizer);
  static std::vector<uint8_t> to_buffer(const EmbeddingTable& table, bool with_optimizer);
  // mmap: the rows stay in the mapped file (read-only table, shared between processes); optimizer
  // state cannot be loaded into such a table.
  static std::shared_ptr<EmbeddingTable> load(const std::string& path, bool mmap, bool with_optimizer);
  static std::shared_ptr<EmbeddingTable> from_buffer(const void* data, size_t size, bool with_optimizer);
};

}  // namespace reckit
