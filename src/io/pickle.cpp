#include "io/pickle.h"

#include <bit>
#include <cctype>

#include "lucid/error.h"

namespace lucid::io {
namespace {

using Kind = PickleValue::Kind;

// Bounds memory on hostile input: values and references are made only by pushing them, and a
// state dict pushes about 30 per tensor, so this is over 100,000 tensors.
constexpr size_t kMaxPushes = size_t{1} << 22;
constexpr size_t kMaxDims = 64;
constexpr size_t kMaxKey = 64;  // torch's storage keys are short numbers

// The only globals a state dict is made of; element_size > 0 marks a storage class.
struct Allowed {
  std::string_view name;
  size_t element_size;
};
constexpr Allowed kAllowed[] = {
    {"collections.OrderedDict", 0}, {"torch._utils._rebuild_tensor_v2", 0}, {"torch._utils._rebuild_parameter", 0},
    {"torch.FloatStorage", 4},      {"torch.HalfStorage", 2},               {"torch.BFloat16Storage", 2},
    {"torch.DoubleStorage", 8},     {"torch.LongStorage", 8},               {"torch.IntStorage", 4},
    {"torch.ShortStorage", 2},      {"torch.CharStorage", 1},               {"torch.ByteStorage", 1},
    {"torch.BoolStorage", 1},
};

// The opcodes read, named as in CPython's pickletools: all that torch.save emits for state dicts
// and training checkpoints (protocols 2 to 5), and their close kin.
enum Op : uint8_t {
  PROTO = 0x80, FRAME = 0x95, STOP = '.', MARK = '(',
  EMPTY_DICT = '}', EMPTY_LIST = ']', EMPTY_TUPLE = ')', TUPLE = 't', TUPLE1 = 0x85, TUPLE2 = 0x86, TUPLE3 = 0x87,
  SHORT_BINUNICODE = 0x8c, BINUNICODE = 'X', BINUNICODE8 = 0x8d,
  BININT1 = 'K', BININT2 = 'M', BININT = 'J', LONG1 = 0x8a, BINFLOAT = 'G', NONE = 'N', NEWTRUE = 0x88, NEWFALSE = 0x89,
  BINPUT = 'q', LONG_BINPUT = 'r', MEMOIZE = 0x94, BINGET = 'h', LONG_BINGET = 'j',
  SETITEM = 's', SETITEMS = 'u', APPEND = 'a', APPENDS = 'e',
  GLOBAL = 'c', STACK_GLOBAL = 0x93, REDUCE = 'R', BUILD = 'b', BINPERSID = 'Q',
};

class Parser {
 public:
  Parser(std::string_view bytes, const std::string& origin, std::deque<PickleValue>& values,
         std::deque<PickleStorage>& storages, std::deque<PickleTensor>& tensors)
      : bytes_(bytes), origin_(origin), values_(values), storages_(storages), tensors_(tensors) {
    none_ = make(Kind::None);
    true_ = make(Kind::Bool);
    true_->integer = 1;
    false_ = make(Kind::Bool);
  }

  PickleValue* run() {
    while (true) {
      op_start_ = pos_;
      uint8_t op = byte();
      switch (op) {
        case PROTO: {
          uint8_t version = byte();
          if (version < 2 || version > 5) fail(cat("pickle protocol ", int{version}, "; 2 to 5 are read"));
          break;
        }
        case FRAME: {  // a length hint for buffered readers; its opcodes follow inline
          uint64_t length = le(8);
          if (length > bytes_.size() - pos_) fail(cat("a frame of ", length, " bytes runs past the end"));
          break;
        }
        case STOP: return pop();
        case MARK:
          count_push();
          marks_.push_back(stack_.size());
          break;
        case EMPTY_DICT: push(make(Kind::Dict)); break;
        case EMPTY_LIST: push(make(Kind::List)); break;
        case EMPTY_TUPLE: push(make(Kind::Tuple)); break;
        case TUPLE: push(tuple(pop_mark())); break;
        case TUPLE1: push(tuple_of(1)); break;
        case TUPLE2: push(tuple_of(2)); break;
        case TUPLE3: push(tuple_of(3)); break;
        case SHORT_BINUNICODE: push(string(take(byte()))); break;
        case BINUNICODE: push(string(take(le(4)))); break;
        case BINUNICODE8: push(string(take(le(8)))); break;
        case BININT1: push(integer(byte())); break;
        case BININT2: push(integer(static_cast<int64_t>(le(2)))); break;
        case BININT: push(integer(static_cast<int32_t>(static_cast<uint32_t>(le(4))))); break;
        case LONG1: push(integer(long1())); break;
        case BINFLOAT: {  // big-endian, unlike everything else
          uint64_t bits = 0;
          for (char c : take(8)) bits = bits << 8 | static_cast<uint8_t>(c);
          PickleValue* v = make(Kind::Float);
          v->real = std::bit_cast<double>(bits);
          push(v);
          break;
        }
        case NONE: push(none_); break;
        case NEWTRUE: push(true_); break;
        case NEWFALSE: push(false_); break;
        case BINPUT: memo_put(byte()); break;
        case LONG_BINPUT: memo_put(le(4)); break;
        case MEMOIZE: memo_put(memo_.size()); break;
        case BINGET: push(memo_get(byte())); break;
        case LONG_BINGET: push(memo_get(le(4))); break;
        case SETITEM: {
          PickleValue* value = pop();
          PickleValue* key = pop();
          add_items(Kind::Dict, {key, value});
          break;
        }
        case SETITEMS: add_items(Kind::Dict, pop_mark()); break;
        case APPEND: add_items(Kind::List, {pop()}); break;
        case APPENDS: add_items(Kind::List, pop_mark()); break;
        case GLOBAL: {
          std::string module(line());
          push(global(module, line()));
          break;
        }
        case STACK_GLOBAL: {
          PickleValue* name = pop();
          PickleValue* module = pop();
          if (module->kind != Kind::String || name->kind != Kind::String)
            fail(cat("STACK_GLOBAL on a ", kind_name(module->kind), " and a ", kind_name(name->kind),
                     ", not two strings"));
          push(global(module->text, name->text));
          break;
        }
        case REDUCE: {
          PickleValue* args = pop();
          push(reduce(*pop(), *args));
          break;
        }
        case BUILD: {  // only an OrderedDict's attributes (torch's _metadata), which are ignored
          PickleValue* state = pop();
          PickleValue* target = top();
          if (target->kind != Kind::Dict || (state->kind != Kind::Dict && state->kind != Kind::None))
            fail(cat("BUILD on a ", kind_name(target->kind), " with a ", kind_name(state->kind),
                     " state; only an OrderedDict's attributes are read"));
          break;
        }
        case BINPERSID: push(storage(*pop())); break;
        default: {
          std::string shown = std::isprint(op) ? cat(" ('", static_cast<char>(op), "')") : "";
          fail(cat("unsupported opcode 0x", "0123456789abcdef"[op >> 4], "0123456789abcdef"[op & 15], shown,
                   "; a state dict does not need it"));
        }
      }
    }
  }

 private:
  [[noreturn]] void fail(std::string_view what) const {
    throw IoError("pickle", cat(origin_, " at byte ", op_start_, ": ", what));
  }

  uint8_t byte() {
    if (pos_ >= bytes_.size()) fail("ends without STOP");
    return static_cast<uint8_t>(bytes_[pos_++]);
  }
  uint64_t le(int n) {
    std::string_view b = take(static_cast<uint64_t>(n));
    uint64_t value = 0;
    for (int i = n - 1; i >= 0; --i) value = value << 8 | static_cast<uint8_t>(b[static_cast<size_t>(i)]);
    return value;
  }
  // Lengths come from the file: bounded by what is left of it before anything is allocated.
  std::string_view take(uint64_t n) {
    if (n > bytes_.size() - pos_)
      fail(cat("a length of ", n, " bytes runs past the end (", bytes_.size() - pos_, " left)"));
    std::string_view b = bytes_.substr(pos_, n);
    pos_ += n;
    return b;
  }
  std::string_view line() {
    size_t end = bytes_.find('\n', pos_);
    if (end == std::string_view::npos) fail("GLOBAL name runs past the end");
    std::string_view text = bytes_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return text;
  }
  int64_t long1() {  // LONG1: n bytes of little-endian two's complement
    uint8_t n = byte();
    if (n > 8) fail(cat("an integer of ", int{n}, " bytes; at most 8 are read"));
    uint64_t bits = le(n);
    if (n > 0 && n < 8 && (bits >> (8 * n - 1)) & 1) bits |= ~uint64_t{0} << (8 * n);  // sign-extend
    return static_cast<int64_t>(bits);
  }

  PickleValue* make(Kind kind) {
    values_.emplace_back().kind = kind;
    return &values_.back();
  }
  PickleValue* integer(int64_t value) {
    PickleValue* v = make(Kind::Int);
    v->integer = value;
    return v;
  }
  PickleValue* string(std::string_view text) {
    PickleValue* v = make(Kind::String);
    v->text = text;
    return v;
  }
  PickleValue* tuple(std::vector<PickleValue*> items) {
    PickleValue* v = make(Kind::Tuple);
    v->items = std::move(items);
    return v;
  }
  PickleValue* tuple_of(size_t n) {
    std::vector<PickleValue*> items(n);
    for (size_t i = n; i-- > 0;) items[i] = pop();
    return tuple(std::move(items));
  }

  // A MARK fences the stack: only opcodes that consume the mark may pop below it.
  size_t fence() const { return marks_.empty() ? 0 : marks_.back(); }
  void count_push() {
    if (++pushes_ > kMaxPushes) fail(cat("more than ", kMaxPushes, " objects"));
  }
  void push(PickleValue* v) {
    count_push();
    stack_.push_back(v);
  }
  PickleValue* top() {
    if (stack_.size() <= fence()) fail("stack underflow");
    return stack_.back();
  }
  PickleValue* pop() {
    PickleValue* v = top();
    stack_.pop_back();
    return v;
  }
  std::vector<PickleValue*> pop_mark() {
    if (marks_.empty()) fail("no MARK to pop to");
    size_t mark = marks_.back();
    marks_.pop_back();
    std::vector<PickleValue*> items(stack_.begin() + static_cast<std::ptrdiff_t>(mark), stack_.end());
    stack_.resize(mark);
    return items;
  }
  void add_items(Kind kind, const std::vector<PickleValue*>& items) {
    PickleValue* target = top();
    if (target->kind != kind)
      fail(cat(kind == Kind::Dict ? "SETITEM" : "APPEND", " on a ", kind_name(target->kind), ", not a ",
               kind_name(kind)));
    if (kind == Kind::Dict && items.size() % 2 != 0)
      fail(cat("SETITEMS with ", items.size(), " values, not key-value pairs"));
    target->items.insert(target->items.end(), items.begin(), items.end());
  }

  // Python's pickler numbers memo entries 0, 1, 2...; a put beyond the next index is refused
  // rather than grown into.
  void memo_put(uint64_t index) {
    if (index > memo_.size()) fail(cat("memo index ", index, " skips ahead of the ", memo_.size(), " stored"));
    PickleValue* v = top();
    if (index == memo_.size())
      memo_.push_back(v);
    else
      memo_[index] = v;
  }
  PickleValue* memo_get(uint64_t index) {
    if (index >= memo_.size()) fail(cat("memo index ", index, " out of range (", memo_.size(), " stored)"));
    return memo_[index];
  }

  PickleValue* global(std::string_view module, std::string_view name) {
    std::string full = cat(module, ".", name);
    for (const Allowed& allowed : kAllowed) {
      if (allowed.name != full) continue;
      PickleValue* v = make(Kind::Global);
      v->text = std::move(full);
      v->integer = static_cast<int64_t>(allowed.element_size);
      return v;
    }
    fail(cat("refuses global '", full, "': a state dict holds only tensors, numbers, strings and containers"));
  }

  // BINPERSID: torch's ('storage', storage class, key, location, numel).
  PickleValue* storage(const PickleValue& pid) {
    const auto& it = pid.items;
    bool ok = pid.kind == Kind::Tuple && it.size() == 5 && it[0]->kind == Kind::String && it[0]->text == "storage" &&
              it[1]->kind == Kind::Global && it[1]->integer > 0 && it[2]->kind == Kind::String &&
              it[3]->kind == Kind::String && it[4]->kind == Kind::Int && it[4]->integer >= 0;
    if (!ok) fail("persistent id is not ('storage', storage class, key, location, numel)");
    // Bounded so that looking a key up costs little however often a hostile file repeats it.
    if (it[2]->text.size() > kMaxKey) fail(cat("a storage key of ", it[2]->text.size(), " bytes"));
    PickleValue* v = make(Kind::Storage);
    v->storage = &storages_.emplace_back(
        PickleStorage{it[1]->text, static_cast<size_t>(it[1]->integer), it[2]->text});
    return v;
  }

  Shape ints(const PickleValue& tuple, const char* what) {
    if (tuple.kind != Kind::Tuple || tuple.items.size() > kMaxDims)
      fail(cat("tensor ", what, " is a ", kind_name(tuple.kind), " of ", tuple.items.size(),
               ", not a tuple of at most ", kMaxDims, " ints"));
    Shape values;
    for (const PickleValue* item : tuple.items) {
      if (item->kind != Kind::Int || item->integer < 0)
        fail(cat("tensor ", what, " holds a negative value or a ", kind_name(item->kind)));
      values.push_back(item->integer);
    }
    return values;
  }

  // REDUCE for the allowed callables, by interpretation.
  PickleValue* reduce(const PickleValue& callable, const PickleValue& args) {
    if (callable.kind != Kind::Global || args.kind != Kind::Tuple)
      fail(cat("REDUCE applies a ", kind_name(callable.kind), " to a ", kind_name(args.kind),
               ", not a global to a tuple"));
    const auto& a = args.items;
    auto expect = [&](bool ok) {
      if (!ok) fail(cat(callable.text, " called with unexpected arguments (", a.size(), ")"));
    };
    if (callable.text == "collections.OrderedDict") {
      expect(a.empty());  // the items follow as SETITEMS
      return make(Kind::Dict);
    }
    if (callable.text == "torch._utils._rebuild_tensor_v2") {
      // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
      expect((a.size() == 6 || a.size() == 7) && a[0]->kind == Kind::Storage && a[1]->kind == Kind::Int &&
             a[1]->integer >= 0 && a[4]->kind == Kind::Bool && a[5]->kind == Kind::Dict);
      PickleTensor t{a[0]->storage, a[1]->integer, {}, {}};
      t.size = ints(*a[2], "size");
      t.stride = ints(*a[3], "stride");
      if (t.size.size() != t.stride.size())
        fail(cat("tensor size has ", t.size.size(), " dims, its stride ", t.stride.size()));
      PickleValue* v = make(Kind::Tensor);
      v->tensor = &tensors_.emplace_back(std::move(t));
      return v;
    }
    if (callable.text == "torch._utils._rebuild_parameter") {  // (data, requires_grad, backward_hooks)
      expect(a.size() == 3 && a[0]->kind == Kind::Tensor && a[1]->kind == Kind::Bool && a[2]->kind == Kind::Dict);
      return a[0];
    }
    fail(cat("REDUCE on ", callable.text, ", which is not callable here"));
  }

  std::string_view bytes_;
  const std::string& origin_;
  std::deque<PickleValue>& values_;
  std::deque<PickleStorage>& storages_;
  std::deque<PickleTensor>& tensors_;
  size_t pushes_ = 0;
  size_t pos_ = 0;
  size_t op_start_ = 0;
  std::vector<PickleValue*> stack_;
  std::vector<PickleValue*> memo_;
  std::vector<size_t> marks_;
  PickleValue* none_;
  PickleValue* true_;
  PickleValue* false_;
};

}  // namespace

const char* kind_name(PickleValue::Kind kind) {
  switch (kind) {
    case Kind::None: return "None";
    case Kind::Bool: return "bool";
    case Kind::Int: return "int";
    case Kind::Float: return "float";
    case Kind::String: return "str";
    case Kind::Tuple: return "tuple";
    case Kind::List: return "list";
    case Kind::Dict: return "dict";
    case Kind::Global: return "global";
    case Kind::Storage: return "storage";
    case Kind::Tensor: return "tensor";
  }
  return "?";
}

Pickle::Pickle(std::string_view bytes, std::string origin) { root_ = Parser(bytes, origin, values_, storages_, tensors_).run(); }

}  // namespace lucid::io
