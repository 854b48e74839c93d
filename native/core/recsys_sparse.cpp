#include "core/recsys_sparse.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.h"
#include "core/thread_pool.h"

namespace reckit {

void validate_csr(const CsrView& m, size_t nnz, const char* name) {
  const std::string n(name);
  require(m.offsets != nullptr && m.offsets[0] == 0, ErrorCode::OutOfRange, n + ".offsets must start at 0");
  for (size_t r = 0; r < m.rows; ++r) {
    require(m.offsets[r + 1] >= m.offsets[r], ErrorCode::OutOfRange,
            n + ".offsets must be non-decreasing (at row " + std::to_string(r) + ")");
  }
  require(static_cast<size_t>(m.offsets[m.rows]) == nnz, ErrorCode::DimMismatch,
          n + ".offsets must end at the number of entries (" + std::to_string(nnz) + ")");
  for (size_t j = 0; j < nnz; ++j) {
    require(m.indices[j] >= 0 && static_cast<size_t>(m.indices[j]) < m.cols, ErrorCode::OutOfRange,
            n + ".indices[" + std::to_string(j) + "] is outside 0.." + std::to_string(m.cols - 1));
    require(std::isfinite(m.values[j]), ErrorCode::OutOfRange, n + ".values[" + std::to_string(j) + "] is not finite");
  }
}

CsrMatrix transpose(const CsrView& m) {
  CsrMatrix t;
  t.rows = m.cols;
  t.cols = m.rows;
  const size_t nnz = static_cast<size_t>(m.offsets[m.rows]);
  t.offsets.assign(t.rows + 1, 0);
  t.indices.resize(nnz);
  t.values.resize(nnz);
  for (size_t j = 0; j < nnz; ++j) t.offsets[m.indices[j] + 1]++;
  for (size_t c = 0; c < t.rows; ++c) t.offsets[c + 1] += t.offsets[c];
  std::vector<int32_t> cursor(t.offsets.begin(), t.offsets.end() - 1);
  // Rows in ascending order, so each transposed row comes out sorted by column.
  for (size_t r = 0; r < m.rows; ++r) {
    for (int32_t j = m.offsets[r]; j < m.offsets[r + 1]; ++j) {
      const int32_t at = cursor[m.indices[j]]++;
      t.indices[at] = static_cast<int32_t>(r);
      t.values[at] = m.values[j];
    }
  }
  return t;
}

CsrMatrix cosine_neighbours(const CsrView& m, size_t k, float shrink) {
  require(k >= 1, ErrorCode::OutOfRange, "neighbours must be at least 1");
  require(std::isfinite(shrink) && shrink >= 0, ErrorCode::OutOfRange, "shrink must be a finite number >= 0");
  const CsrMatrix t = transpose(m);
  std::vector<double> norm(m.rows, 0.0);
  for (size_t r = 0; r < m.rows; ++r) {
    double s = 0;
    for (int32_t j = m.offsets[r]; j < m.offsets[r + 1]; ++j) s += double(m.values[j]) * m.values[j];
    norm[r] = std::sqrt(s);
  }
  const size_t keep = std::min(k, m.rows > 0 ? m.rows - 1 : 0);
  std::vector<int32_t> idx(m.rows * keep, -1);
  std::vector<float> sim(m.rows * keep, 0.f);
  std::vector<int32_t> count(m.rows, 0);
  ComputePool& pool = ComputePool::instance();
  const size_t chunks = std::min(m.rows, pool.threads() * 4);
  pool.parallel_chunks(m.rows, chunks, [&](size_t, size_t begin, size_t end) {
    std::vector<double> dot(m.rows, 0.0);
    std::vector<uint8_t> mark(m.rows, 0);
    std::vector<int32_t> touched;
    std::vector<std::pair<float, int32_t>> cand;
    for (size_t a = begin; a < end; ++a) {
      touched.clear();
      for (int32_t j = m.offsets[a]; j < m.offsets[a + 1]; ++j) {
        const int32_t c = m.indices[j];
        const double xa = m.values[j];
        for (int32_t q = t.offsets[c]; q < t.offsets[c + 1]; ++q) {
          const int32_t b = t.indices[q];
          if (static_cast<size_t>(b) == a) continue;
          if (!mark[b]) {
            mark[b] = 1;
            touched.push_back(b);
          }
          dot[b] += xa * t.values[q];
        }
      }
      cand.clear();
      for (int32_t b : touched) {
        const double d = dot[b];
        dot[b] = 0.0;
        mark[b] = 0;
        if (d <= 0.0) continue;
        cand.emplace_back(static_cast<float>(d / (norm[a] * norm[b] + shrink)), b);
      }
      const size_t take = std::min(keep, cand.size());
      auto better = [](const std::pair<float, int32_t>& x, const std::pair<float, int32_t>& y) {
        return x.first > y.first || (x.first == y.first && x.second < y.second);
      };
      std::partial_sort(cand.begin(), cand.begin() + take, cand.end(), better);
      for (size_t s = 0; s < take; ++s) {
        idx[a * keep + s] = cand[s].second;
        sim[a * keep + s] = cand[s].first;
      }
      count[a] = static_cast<int32_t>(take);
    }
  });
  CsrMatrix out;
  out.rows = m.rows;
  out.cols = m.rows;
  out.offsets.assign(m.rows + 1, 0);
  for (size_t a = 0; a < m.rows; ++a) out.offsets[a + 1] = out.offsets[a] + count[a];
  out.indices.resize(out.offsets[m.rows]);
  out.values.resize(out.offsets[m.rows]);
  for (size_t a = 0; a < m.rows; ++a) {
    std::copy_n(idx.begin() + a * keep, count[a], out.indices.begin() + out.offsets[a]);
    std::copy_n(sim.begin() + a * keep, count[a], out.values.begin() + out.offsets[a]);
  }
  return out;
}

void two_hop(const CsrView& a, const CsrView& b, const int32_t* rows, size_t n, float* out) {
  require(a.cols == b.rows, ErrorCode::DimMismatch, "two_hop: inner dimensions differ");
  for (size_t i = 0; i < n; ++i) {
    require(rows[i] >= 0 && static_cast<size_t>(rows[i]) < a.rows, ErrorCode::OutOfRange,
            "rows[" + std::to_string(i) + "] = " + std::to_string(rows[i]) + " is outside 0.." + std::to_string(a.rows - 1));
  }
  ComputePool::instance().parallel_for(n, 4, [&](size_t, size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      float* o = out + i * b.cols;
      std::fill(o, o + b.cols, 0.f);
      const int32_t r = rows[i];
      for (int32_t p = a.offsets[r]; p < a.offsets[r + 1]; ++p) {
        const int32_t mid = a.indices[p];
        const float w = a.values[p];
        for (int32_t q = b.offsets[mid]; q < b.offsets[mid + 1]; ++q) o[b.indices[q]] += w * b.values[q];
      }
    }
  });
}

}  // namespace reckit
