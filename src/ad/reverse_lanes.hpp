// Reverse-mode automatic differentiation over SIMD lanes: `LaneVar<Arch>` is to `simd::Lanes` what
// `Var` (reverse.hpp) is to double. Its value holds one half-hour per lane (2 with SSE2, 4 with
// AVX2, 8 with AVX-512) and every operation records one node on the calling thread's
// `LaneTape<Arch>`, whose local partial derivatives are vectors of the same width: W half-hours
// share one recording, so the cost of the tape's bookkeeping (indices, the sweep's loop, the
// dispatch to external blocks) is paid once per W half-hours (docs/gradients.md, "The tape in
// lanes").
//
// The physics templates are lane-ready already (branches are where(mask, a, b) and skipped when no
// lane takes them, physics/common.hpp), so they instantiate with T = LaneVar unchanged. Two rules
// differ from the scalar tape, both because lanes that do not take a branch still compute it:
//  * where(mask, a, b) records partial 1 for the chosen side and exactly 0 for the other, lane by
//    lane;
//  * the sweep adds a node's contribution only in lanes whose adjoint is not 0. A lane that did
//    not take a branch may hold a value outside the function's domain there (sqrt of a negative
//    number, a division by zero) and so a NaN or infinite partial; its adjoint is exactly 0 (the
//    where above), and 0 x NaN must not reach the branch's inputs. A NaN or infinite adjoint still
//    propagates.
// The derivative conventions are those of Var (docs/gradients.md "Guards"), so each lane gives the
// scalar tape's derivatives up to the rounding of the vector mathematics.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>

#include <xsimd/xsimd.hpp>

#include "ad/reverse.hpp"
#include "simd/lanes.hpp"

namespace canveg::ad {

// Adjoint of an external block on the lane tape: as ExternalAdjoint, with vectors of adjoints.
template <class Arch>
using LaneExternalAdjoint = void (*)(const simd::Lanes<Arch, 1>* out_adj, const Index* inputs,
                                     simd::Lanes<Arch, 1>* adj, const void* data);

template <class Arch>
class LaneTape {
 public:
  using Batch = xsimd::batch<double, Arch>;
  using Row = simd::Lanes<Arch, 1>;  // an adjoint: one vector
  static constexpr std::size_t kAlign = alignof(Batch) > 64 ? alignof(Batch) : 64;

  // Starts a new recording (memory is kept).
  void reset() {
    if (!links_) grow_nodes();
    size_ = inputs_end_ = 1;
    links_[0] = Link{0, 0};
    partials_[0] = partials_[1] = Batch(0.0);
    adj_[0] = Row(0.0);
    n_hooks_ = n_inputs_ = n_data_ = 0;
  }

  // A node with parents a and b (0 = a constant operand, recorded as the node itself with
  // partial 0, as on the scalar tape).
  CANVEG_AD_INLINE Index push(Index a, const Batch& da, Index b, const Batch& db) {
    if (size_ == capacity_) grow_nodes();
    const Index self = static_cast<Index>(size_);
    links_[size_] = Link{a ? a : self, b ? b : self};
    partials_[2 * size_] = a ? da : Batch(0.0);
    partials_[2 * size_ + 1] = b ? db : Batch(0.0);
    adj_[size_] = Row(0.0);  // see adjoints()
    return static_cast<Index>(size_++);
  }
  CANVEG_AD_INLINE Index leaf() { return push(0, Batch(0.0), 0, Batch(0.0)); }
  // n leaves at once, the recording's inputs, before any operation (a recording may add inputs
  // several times, as long as no other node comes between); returns the first. Only their
  // adjoints are cleared: a sweep never visits them (reverse stops at the first node after them),
  // so their links and partials are not written.
  Index inputs(std::size_t n) {
    assert(size_ == inputs_end_);
    while (size_ + n > capacity_) grow_nodes();
    const auto first = static_cast<Index>(size_);
    std::memset(static_cast<void*>(adj_ + size_), 0, n * sizeof(Row));
    size_ += n;
    inputs_end_ = size_;
    return first;
  }

  // An external block with n_in inputs (0 for constants) and n_out outputs, which become n_out new
  // consecutive nodes; returns the first. `data` is copied onto the tape and handed to `fn` in the
  // reverse sweep.
  Index push_external(const Index* inputs, std::size_t n_in, std::size_t n_out, LaneExternalAdjoint<Arch> fn,
                      const void* data, std::size_t data_bytes) {
    void* where = nullptr;
    const std::size_t offset = reserve_external_data(data_bytes, &where);
    if (data_bytes) std::memcpy(where, data, data_bytes);
    return push_external_inplace(inputs, n_in, n_out, fn, offset);
  }
  // Space for an external block's data written in place (valid until the next record; aligned
  // for vectors); the offset goes to push_external_inplace.
  std::size_t reserve_external_data(std::size_t bytes, void** where) {
    const std::size_t padded = (bytes + kAlign - 1) / kAlign * kAlign;
    reserve_data(padded);
    *where = data_ + n_data_;
    const std::size_t offset = n_data_;
    n_data_ += padded;
    return offset;
  }
  Index push_external_inplace(const Index* inputs, std::size_t n_in, std::size_t n_out, LaneExternalAdjoint<Arch> fn,
                              std::size_t data_offset) {
    const Index first = static_cast<Index>(size_);
    for (std::size_t k = 0; k < n_out; ++k) leaf();
    if (n_hooks_ == hook_capacity_) {
      hook_capacity_ = hook_capacity_ ? 2 * hook_capacity_ : 256;
      hooks_ = static_cast<Hook*>(grow_plain(hooks_, n_hooks_ * sizeof(Hook), hook_capacity_ * sizeof(Hook)));
    }
    Hook& h = hooks_[n_hooks_++];
    h.id = first;
    h.fn = fn;
    h.first = n_inputs_;
    h.count = n_in;
    h.data = data_offset;
    if (n_inputs_ + n_in > input_capacity_) {
      std::size_t cap = input_capacity_ ? input_capacity_ : 1024;
      while (cap < n_inputs_ + n_in) cap *= 2;
      inputs_ = static_cast<Index*>(grow_plain(inputs_, n_inputs_ * sizeof(Index), cap * sizeof(Index)));
      input_capacity_ = cap;
    }
    std::memcpy(inputs_ + n_inputs_, inputs, n_in * sizeof(Index));
    n_inputs_ += n_in;
    return first;
  }

  std::size_t size() const { return size_; }
  std::size_t bytes() const {
    return capacity_ * (sizeof(Link) + 2 * sizeof(Batch) + sizeof(Row)) + hook_capacity_ * sizeof(Hook) +
           input_capacity_ * sizeof(Index) + data_capacity_;
  }

  // Adjoints. A recording starts with them at 0 (each node's is cleared as it is recorded, which
  // spares the first sweep a separate pass over the tape); zero_adjoints() clears them for another
  // sweep of the same recording.
  Row* adjoints() { return adj_; }
  const Row* adjoints() const { return adj_; }
  void zero_adjoints() { std::memset(static_cast<void*>(adj_), 0, size_ * sizeof(Row)); }

  // Propagates the adjoints from the last node back to the first after the bulk inputs (inputs),
  // lane by lane only where a node's adjoint is not 0 (see the header). The inputs' adjoints are
  // final once that node is swept.
  void reverse() {
    const std::size_t first = inputs_end_;
    assert(n_hooks_ == 0 || hooks_[0].id >= static_cast<Index>(first));
    Row* adj = adj_;
    const Batch zero(0.0);
    std::size_t next_hook = n_hooks_;
    Index hook_id = next_hook ? hooks_[next_hook - 1].id : 0;
    // Local copies: a vector store may alias anything, so members would be reloaded per node.
    const Link* links = links_;
    const Batch* partials = partials_;
    Batch carry = zero;  // what node i + 1 passed to node i, held in a register (see sweep_node)
    for (std::size_t i = size_ - 1; i >= first; --i) {
      sweep_node(links, partials, adj, i, carry);
      if (static_cast<Index>(i) == hook_id) {
        const Hook& h = hooks_[--next_hook];
        h.fn(adj + h.id, inputs_ + h.first, adj, data_ + h.data);
        hook_id = next_hook ? hooks_[next_hook - 1].id : 0;
      }
    }
    adj[first - 1].v[0] += carry;  // what node `first` passed to the node before it
  }

  void release() {
    std::free(links_);
    std::free(partials_);
    std::free(adj_);
    std::free(hooks_);
    std::free(inputs_);
    std::free(data_);
    *this = LaneTape();
  }

 private:
  struct Link {
    Index a, b;
  };
  struct Hook {
    Index id;
    LaneExternalAdjoint<Arch> fn;
    std::size_t first, count, data;
  };

  // One node of the sweep: its adjoint g (with what the node after it passed on in `carry`) is
  // stored, and g times each partial is added to its parents' adjoints, lane by lane only where g
  // is not 0 (the partials are zeroed there, see the header). A contribution to the node just
  // before, the parent of most nodes (a chain of operations), stays in `carry` instead of going
  // through memory: a vector stored and loaded again at once waits for the store to complete (on
  // the AVX-512 machine of docs/performance.md, a chain of 21 ns per node against 9 with the carry).
  static CANVEG_AD_INLINE void sweep_node(const Link* links, const Batch* partials, Row* adj, std::size_t i,
                                          Batch& carry) {
    const Batch zero(0.0);
    const Batch g = adj[i].v[0] + carry;
    adj[i].v[0] = g;
    const auto live = g != zero;
    const Link n = links[i];
    const Index before = static_cast<Index>(i - 1);
    const Batch ca = xsimd::select(live, partials[2 * i], zero) * g;
    const Batch cb = xsimd::select(live, partials[2 * i + 1], zero) * g;
    carry = zero;
    if (n.a == before)
      carry = carry + ca;
    else
      adj[n.a].v[0] += ca;
    if (n.b == before)
      carry = carry + cb;
    else
      adj[n.b].v[0] += cb;
  }

  // Aligned storage grows by copying (realloc keeps no alignment beyond malloc's).
  static void* grow_aligned(void* p, std::size_t used_bytes, std::size_t bytes) {
    void* q = std::aligned_alloc(kAlign, (bytes + kAlign - 1) / kAlign * kAlign);
    if (!q) throw std::bad_alloc();
    if (p) {
      std::memcpy(q, p, used_bytes);
      std::free(p);
    }
    return q;
  }
  static void* grow_plain(void* p, std::size_t /*used*/, std::size_t bytes) {
    void* q = std::realloc(p, bytes);
    if (!q) throw std::bad_alloc();
    return q;
  }
  void reserve_data(std::size_t n) {
    if (n_data_ + n <= data_capacity_) return;
    std::size_t cap = data_capacity_ ? data_capacity_ : 65536;
    while (cap < n_data_ + n) cap *= 2;
    data_ = static_cast<unsigned char*>(grow_aligned(data_, n_data_, cap));
    data_capacity_ = cap;
  }
  CANVEG_AD_NOINLINE void grow_nodes() {
    const std::size_t cap = capacity_ ? 2 * capacity_ : (std::size_t{1} << 14);
    links_ = static_cast<Link*>(grow_plain(links_, size_ * sizeof(Link), cap * sizeof(Link)));
    partials_ = static_cast<Batch*>(grow_aligned(partials_, 2 * size_ * sizeof(Batch), 2 * cap * sizeof(Batch)));
    adj_ = static_cast<Row*>(grow_aligned(adj_, size_ * sizeof(Row), cap * sizeof(Row)));
    capacity_ = cap;
    if (size_ == 0) {
      size_ = 1;
      links_[0] = Link{0, 0};
      partials_[0] = partials_[1] = Batch(0.0);
    }
  }

  Link* links_ = nullptr;
  Batch* partials_ = nullptr;  // [2 * node]: da, db
  Row* adj_ = nullptr;
  Hook* hooks_ = nullptr;
  Index* inputs_ = nullptr;
  unsigned char* data_ = nullptr;
  std::size_t size_ = 0, capacity_ = 0;
  std::size_t inputs_end_ = 1;  // the nodes before it are bulk inputs (see inputs)
  std::size_t n_hooks_ = 0, hook_capacity_ = 0;
  std::size_t n_inputs_ = 0, input_capacity_ = 0;
  std::size_t n_data_ = 0, data_capacity_ = 0;
};

// The calling thread's lane tape; release it (LaneTapeGuard) before the thread ends.
template <class Arch>
inline LaneTape<Arch>& thread_lane_tape() {
  constinit thread_local LaneTape<Arch> tape;
  return tape;
}
template <class Arch>
struct LaneTapeGuard {
  LaneTapeGuard() = default;
  LaneTapeGuard(const LaneTapeGuard&) = delete;
  LaneTapeGuard& operator=(const LaneTapeGuard&) = delete;
  ~LaneTapeGuard() { thread_lane_tape<Arch>().release(); }
};

// An active vector of half-hours: its values and its node on the calling thread's lane tape.
template <class Arch>
struct LaneVar {
  using Value = simd::Lanes<Arch, 1>;
  using Batch = xsimd::batch<double, Arch>;
  static constexpr std::size_t kWidth = Value::kWidth;
  Value v{0.0};
  Index i = 0;

  LaneVar() = default;
  LaneVar(double x) : v(x) {}        // NOLINT: constants mix freely with active values
  LaneVar(const Value& x) : v(x) {}  // NOLINT: per-half-hour constants (forcing) likewise
  CANVEG_AD_INLINE LaneVar(const Batch& x, Index id) : i(id) { v.v[0] = x; }

  static LaneVar leaf(const Value& x) { return LaneVar(x.v[0], thread_lane_tape<Arch>().leaf()); }
  const Batch& b() const { return v.v[0]; }
  bool active() const { return i != 0; }
};

namespace lanes_detail {
template <class A>
using B = xsimd::batch<double, A>;
template <class A>
CANVEG_AD_INLINE LaneVar<A> unary(const B<A>& value, const LaneVar<A>& x, const B<A>& dx) {
  if (!x.i) return LaneVar<A>(value, 0);
  return LaneVar<A>(value, thread_lane_tape<A>().push(x.i, dx, 0, B<A>(0.0)));
}
template <class A>
CANVEG_AD_INLINE LaneVar<A> binary(const B<A>& value, const LaneVar<A>& x, const B<A>& dx, const LaneVar<A>& y,
                                   const B<A>& dy) {
  if (!(x.i | y.i)) return LaneVar<A>(value, 0);
  return LaneVar<A>(value, thread_lane_tape<A>().push(x.i, dx, y.i, dy));
}
template <class A>
CANVEG_AD_INLINE LaneVar<A> add(const LaneVar<A>& x, const LaneVar<A>& y) {
  return binary(x.b() + y.b(), x, B<A>(1.0), y, B<A>(1.0));
}
template <class A>
CANVEG_AD_INLINE LaneVar<A> subtract(const LaneVar<A>& x, const LaneVar<A>& y) {
  return binary(x.b() - y.b(), x, B<A>(1.0), y, B<A>(-1.0));
}
template <class A>
CANVEG_AD_INLINE LaneVar<A> multiply(const LaneVar<A>& x, const LaneVar<A>& y) {
  return binary(x.b() * y.b(), x, y.b(), y, x.b());
}
// As Var: q = x / y, dq/dx = 1 / y, dq/dy = -q / y.
template <class A>
CANVEG_AD_INLINE LaneVar<A> divide(const LaneVar<A>& x, const LaneVar<A>& y) {
  const B<A> r = B<A>(1.0) / y.b();
  const B<A> q = x.b() / y.b();
  return binary(q, x, r, y, -q * r);
}
}  // namespace lanes_detail

template <class A>
CANVEG_AD_INLINE const simd::Lanes<A, 1>& value_of(const LaneVar<A>& x) {
  return x.v;
}
template <class A>
CANVEG_AD_INLINE LaneVar<A> operator+(const LaneVar<A>& x) {
  return x;
}
template <class A>
CANVEG_AD_INLINE LaneVar<A> operator-(const LaneVar<A>& x) {
  return lanes_detail::unary(-x.b(), x, lanes_detail::B<A>(-1.0));
}

// Arithmetic and comparisons of a LaneVar with a LaneVar, a double or a vector of plain values
// (the forcing of the W half-hours), either way round.
#define CANVEG_LANEVAR_BINARY(op, body)                                                              \
  template <class A>                                                                                 \
  CANVEG_AD_INLINE auto operator op(const LaneVar<A>& x, const LaneVar<A>& y) {                      \
    return body(x, y);                                                                               \
  }                                                                                                  \
  template <class A>                                                                                 \
  CANVEG_AD_INLINE auto operator op(const LaneVar<A>& x, double y) {                                 \
    return body(x, LaneVar<A>(y));                                                                   \
  }                                                                                                  \
  template <class A>                                                                                 \
  CANVEG_AD_INLINE auto operator op(double x, const LaneVar<A>& y) {                                 \
    return body(LaneVar<A>(x), y);                                                                   \
  }                                                                                                  \
  template <class A>                                                                                 \
  CANVEG_AD_INLINE auto operator op(const LaneVar<A>& x, const simd::Lanes<A, 1>& y) {               \
    return body(x, LaneVar<A>(y));                                                                   \
  }                                                                                                  \
  template <class A>                                                                                 \
  CANVEG_AD_INLINE auto operator op(const simd::Lanes<A, 1>& x, const LaneVar<A>& y) {               \
    return body(LaneVar<A>(x), y);                                                                   \
  }
CANVEG_LANEVAR_BINARY(+, lanes_detail::add)
CANVEG_LANEVAR_BINARY(-, lanes_detail::subtract)
CANVEG_LANEVAR_BINARY(*, lanes_detail::multiply)
CANVEG_LANEVAR_BINARY(/, lanes_detail::divide)

namespace lanes_detail {
template <class A>
CANVEG_AD_INLINE simd::LaneMask<A, 1> less(const LaneVar<A>& x, const LaneVar<A>& y) {
  return x.v < y.v;
}
template <class A>
CANVEG_AD_INLINE simd::LaneMask<A, 1> less_equal(const LaneVar<A>& x, const LaneVar<A>& y) {
  return x.v <= y.v;
}
template <class A>
CANVEG_AD_INLINE simd::LaneMask<A, 1> greater(const LaneVar<A>& x, const LaneVar<A>& y) {
  return x.v > y.v;
}
template <class A>
CANVEG_AD_INLINE simd::LaneMask<A, 1> greater_equal(const LaneVar<A>& x, const LaneVar<A>& y) {
  return x.v >= y.v;
}
template <class A>
CANVEG_AD_INLINE simd::LaneMask<A, 1> equal(const LaneVar<A>& x, const LaneVar<A>& y) {
  return x.v == y.v;
}
template <class A>
CANVEG_AD_INLINE simd::LaneMask<A, 1> not_equal(const LaneVar<A>& x, const LaneVar<A>& y) {
  return x.v != y.v;
}
}  // namespace lanes_detail
CANVEG_LANEVAR_BINARY(<, lanes_detail::less)
CANVEG_LANEVAR_BINARY(<=, lanes_detail::less_equal)
CANVEG_LANEVAR_BINARY(>, lanes_detail::greater)
CANVEG_LANEVAR_BINARY(>=, lanes_detail::greater_equal)
CANVEG_LANEVAR_BINARY(==, lanes_detail::equal)
CANVEG_LANEVAR_BINARY(!=, lanes_detail::not_equal)
#undef CANVEG_LANEVAR_BINARY

template <class A, class Y>
CANVEG_AD_INLINE LaneVar<A>& operator+=(LaneVar<A>& x, const Y& y) {
  return x = x + y;
}
template <class A, class Y>
CANVEG_AD_INLINE LaneVar<A>& operator-=(LaneVar<A>& x, const Y& y) {
  return x = x - y;
}
template <class A, class Y>
CANVEG_AD_INLINE LaneVar<A>& operator*=(LaneVar<A>& x, const Y& y) {
  return x = x * y;
}
template <class A, class Y>
CANVEG_AD_INLINE LaneVar<A>& operator/=(LaneVar<A>& x, const Y& y) {
  return x = x / y;
}

// Lane-wise choice: partial 1 for the chosen side, 0 for the other (see the header).
template <class A>
CANVEG_AD_INLINE LaneVar<A> where(const simd::LaneMask<A, 1>& mask, const LaneVar<A>& a, const LaneVar<A>& b) {
  using Bt = lanes_detail::B<A>;
  const Bt value = xsimd::select(mask.m[0], a.b(), b.b());
  if (!(a.i | b.i)) return LaneVar<A>(value, 0);
  const Bt one(1.0), zero(0.0);
  return LaneVar<A>(value, thread_lane_tape<A>().push(a.i, xsimd::select(mask.m[0], one, zero), b.i,
                                                      xsimd::select(mask.m[0], zero, one)));
}
template <class A>
CANVEG_AD_INLINE simd::LaneMask<A, 1> is_finite(const LaneVar<A>& x) {
  return is_finite(x.v);
}

// Elementary functions, with the derivative conventions of Var.
template <class A>
CANVEG_AD_INLINE LaneVar<A> exp(const LaneVar<A>& x) {
  const auto e = xsimd::exp(x.b());
  return lanes_detail::unary(e, x, e);
}
template <class A>
CANVEG_AD_INLINE LaneVar<A> log(const LaneVar<A>& x) {
  return lanes_detail::unary(xsimd::log(x.b()), x, lanes_detail::B<A>(1.0) / x.b());
}
template <class A>
CANVEG_AD_INLINE LaneVar<A> sqrt(const LaneVar<A>& x) {
  const auto s = xsimd::sqrt(x.b());
  return lanes_detail::unary(s, x, lanes_detail::B<A>(0.5) / s);
}
// sin and cos together: one argument reduction for the value and the slope.
template <class A>
CANVEG_AD_INLINE LaneVar<A> cos(const LaneVar<A>& x) {
  if (!x.i) return LaneVar<A>(xsimd::cos(x.b()), 0);
  const auto [s, c] = xsimd::sincos(x.b());
  return lanes_detail::unary(c, x, -s);
}
template <class A>
CANVEG_AD_INLINE LaneVar<A> sin(const LaneVar<A>& x) {
  if (!x.i) return LaneVar<A>(xsimd::sin(x.b()), 0);
  const auto [s, c] = xsimd::sincos(x.b());
  return lanes_detail::unary(s, x, c);
}
template <class A>
CANVEG_AD_INLINE LaneVar<A> tan(const LaneVar<A>& x) {
  const auto t = xsimd::tan(x.b());
  return lanes_detail::unary(t, x, lanes_detail::B<A>(1.0) + t * t);
}
template <class A>
CANVEG_AD_INLINE LaneVar<A> acos(const LaneVar<A>& x) {
  const lanes_detail::B<A> one(1.0);
  return lanes_detail::unary(xsimd::acos(x.b()), x, -one / xsimd::sqrt(one - x.b() * x.b()));
}
template <class A>
CANVEG_AD_INLINE LaneVar<A> asin(const LaneVar<A>& x) {
  const lanes_detail::B<A> one(1.0);
  return lanes_detail::unary(xsimd::asin(x.b()), x, one / xsimd::sqrt(one - x.b() * x.b()));
}
template <class A>
CANVEG_AD_INLINE LaneVar<A> tanh(const LaneVar<A>& x) {
  const auto t = xsimd::tanh(x.b());
  return lanes_detail::unary(t, x, lanes_detail::B<A>(1.0) - t * t);
}
template <class A>
CANVEG_AD_INLINE LaneVar<A> abs(const LaneVar<A>& x) {
  using Bt = lanes_detail::B<A>;
  return lanes_detail::unary(xsimd::abs(x.b()), x, xsimd::select(x.b() < Bt(0.0), Bt(-1.0), Bt(1.0)));
}
template <class A>
CANVEG_AD_INLINE LaneVar<A> fabs(const LaneVar<A>& x) {
  return abs(x);
}

// x^y with a constant exponent: d/dx = y x^(y-1).
template <class A>
CANVEG_AD_INLINE LaneVar<A> pow(const LaneVar<A>& x, const simd::Lanes<A, 1>& y) {
  using Bt = lanes_detail::B<A>;
  const Bt p = xsimd::pow(x.b(), y.v[0]);
  if (!x.i) return LaneVar<A>(p, 0);
  return lanes_detail::unary(p, x, y.v[0] * xsimd::pow(x.b(), y.v[0] - Bt(1.0)));
}
template <class A>
CANVEG_AD_INLINE LaneVar<A> pow(const LaneVar<A>& x, double y) {
  return pow(x, simd::Lanes<A, 1>(y));
}
// b^y with a constant base: d/dy = b^y ln b, 0 where b^y = 0 (as Var).
template <class A>
CANVEG_AD_INLINE LaneVar<A> pow(const simd::Lanes<A, 1>& base, const LaneVar<A>& y) {
  using Bt = lanes_detail::B<A>;
  const Bt p = xsimd::pow(base.v[0], y.b());
  if (!y.i) return LaneVar<A>(p, 0);
  return lanes_detail::unary(p, y, xsimd::select(p == Bt(0.0), Bt(0.0), p * xsimd::log(base.v[0])));
}
template <class A>
CANVEG_AD_INLINE LaneVar<A> pow(double base, const LaneVar<A>& y) {
  return pow(simd::Lanes<A, 1>(base), y);
}
template <class A>
CANVEG_AD_INLINE LaneVar<A> pow(const LaneVar<A>& x, const LaneVar<A>& y) {
  using Bt = lanes_detail::B<A>;
  if (!y.i) return pow(x, y.v);
  if (!x.i) return pow(x.v, y);
  const Bt p = xsimd::pow(x.b(), y.b());
  return lanes_detail::binary(p, x, y.b() * xsimd::pow(x.b(), y.b() - Bt(1.0)), y,
                              xsimd::select(p == Bt(0.0), Bt(0.0), p * xsimd::log(x.b())));
}

// sqrt(x) with derivative 0 where x <= 0 (physics::sqrt_nonneg, pitfall P10), lane by lane.
template <class A>
CANVEG_AD_INLINE LaneVar<A> sqrt_nonneg(const LaneVar<A>& x) {
  using Bt = lanes_detail::B<A>;
  const Bt s = xsimd::sqrt(x.b());
  if (!x.i) return LaneVar<A>(s, 0);
  return lanes_detail::unary(s, x, xsimd::select(x.b() > Bt(0.0), Bt(0.5) / s, Bt(0.0)));
}

}  // namespace canveg::ad

namespace canveg::physics {
// A LaneVar's per-half-hour constants (forcing) are plain lanes.
template <class Arch>
struct RowValueOf<ad::LaneVar<Arch>> {
  using type = simd::Lanes<Arch, 1>;
};
}  // namespace canveg::physics
