// CosineIndex search: the fused score + select scan. Rows are scored tile by tile (cpu/topk_scan.h)
// and only scores at or above a collector's floor are checked for eligibility and offered (core/topk.h),
// so filters and exclusions cost nothing on rows that could not enter the top-k anyway, and k results
// come back whenever k eligible rows exist. One or a few queries: each query streams the matrix, its
// rows split across the compute pool by ranges. A batch: groups of up to 8 blocks of 32 queries; each
// tile of rows is scored against every block of the group by a register-blocked kernel (GEMM-like)
// while it is in cache; tasks = query groups x row ranges. The n x N score matrix never exists.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>

#include "core/cosine_index.h"
#include "core/cosine_index_device.h"
#include "core/error.h"
#include "core/thread_pool.h"
#include "core/topk.h"

namespace reckit {

namespace {

constexpr size_t kTileRows = 1024;        // single-query tile: scores stay in L1
constexpr size_t kBlockTileRows = 192;    // batch tile: 16 x 12 (AVX-512) or 32 x 6 (AVX2) register blocks
constexpr size_t kBlocksPerGroup = 8;     // 32-query blocks that share each row tile while it is in cache
constexpr size_t kBatchMinQueries = 8;    // below this, per-query streaming beats the 32-wide kernel
constexpr size_t kMinRowsPerTask = 16384; // keeps small scans on one thread
constexpr size_t kQB = cpu::kTopkQueryBlock;
constexpr uint32_t kEmptyDeviceRow = 0xFFFFFFFFu;  // a missing slot in the device's results

struct AlignedFloats {
  float* data;
  explicit AlignedFloats(size_t n) {
    const size_t bytes = std::max<size_t>(64, (n * sizeof(float) + 63) / 64 * 64);
    data = static_cast<float*>(std::aligned_alloc(64, bytes));
    if (!data) throw std::bad_alloc();
  }
  ~AlignedFloats() { std::free(data); }
  AlignedFloats(const AlignedFloats&) = delete;
  AlignedFloats& operator=(const AlignedFloats&) = delete;
};

}  // namespace

struct IndexSearch {
  const CosineIndex& ix;
  const SearchRequest& req;
  size_t dp, rows, heap_k;
  std::vector<float> qbuf;        // n x dp, normalized (cosine) and zero-padded
  std::vector<double> margins;    // per query: 2M of the rerank argument (0 without rerank)
  std::vector<uint64_t> blocked;  // filter bitmap over rows (empty: no filter)
  std::vector<std::vector<uint32_t>> excluded;  // per query, sorted rows (empty: none)
  size_t cpu_rescans = 0;         // device path with rerank: queries scanned again on the CPU

  IndexSearch(const CosineIndex& index, const SearchRequest& request) : ix(index), req(request) {
    dp = ix.dp_;
    rows = ix.rows_;
    heap_k = std::min(req.k, rows);
  }

  bool eligible(size_t qi, uint32_t row) const {
    if (!blocked.empty() && ((blocked[row >> 6] >> (row & 63)) & 1u)) return false;
    if (!excluded.empty() && !excluded[qi].empty()) {
      const auto& e = excluded[qi];
      return !std::binary_search(e.begin(), e.end(), row);
    }
    return true;
  }

  void prepare() {
    const size_t n = req.n, d = ix.config_.dim;
    for (size_t i = 0; i < n * d; ++i) {
      if (!std::isfinite(req.queries[i])) {
        fail(ErrorCode::OutOfRange, "queries[" + std::to_string(i) + "] is " +
                                        (std::isnan(req.queries[i]) ? "NaN" : "infinite") + "; values must be finite");
      }
    }
    qbuf.assign(n * dp, 0.0f);
    margins.assign(n, 0.0);
    for (size_t qi = 0; qi < n; ++qi) {
      const float* src = req.queries + qi * d;
      float* dst = qbuf.data() + qi * dp;
      double sumsq = 0;
      for (size_t i = 0; i < d; ++i) sumsq += static_cast<double>(src[i]) * src[i];
      if (ix.config_.metric == Metric::Cosine) {
        require(sumsq > 0, ErrorCode::OutOfRange,
                "query " + std::to_string(qi) + " is the zero vector, which has no cosine similarity");
        const double inv = 1.0 / std::sqrt(sumsq);
        for (size_t i = 0; i < d; ++i) dst[i] = static_cast<float>(src[i] * inv);
      } else {
        std::copy(src, src + d, dst);
      }
      if (ix.config_.rerank) margins[qi] = 2.0 * ix.search_margin(dst);
    }
    if (req.has_filter) {
      const size_t words = (rows + 63) / 64;
      blocked.assign(words, req.filter_allow ? ~uint64_t{0} : 0);
      for (size_t i = 0; i < req.filter_count; ++i) {
        auto found = ix.id_rows_.find(req.filter_ids[i]);
        if (found == ix.id_rows_.end()) continue;  // unknown ids in a filter are ignored
        const uint32_t row = found->second;
        if (req.filter_allow) blocked[row >> 6] &= ~(uint64_t{1} << (row & 63));
        else blocked[row >> 6] |= uint64_t{1} << (row & 63);
      }
      if (blocked.empty()) blocked.assign(1, ~uint64_t{0});  // no rows: keep "filter present"
    }
    if (req.exclude_offsets) {
      excluded.resize(n);
      for (size_t qi = 0; qi < n; ++qi) {
        for (uint64_t e = req.exclude_offsets[qi]; e < req.exclude_offsets[qi + 1]; ++e) {
          auto found = ix.id_rows_.find(req.exclude_ids[e]);
          if (found != ix.id_rows_.end()) excluded[qi].push_back(found->second);
        }
        std::sort(excluded[qi].begin(), excluded[qi].end());
      }
    }
  }

  // Scores rows [begin, end) for one query with the storage's single-query kernel into `out`.
  void score_rows(const float* q, size_t begin, size_t count, float* out) const {
    const auto& t = ix.kernels_.topk;
    const uint8_t* base = ix.store_.row(begin);
    switch (ix.config_.storage) {
      case Storage::F32: t.score_f32(q, reinterpret_cast<const float*>(base), count, dp, out); break;
      case Storage::BF16: t.score_bf16(q, reinterpret_cast<const uint16_t*>(base), count, dp, out); break;
      case Storage::F16: t.score_f16(q, reinterpret_cast<const uint16_t*>(base), count, dp, out); break;
      case Storage::I8:
        t.score_i8(q, reinterpret_cast<const int8_t*>(base), ix.scales_.data() + begin, count, dp, out);
        break;
    }
  }

  // One query over rows [begin, end).
  std::vector<topk::Hit> scan_single(size_t qi, size_t begin, size_t end) const {
    topk::Collector c(heap_k, ix.row_ids_.data(), margins[qi]);
    const float* q = qbuf.data() + qi * dp;
    AlignedFloats tile(kTileRows);
    for (size_t t = begin; t < end; t += kTileRows) {
      const size_t count = std::min(kTileRows, end - t);
      score_rows(q, t, count, tile.data);
      for (size_t j = 0; j < count; ++j) {
        const float s = tile.data[j];
        if (s >= c.floor()) {
          const uint32_t row = static_cast<uint32_t>(t + j);
          if (eligible(qi, row)) c.offer(s, row);
        }
      }
    }
    return margins[qi] > 0 ? c.take_candidates() : std::move(c.hits());
  }

  // A group of up to kBlocksPerGroup x 32 queries over rows [begin, end): each tile of rows is decoded
  // once and then scored against every 32-query block while it is still in cache, so the matrix is read
  // from memory once per group rather than once per block. One result list per query of the group.
  std::vector<std::vector<topk::Hit>> scan_group(size_t q0, size_t nq, size_t begin, size_t end) const {
    const auto& t = ix.kernels_.topk;
    const size_t blocks = (nq + kQB - 1) / kQB;
    std::vector<topk::Collector> cs;
    cs.reserve(nq);
    for (size_t i = 0; i < nq; ++i) cs.emplace_back(heap_k, ix.row_ids_.data(), margins[q0 + i]);
    AlignedFloats qpack(blocks * dp * kQB), out(kBlockTileRows * kQB), lo(blocks * kQB);
    for (size_t b = 0; b < blocks; ++b) {
      for (size_t k = 0; k < dp; ++k) {
        for (size_t i = 0; i < kQB; ++i) {
          const size_t q = b * kQB + i;
          qpack.data[(b * dp + k) * kQB + i] = q < nq ? qbuf[(q0 + q) * dp + k] : 0.0f;
        }
      }
      for (size_t i = 0; i < kQB; ++i) {
        const size_t q = b * kQB + i;
        lo.data[b * kQB + i] = q < nq ? cs[q].floor() : std::numeric_limits<float>::infinity();
      }
    }
    std::unique_ptr<AlignedFloats> decoded;
    if (ix.config_.storage != Storage::F32) decoded.reset(new AlignedFloats(kBlockTileRows * dp));
    uint32_t hits[kBlockTileRows];
    for (size_t r = begin; r < end; r += kBlockTileRows) {
      const size_t count = std::min(kBlockTileRows, end - r);
      const float* tile_rows = nullptr;
      const uint8_t* base = ix.store_.row(r);
      switch (ix.config_.storage) {
        case Storage::F32: tile_rows = reinterpret_cast<const float*>(base); break;
        case Storage::BF16: t.decode_bf16(reinterpret_cast<const uint16_t*>(base), count, dp, decoded->data); break;
        case Storage::F16: t.decode_f16(reinterpret_cast<const uint16_t*>(base), count, dp, decoded->data); break;
        case Storage::I8:
          t.decode_i8(reinterpret_cast<const int8_t*>(base), ix.scales_.data() + r, count, dp, decoded->data);
          break;
      }
      if (!tile_rows) tile_rows = decoded->data;
      for (size_t b = 0; b < blocks; ++b) {
        float* block_lo = lo.data + b * kQB;
        t.score_block_f32(qpack.data + b * dp * kQB, tile_rows, count, dp, block_lo, out.data, hits);
        for (size_t j = 0; j < count; ++j) {
          uint32_t m = hits[j];
          while (m) {
            const unsigned i = static_cast<unsigned>(__builtin_ctz(m));
            m &= m - 1;
            const float s = out.data[j * kQB + i];
            topk::Collector& c = cs[b * kQB + i];
            if (s >= c.floor()) {
              const uint32_t row = static_cast<uint32_t>(r + j);
              if (eligible(q0 + b * kQB + i, row)) {
                c.offer(s, row);
                block_lo[i] = c.floor();
              }
            }
          }
        }
      }
    }
    std::vector<std::vector<topk::Hit>> results(nq);
    for (size_t i = 0; i < nq; ++i) results[i] = margins[q0 + i] > 0 ? cs[i].take_candidates() : std::move(cs[i].hits());
    return results;
  }

  void run(int64_t* ids_out, float* scores_out) {
    const size_t n = req.n, k = req.k;
    for (size_t i = 0; i < n * k; ++i) {
      ids_out[i] = -1;
      scores_out[i] = -std::numeric_limits<float>::infinity();
    }
    if (rows == 0 || n == 0) return;
    ComputePool& pool = ComputePool::instance();
    const size_t threads = pool.threads();
    const size_t max_ranges = std::max<size_t>(1, rows / kMinRowsPerTask);
    std::vector<std::vector<topk::Hit>> per_query(n);
    std::mutex merge_mutex;
    auto gather = [&](size_t qi, std::vector<topk::Hit>&& hits) {
      std::lock_guard<std::mutex> lock(merge_mutex);
      auto& dst = per_query[qi];
      dst.insert(dst.end(), hits.begin(), hits.end());
    };
    if (n < kBatchMinQueries) {
      const size_t ranges = std::min(threads, max_ranges);
      for (size_t qi = 0; qi < n; ++qi) {
        pool.parallel_chunks(rows, ranges, [&](size_t, size_t begin, size_t end) { gather(qi, scan_single(qi, begin, end)); });
      }
    } else {
      // Tasks = query groups x row ranges. Groups hold at most kBlocksPerGroup blocks and their count is
      // a multiple of the thread count when there are enough blocks, so threads get equal shares.
      const size_t blocks = (n + kQB - 1) / kQB;
      size_t groups = (blocks + kBlocksPerGroup - 1) / kBlocksPerGroup;
      if (groups >= threads) groups = std::min(blocks, (groups + threads - 1) / threads * threads);
      const size_t per_group = (blocks + groups - 1) / groups;
      groups = (blocks + per_group - 1) / per_group;
      const size_t ranges = std::min(max_ranges, std::max<size_t>(1, (threads + groups - 1) / groups));
      const size_t tasks = groups * ranges;
      pool.parallel_chunks(tasks, tasks, [&](size_t task, size_t, size_t) {
        const size_t g = task / ranges, r = task % ranges;
        const size_t q0 = g * per_group * kQB, nq = std::min(per_group * kQB, n - q0);
        const size_t begin = rows * r / ranges, end = rows * (r + 1) / ranges;
        auto results = scan_group(q0, nq, begin, end);
        for (size_t i = 0; i < nq; ++i) gather(q0 + i, std::move(results[i]));
      });
    }
    finish(per_query, ids_out, scores_out);
  }

  // Merge (and rerank) per query: sorts each query's hits (recomputed in f32 first with rerank) and writes
  // the best k.
  void finish(std::vector<std::vector<topk::Hit>>& per_query, int64_t* ids_out, float* scores_out) {
    const size_t n = req.n, k = req.k;
    ComputePool::instance().parallel_for(n, 1, [&](size_t, size_t begin, size_t end) {
      for (size_t qi = begin; qi < end; ++qi) {
        auto& hits = per_query[qi];
        if (ix.config_.rerank) {
          const float* q = qbuf.data() + qi * dp;
          for (auto& h : hits) {
            ix.kernels_.topk.score_f32(q, reinterpret_cast<const float*>(ix.exact_.row(h.row)), 1, dp, &h.score);
          }
        }
        topk::sort_and_truncate(hits, k, ix.row_ids_.data());
        for (size_t j = 0; j < hits.size(); ++j) {
          ids_out[qi * k + j] = static_cast<int64_t>(ix.row_ids_[hits[j].row]);
          scores_out[qi * k + j] = hits[j].score;
        }
      }
    });
  }

  // The device scan (reckit_cuda's index search) over the mirror's copy of the rows, with the filter bitmap
  // and the exclusions prepared above. Without rerank its k hits are the answer. With rerank it returns the
  // best K > k hits by the reduced score s~, which hold the rerank's candidate set (every eligible row with
  // s~ >= theta - 2M, cosine_index.h) when fewer than K eligible rows exist or the K-th s~ is below
  // theta - 2M; a query for which neither holds is scanned again on the CPU. The candidates are then
  // recomputed in f32 on the host by finish(), exactly as the CPU path does, so ids and scores equal it.
  void run_device(const CudaIndexMirror& mirror, int64_t* ids_out, float* scores_out) {
    const size_t n = req.n, k = req.k;
    for (size_t i = 0; i < n * k; ++i) {
      ids_out[i] = -1;
      scores_out[i] = -std::numeric_limits<float>::infinity();
    }
    if (rows == 0 || n == 0) return;
    const bool rerank = ix.config_.rerank;
    const size_t kd = rerank ? std::min<size_t>(RECKIT_CUDA_TOPK_MAX_K, std::max(2 * k, k + 32)) : k;
    std::vector<uint64_t> offsets;
    std::vector<uint32_t> flat;
    if (!excluded.empty()) {
      offsets.resize(n + 1);
      for (size_t qi = 0; qi < n; ++qi) {
        offsets[qi] = flat.size();
        flat.insert(flat.end(), excluded[qi].begin(), excluded[qi].end());
      }
      offsets[n] = flat.size();
    }
    std::vector<uint32_t> drows(n * kd);
    std::vector<float> dscores(n * kd);
    char message[512] = {0};
    const int status = mirror.api->index_search(mirror.handle, qbuf.data(), n, kd, flat.data(),
                                                offsets.empty() ? nullptr : offsets.data(),
                                                blocked.empty() ? nullptr : blocked.data(), 0, drows.data(),
                                                dscores.data(), message, sizeof message);
    if (status != RECKIT_CUDA_OK) raise_cuda_status(status, message);
    std::vector<std::vector<topk::Hit>> per_query(n);
    for (size_t qi = 0; qi < n; ++qi) {
      auto& hits = per_query[qi];
      for (size_t j = 0; j < kd && drows[qi * kd + j] != kEmptyDeviceRow; ++j) {
        hits.push_back(topk::Hit{dscores[qi * kd + j], drows[qi * kd + j]});
      }
    }
    if (rerank) {
      std::vector<size_t> incomplete;
      for (size_t qi = 0; qi < n; ++qi) {
        const auto& hits = per_query[qi];
        if (hits.size() < kd) continue;  // every eligible row is among the hits
        const double theta = hits[k - 1].score, last = hits[kd - 1].score;
        if (!(last < theta - margins[qi])) incomplete.push_back(qi);
      }
      ComputePool::instance().parallel_for(incomplete.size(), 1, [&](size_t, size_t begin, size_t end) {
        for (size_t i = begin; i < end; ++i) per_query[incomplete[i]] = scan_single(incomplete[i], 0, rows);
      });
      cpu_rescans = incomplete.size();
    }
    finish(per_query, ids_out, scores_out);
  }
};

double CosineIndex::search_margin(const float* q) const {
  const double u = std::ldexp(1.0, -24);
  const double du = static_cast<double>(dp_ + 4) * u;
  const double gamma = du / (1.0 - du);
  double q2 = 0, q1 = 0;
  for (size_t i = 0; i < config_.dim; ++i) {
    q2 += static_cast<double>(q[i]) * q[i];
    q1 += std::fabs(static_cast<double>(q[i]));
  }
  q2 = std::sqrt(q2);
  double rep = 0, delta = 0;
  switch (config_.storage) {
    case Storage::F32: return 0.0;
    case Storage::BF16:
      delta = std::ldexp(max_norm_, -8);
      rep = q2 * delta;
      break;
    case Storage::F16:
      delta = std::ldexp(max_norm_, -11) + std::ldexp(std::sqrt(static_cast<double>(config_.dim)), -25);
      rep = q2 * delta;
      break;
    case Storage::I8:
      delta = std::sqrt(static_cast<double>(config_.dim)) * max_scale_ / 2;
      rep = q1 * max_scale_ / 2;
      break;
  }
  const double m = rep + gamma * q2 * (2 * max_norm_ + delta);
  // Headroom for the double arithmetic of this bound itself, and a floor against underflow.
  return m * 1.001 + 1e-30;
}

void CosineIndex::search(const SearchRequest& request, int64_t* ids_out, float* scores_out) const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  check_alive();
  require(request.k >= 1, ErrorCode::OutOfRange, "k must be at least 1");
  IndexSearch s(*this, request);
  s.prepare();
  // k above the device's selection limit runs on the CPU (docs/cuda.md).
  if (!on_cuda_ || request.k > RECKIT_CUDA_TOPK_MAX_K) {
    s.run(ids_out, scores_out);
    return;
  }
  try {
    s.run_device(*device_mirror(), ids_out, scores_out);
  } catch (const Error& e) {
    if (e.code() != ErrorCode::OutOfMemory && e.code() != ErrorCode::Internal && e.code() != ErrorCode::NoDevice) throw;
    // The CPU copy is untouched: the index keeps working there; the caller learns why from the error.
    drop_device();
    fail(e.code(), std::string(e.what()) + " (this index now runs on the CPU; its device is 'cpu')");
  }
}

}  // namespace reckit
