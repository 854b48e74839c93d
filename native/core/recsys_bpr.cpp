#include "core/recsys_bpr.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/embedding_table.h"
#include "core/error.h"
#include "core/gemm.h"
#include "core/philox.h"
#include "core/thread_pool.h"

namespace reckit {
namespace {

// softplus(-x) = -log σ(x), computed without overflow.
double softplus_neg(double x) { return x > 0 ? std::log1p(std::exp(-x)) : -x + std::log1p(std::exp(x)); }

BagBatch plain_ids(const std::vector<uint32_t>& ids) {
  BagBatch b;
  b.ids = IndexArray{ids.data(), ids.size(), false};
  b.has_offsets = false;
  b.mode = PoolMode::Sum;
  return b;
}

uint32_t bounded(uint32_t bits, size_t n) { return static_cast<uint32_t>((uint64_t{bits} * n) >> 32); }

}  // namespace

void bpr_check_tables(const BprTables& t, const CsrView* seen) {
  require(t.users && t.items, ErrorCode::InvalidArg, "BPR needs a user table and an item table");
  require(t.users->dim() == t.items->dim(), ErrorCode::DimMismatch,
          "user and item tables differ in dim (" + std::to_string(t.users->dim()) + " vs " +
              std::to_string(t.items->dim()) + ")");
  if (t.bias) {
    require(t.bias->dim() == 1 && t.bias->rows() == t.items->rows(), ErrorCode::DimMismatch,
            "the bias table must be items × 1");
  }
  if (seen) {
    require(seen->rows == t.users->rows() && seen->cols == t.items->rows(), ErrorCode::DimMismatch,
            "the interactions are " + std::to_string(seen->rows) + " × " + std::to_string(seen->cols) +
                ", the tables " + std::to_string(t.users->rows()) + " users × " + std::to_string(t.items->rows()) +
                " items");
  }
}

double bpr_step(const BprTables& t, const uint32_t* u, const uint32_t* i, const uint32_t* j, size_t n,
                const BprOptions& o) {
  bpr_check_tables(t, nullptr);
  const size_t d = t.users->dim();
  const size_t nu = t.users->rows(), ni = t.items->rows();
  for (size_t s = 0; s < n; ++s) {
    require(u[s] < nu, ErrorCode::OutOfRange, "users[" + std::to_string(s) + "] is outside the user table");
    require(i[s] < ni && j[s] < ni, ErrorCode::OutOfRange, "items of triple " + std::to_string(s) + " are outside the item table");
  }
  std::vector<uint32_t> user_ids(u, u + n), item_ids(2 * n);
  std::copy(i, i + n, item_ids.begin());
  std::copy(j, j + n, item_ids.begin() + n);
  std::vector<float> gu(n * d), gq(2 * n * d), gb(t.bias ? 2 * n : 0);
  std::vector<double> loss(n);
  {
    const EmbeddingReadView P = t.users->read_view();
    const EmbeddingReadView Q = t.items->read_view();
    EmbeddingReadView B;
    if (t.bias) B = t.bias->read_view();
    const float reg = o.reg;
    ComputePool::instance().parallel_for(n, 64, [&](size_t, size_t begin, size_t end) {
      for (size_t s = begin; s < end; ++s) {
        const float* p = P.data + size_t{u[s]} * d;
        const float* qi = Q.data + size_t{i[s]} * d;
        const float* qj = Q.data + size_t{j[s]} * d;
        // Lane-wise partial sums (vectorizable; a fixed order, so results do not depend on threads).
        constexpr size_t L = 16;
        float xs[L] = {}, ss[L] = {};
        size_t c = 0;
        for (; c + L <= d; c += L) {
          for (size_t l = 0; l < L; ++l) {
            const float pk = p[c + l], a = qi[c + l], b = qj[c + l];
            xs[l] += pk * (a - b);
            ss[l] += pk * pk + a * a + b * b;
          }
        }
        double x = 0, sq = 0;
        for (; c < d; ++c) {
          x += double(p[c]) * (double(qi[c]) - double(qj[c]));
          sq += double(p[c]) * p[c] + double(qi[c]) * qi[c] + double(qj[c]) * qj[c];
        }
        for (size_t l = 0; l < L; ++l) {
          x += xs[l];
          sq += ss[l];
        }
        float bi = 0, bj = 0;
        if (t.bias) {
          bi = B.data[i[s]];
          bj = B.data[j[s]];
          x += double(bi) - double(bj);
          sq += double(bi) * bi + double(bj) * bj;
        }
        loss[s] = softplus_neg(x) + 0.5 * reg * sq;
        const float g = static_cast<float>(-1.0 / (1.0 + std::exp(x)));  // d softplus(-x) / dx = -σ(-x)
        float* gp = gu.data() + s * d;
        float* gi = gq.data() + s * d;
        float* gj = gq.data() + (n + s) * d;
        for (size_t k = 0; k < d; ++k) {
          gp[k] = g * (qi[k] - qj[k]) + reg * p[k];
          gi[k] = g * p[k] + reg * qi[k];
          gj[k] = -g * p[k] + reg * qj[k];
        }
        if (t.bias) {
          gb[s] = g + reg * bi;
          gb[n + s] = -g + reg * bj;
        }
      }
    });
  }
  double total = 0;
  for (double l : loss) total += l;
  require(std::isfinite(total), ErrorCode::OutOfRange, "the BPR loss is not finite (learning rate too high?)");
  t.users->step(plain_ids(user_ids), gu.data(), gu.size(), o.optimizer);
  t.items->step(plain_ids(item_ids), gq.data(), gq.size(), o.optimizer);
  if (t.bias) t.bias->step(plain_ids(item_ids), gb.data(), gb.size(), o.optimizer);
  return total;
}

void bpr_sample(const CsrView& seen, uint64_t seed, uint64_t epoch, uint64_t first, size_t n, uint32_t* u,
                uint32_t* i, uint32_t* j) {
  const size_t nnz = static_cast<size_t>(seen.offsets[seen.rows]);
  require(nnz > 0, ErrorCode::InvalidArg, "BPR needs at least one interaction");
  // Row of each interaction by binary search over offsets (an interaction is drawn uniformly).
  ComputePool::instance().parallel_for(n, 256, [&](size_t, size_t begin, size_t end) {
    for (size_t s = begin; s < end; ++s) {
      const uint64_t index = (first + s) * 16;
      PhiloxBlock blk = philox_block(seed, epoch + 1, index);
      const size_t pos = bounded(blk.v[0], nnz);
      const int32_t* off = seen.offsets;
      const size_t user = static_cast<size_t>(std::upper_bound(off, off + seen.rows + 1, static_cast<int32_t>(pos)) - off) - 1;
      u[s] = static_cast<uint32_t>(user);
      i[s] = static_cast<uint32_t>(seen.indices[pos]);
      const int32_t* lo = seen.indices + off[user];
      const int32_t* hi = seen.indices + off[user + 1];
      // Rejection sampling of an unseen item: up to 63 draws, then the last draw is kept (a user who has
      // met nearly every item).
      uint32_t cand = 0;
      for (int k = 1; k < 64; ++k) {
        if (k % 4 == 0) blk = philox_block(seed, epoch + 1, index + k / 4);
        cand = bounded(blk.v[k % 4], seen.cols);
        if (!std::binary_search(lo, hi, static_cast<int32_t>(cand))) break;
      }
      j[s] = cand;
    }
  });
}

std::vector<double> bpr_train(const BprTables& t, const CsrView& seen, size_t epochs, uint64_t seed,
                              const BprOptions& o, const std::function<bool(size_t, double)>& on_epoch) {
  bpr_check_tables(t, &seen);
  require(o.batch >= 1, ErrorCode::OutOfRange, "batch must be at least 1");
  const size_t nnz = static_cast<size_t>(seen.offsets[seen.rows]);
  std::vector<uint32_t> u(o.batch), i(o.batch), j(o.batch);
  std::vector<double> losses;
  for (size_t e = 0; e < epochs; ++e) {
    double total = 0;
    for (size_t first = 0; first < nnz; first += o.batch) {
      const size_t n = std::min(o.batch, nnz - first);
      bpr_sample(seen, seed, e, first, n, u.data(), i.data(), j.data());
      total += bpr_step(t, u.data(), i.data(), j.data(), n, o);
    }
    losses.push_back(total / static_cast<double>(nnz));
    if (!on_epoch(e, losses.back())) break;
  }
  return losses;
}

void bpr_score(const BprTables& t, const float* user_vectors, size_t n, float* out) {
  bpr_check_tables(t, nullptr);
  const EmbeddingReadView Q = t.items->read_view();
  EmbeddingReadView B;
  if (t.bias) B = t.bias->read_view();
  GemmEpilogue ep;
  ep.bias = t.bias ? B.data : nullptr;
  gemm_f32(Transpose::No, Transpose::Yes, n, Q.rows, Q.dim, 1.f, user_vectors, Q.dim, Q.data, Q.dim, 0.f, out, Q.rows, &ep);
}

}  // namespace reckit
